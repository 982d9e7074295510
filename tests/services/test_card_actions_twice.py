"""Every card action is idempotent: a double-click (two at once) gives the same refreshed card and one row."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.services.core import Core, build_core
from bot.storage.db import Database
from bot.storage.models import DevelopmentPlan, DevelopmentPlanRevision, Evaluation, Person, PlannedDelivery, Progress
from tests.support import NOW, seed

ANNA = "anna.talent@aalborg.example"


@pytest.fixture
async def core(db: Database, programme: Any, settings: Settings) -> Core:
    """The example cohort, planned, its nudges and surveys sent and due (so their cards can be clicked)."""
    await seed(db, programme)
    services = build_core(db, settings, lambda: NOW)
    await services.learning.ensure_published()
    await services.planner.replan("hold-2027")
    async with db.sessions() as s, s.begin():
        for row in await s.scalars(select(PlannedDelivery).where(PlannedDelivery.kind.in_(("nudge", "survey")))):
            row.status, row.due_at = "sent", NOW  # as if their moment had come
    return services


async def _anna(db: Database) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Person.id).where(Person.email == ANNA))


async def _row(db: Database, person_id: int, kind: str) -> int:
    async with db.sessions() as s:
        query = select(PlannedDelivery.id).where(PlannedDelivery.person_id == person_id, PlannedDelivery.kind == kind)
        if kind == "survey":
            query = query.where(PlannedDelivery.activity_key.is_not(None), PlannedDelivery.topic != "readiness")
        return await s.scalar(query.order_by(PlannedDelivery.due_at).limit(1))


async def _count(db: Database, model: Any, *where: Any) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_seen_twice_at_once(core: Core, db: Database) -> None:
    anna = await _anna(db)
    first, second = await asyncio.gather(*(core.learning.mark_seen(anna, "m1", "intro") for _ in range(2)))
    assert first.reply == second.reply
    assert await _count(db, Progress, Progress.person_id == anna) == 1


async def test_snooze_thirty_times_leaves_one_pending_snooze(core: Core, db: Database) -> None:
    anna = await _anna(db)
    nudge = await _row(db, anna, "nudge")
    cards = await asyncio.gather(*(core.nudging.snooze(anna, nudge, 1) for _ in range(2)))
    for _ in range(28):
        cards.append(await core.nudging.snooze(anna, nudge, 1))
    assert all(card == cards[0] for card in cards)
    async with db.sessions() as s:
        key = await s.scalar(select(PlannedDelivery.key).where(PlannedDelivery.id == nudge))
    pending = PlannedDelivery.key.like(f"{key}/snooze/%"), PlannedDelivery.status == "planned"
    assert await _count(db, PlannedDelivery, *pending) == 1


async def test_evaluate_twice_at_once(core: Core, db: Database) -> None:
    anna = await _anna(db)
    survey = await _row(db, anna, "survey")
    answer = {"rating": "4", "expectations": "ja", "comment": "Godt modul"}
    first, second = await asyncio.gather(*(core.nudging.evaluate(anna, survey, answer) for _ in range(2)))
    assert first == second
    assert await _count(db, Evaluation, Evaluation.person_id == anna) == 1


async def test_first_plan_save_twice_at_once(core: Core, db: Database) -> None:
    anna = await _anna(db)
    answer = {"aim": "vertical", "individual": "Lede ledere", "team": "", "organisation": "", "notes": ""}
    first, second = await asyncio.gather(*(core.growth.save_plan(anna, answer) for _ in range(2)))
    assert first == second
    assert await _count(db, DevelopmentPlan, DevelopmentPlan.person_id == anna) == 1
    assert await _count(db, DevelopmentPlanRevision) == 1
