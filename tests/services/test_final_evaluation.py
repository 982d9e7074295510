"""The 80 % criterion: one final evaluation per talent about the whole programme, reported beside the per-activity ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

import cards
from app import CORE
from bot.domain.final_evaluation import TOPIC
from bot.storage.db import Database
from bot.storage.models import Evaluation, Membership, PlannedDelivery
from tests.fakes.connector import card_text
from tests.support import NOW, Clock, seed, start_server

AFTER_CLOSING = datetime(2027, 12, 8, 9, 0, tzinfo=UTC)  # the closing seminar is 7 December 2027


async def test_one_final_evaluation_per_talent_decides_the_criterion(db: Database, settings: Any, programme: Any) -> None:
    await seed(db, programme)
    clock = Clock(NOW)
    server = await start_server(settings, clock)
    core = server.app[CORE]
    try:
        await core.planner.replan("hold-2027")
        async with db.sessions() as s:
            talents = set(await s.scalars(select(Membership.person_id).where(Membership.role == "talent")))
            finals = list(await s.scalars(select(PlannedDelivery).where(PlannedDelivery.topic == TOPIC)))
            assert {r.person_id for r in finals} == talents and len(finals) == len(talents)
            assert all(r.due_at.date() == AFTER_CLOSING.date() for r in finals)  # the first morning after the closing seminar
            card = (await core.messages.for_plan_row(s, finals[0], NOW))[0]["attachments"][0]["content"]
            kickoff = await s.scalar(
                select(PlannedDelivery).where(
                    PlannedDelivery.person_id == finals[0].person_id,
                    PlannedDelivery.activity_key == "kickoff",
                    PlannedDelivery.topic == "evaluation",
                )
            )
        assert "Levede Talent Nord 2.0 som helhed op til dine forventninger?" in str(card)
        clock.now = AFTER_CLOSING
        async with db.sessions() as s, s.begin():  # the cards went out before anyone answered them
            await s.execute(
                update(PlannedDelivery).where(PlannedDelivery.id.in_([r.id for r in finals] + [kickoff.id])).values(status="sent")
            )
        answers = ["ja", "ja", "ja", "ja", "nej"]
        for row, answer in zip(sorted(finals, key=lambda r: r.person_id), answers, strict=False):
            await core.nudging.evaluate(row.person_id, row.id, {"rating": "4", "expectations": answer})
        assert kickoff is not None  # and a per-activity answer that must not count towards the criterion
        await core.nudging.evaluate(kickoff.person_id, kickoff.id, {"rating": "2", "expectations": "nej"})
        async with db.sessions() as s:
            assert set(await s.scalars(select(Evaluation.activity_key))) == {"programme", "kickoff"}
        report = await core.reports.build("hold-2027")
        assert report.expectation_answers == 5 and report.expectations_rate == 0.8
        assert report.activity_expectation_answers == 1 and report.activity_expectations_rate == 0.0
        status = card_text(cards.render("status_summary", await core.reports.status("hold-2027")))
        assert "80 % ja af 5 svar i den afsluttende evaluering" in status and "Forventninger pr. aktivitet" in status
    finally:
        await server.close()
