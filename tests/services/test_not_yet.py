"""Evaluations, 'Holdt ✔' and snooze only for what has happened: a row not sent, or not yet due, is refused in Danish."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.appkeys import CORE
from bot.services.errors import ActionError
from bot.storage.db import Database
from bot.storage.models import Evaluation, Person, PlannedDelivery
from tests.support import ANNA, NOW, Clock, Server, seed, start_server

ANSWER = {"rating": "5", "expectations": "ja", "comment": ""}


@pytest.fixture
async def world(db: Database, programme: Any, settings: Any) -> AsyncIterator[Server]:
    """The example cohort planned on 4 January 2027: nothing of it has happened yet."""
    await seed(db, programme)
    server = await start_server(settings, Clock(NOW))
    await server.app[CORE].planner.replan("hold-2027")
    yield server
    await server.close()


async def _anna(db: Database) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Person.id).where(Person.email == ANNA))


async def _row(db: Database, kind: str, **extra: Any) -> PlannedDelivery:
    """Anna's last row of this kind (an activity's evaluation for surveys), months ahead, with extra set."""
    async with db.sessions() as s:
        query = select(PlannedDelivery).where(
            PlannedDelivery.person_id == await _anna(db), PlannedDelivery.kind == kind, PlannedDelivery.due_at > NOW
        )
        if kind == "survey":  # an activity's evaluation, not the readiness card
            query = query.where(PlannedDelivery.activity_key.is_not(None))
        row = await s.scalar(query.order_by(PlannedDelivery.due_at.desc()))
        assert row is not None
        for name, value in extra.items():
            setattr(row, name, value)
        await s.commit()
        return row


async def _evaluations(db: Database) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(Evaluation))


async def test_an_activity_years_ahead_cannot_be_evaluated_today(world: Server, db: Database) -> None:
    row = await _row(db, "survey")
    with pytest.raises(ActionError, match="ikke sket endnu"):
        await world.app[CORE].nudging.evaluate(await _anna(db), row.id, ANSWER)
    assert await _evaluations(db) == 0


async def test_a_row_marked_sent_before_its_moment_is_still_refused(world: Server, db: Database) -> None:
    row = await _row(db, "survey", status="sent")
    with pytest.raises(ActionError, match="ikke sket endnu"):
        await world.app[CORE].nudging.evaluate(await _anna(db), row.id, ANSWER)
    assert await _evaluations(db) == 0


async def test_a_survey_that_went_out_after_its_activity_is_taken(world: Server, db: Database) -> None:
    row = await _row(db, "survey", status="sent", due_at=NOW)
    await world.app[CORE].nudging.evaluate(await _anna(db), row.id, ANSWER)
    assert await _evaluations(db) == 1


async def test_holdt_is_refused_for_a_meeting_not_yet_due(world: Server, db: Database) -> None:
    row = await _row(db, "nudge")
    with pytest.raises(ActionError, match="ikke sket endnu"):
        await world.app[CORE].nudging.done(await _anna(db), row.id)
    async with db.sessions() as s:
        assert (await s.get(PlannedDelivery, row.id)).action is None


async def test_snooze_is_refused_for_a_nudge_not_yet_sent(world: Server, db: Database) -> None:
    row = await _row(db, "nudge")
    with pytest.raises(ActionError, match="ikke sket endnu"):
        await world.app[CORE].nudging.snooze(await _anna(db), row.id, 1)
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(PlannedDelivery).where(PlannedDelivery.key.like(f"{row.key}/snooze/%"))) == 0
