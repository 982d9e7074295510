"""A stranger who writes to the demo bot joins the demo cohort as a talent and gets their own plan at once, only theirs."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.appkeys import CORE
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import Membership, Person, PlannedDelivery
from tests.fakes.connector import FakeConnector
from tests.support import personal_message, start_server

NEWCOMER = "newcomer@elsewhere.example"


async def _plan(db: Database) -> dict[str, tuple[object, ...]]:
    async with db.sessions() as s:
        rows = await s.execute(select(PlannedDelivery.key, PlannedDelivery.person_id, PlannedDelivery.due_at, PlannedDelivery.status))
        return {key: tuple(rest) for key, *rest in rows.all()}


async def test_a_demo_newcomer_gets_their_plan_and_no_one_elses_rows_are_replanned(
    seeded: Database, settings: Settings, connector: FakeConnector
) -> None:
    server = await start_server(replace(settings, demo_cohort="hold-2027"))
    try:
        planner = server.app[CORE].planner
        await planner.replan("hold-2027")
        before = await _plan(seeded)
        activity = personal_message("næste", connector)
        connector.know(activity["from"], NEWCOMER)
        await server.post(activity)
        async with seeded.sessions() as s:
            newcomer = await s.scalar(select(Person.id).where(Person.email == NEWCOMER))
            leader = await s.scalar(select(Membership.leader_id).where(Membership.person_id == newcomer))
        assert newcomer is not None and leader is not None
        assert planner.scoped == {newcomer, leader}  # the demo's leader is theirs: the nudges about them
        after = await _plan(seeded)
        changed = {key for key in after if after[key] != before.get(key)}
        assert {after[key][0] for key in changed} == {newcomer, leader}
        full = await planner.replan("hold-2027")
        assert (full.added, full.moved, full.dropped) == (0, 0, 0), full
    finally:
        await server.close()
