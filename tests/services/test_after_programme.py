"""After the programme: buddy meetings say nothing of 'det seneste modul', and a leader of two talents gets one alumni invitation."""

from __future__ import annotations

from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import CORE
from bot.storage.db import Database
from bot.storage.models import Membership, PlannedDelivery
from tests.fakes.connector import card_text
from tests.support import NOW, Clock, seed, start_server

CPH = ZoneInfo("Europe/Copenhagen")


async def test_post_programme_meetings_and_one_alumni_invitation_per_leader(db: Database, settings: Any, programme: Any) -> None:
    await seed(db, programme)
    server = await start_server(settings, Clock(NOW))
    core = server.app[CORE]
    try:
        await core.planner.replan("hold-2027")
        await core.buddies.suggest("hold-2027")
        async with db.sessions() as s:
            talents_per_leader = Counter(m.leader_id for m in await s.scalars(select(Membership).where(Membership.role == "talent")))
            busy = next(leader for leader, n in talents_per_leader.items() if n >= 2)  # the demo roster has one
            alumni = list(
                await s.scalars(select(PlannedDelivery).where(PlannedDelivery.topic == "alumni", PlannedDelivery.person_id == busy))
            )
            assert len(alumni) == 1
            invitation = card_text((await core.messages.nudge_card(s, alumni[0], CPH)).data)
            meetings = sorted(await s.scalars(select(PlannedDelivery).where(PlannedDelivery.topic == "buddy-meeting")), key=lambda r: r.seq)
            texts = {r.seq: card_text((await core.messages.nudge_card(s, r, CPH)).data) for r in meetings}
        assert " – " not in invitation.splitlines()[0]  # not addressed as about one of the two talents
        assert all("det seneste modul" in texts[n] for n in (1, 2, 3, 4))
        assert all("det seneste modul" not in texts[n] and "efter programmet" in texts[n] for n in (5, 6))
    finally:
        await server.close()
