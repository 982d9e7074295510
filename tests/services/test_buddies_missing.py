"""A cohort whose buddy groups were never formed: LEAD is told on the status card, and nobody is told of a pair that is not there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

import cards
from app import CORE
from bot.domain.nudges import buddy_intro_items
from bot.storage.db import Database
from bot.storage.models import PlannedDelivery
from tests.fakes.connector import card_text
from tests.support import NOW, Clock, seed, start_server


async def test_status_card_says_the_buddy_groups_are_missing_until_they_are_formed(db: Database, settings: Any, programme: Any) -> None:
    await seed(db, programme)
    server = await start_server(settings, Clock(NOW))
    core = server.app[CORE]
    try:
        await core.planner.replan("hold-2027")
        text = card_text(cards.render("status_summary", await core.reports.status("hold-2027")))
        assert "Buddy-grupperne er ikke dannet: Ingen af talenterne har en buddy" in text
        assert "buddies suggest --cohort hold-2027" in text
        async with db.sessions() as s:
            topics = set(await s.scalars(select(PlannedDelivery.topic).where(PlannedDelivery.kind == "nudge")))
        assert not topics & {"buddy-intro", "buddy-meeting", "skyggepraktik"}  # nothing claims a pair
        await core.buddies.suggest("hold-2027")
        text = card_text(cards.render("status_summary", await core.reports.status("hold-2027")))
        assert "Buddy-grupperne er ikke dannet" not in text
    finally:
        await server.close()


def test_a_group_of_one_is_not_announced_as_a_pair() -> None:
    items = buddy_intro_items("hold", [(1,), (2, 3)], NOW)
    assert sorted(i.person_id for i in items) == [2, 3]
