"""Incremental re-planning: a calendar change of one activity computes and rewrites only the rows anchored to it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import REPO_ROOT, Settings
from bot.content.cohort import load_cohort
from bot.content.programme import load_programme
from bot.domain.roster import parse_roster
from bot.services.core import Core, build_core
from bot.storage.db import Database
from bot.storage.models import PlannedDelivery
from tests.support import EXAMPLE

CALENDAR = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"
# activity -> (old, new) text of its dates: a module (the nudges between modules end at its day 1), the
# readiness cards' anchor, the final evaluation's, and an activity with one session
MOVES = {
    "m3": [("2027-04-20T", "2027-04-27T"), ("2027-05-18T", "2027-05-25T")],
    "m6": [("2027-11-23T", "2027-11-30T")],
    "closing": [("2027-12-07T", "2027-12-09T")],
    "kickoff": [("2027-01-12T", "2027-01-13T")],
}


def _calendar(tmp_path: Path, moves: list[tuple[str, str]]) -> Path:
    text = CALENDAR.read_text(encoding="utf-8")
    for old, new in moves:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "cohort.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def _plan(db: Database) -> dict[str, tuple[object, ...]]:
    async with db.sessions() as s:
        rows = await s.execute(
            select(PlannedDelivery.key, PlannedDelivery.due_at, PlannedDelivery.not_after, PlannedDelivery.seq, PlannedDelivery.status)
        )
        return {key: rest for key, *rest in rows.all()}


async def _seed(settings: Settings) -> tuple[Database, Core]:
    db = Database(settings.database_url)
    await db.upgrade()
    core = build_core(db, settings, lambda: datetime(2026, 12, 1, tzinfo=UTC))
    await core.learning.ensure_published()
    await core.roster.import_cohort(load_cohort(CALENDAR, core.programme))
    rows = parse_roster((EXAMPLE / "roster.csv").read_text(encoding="utf-8"), "roster.csv")
    await core.roster.import_roster("hold-2027", rows, "roster.csv", prune=False)
    await core.buddies.suggest("hold-2027")  # buddy meetings: the nudges between modules, which end at the next one
    await core.planner.replan("hold-2027")
    return db, core


@pytest.mark.parametrize("activity", sorted(MOVES))
def test_a_moved_activity_replans_only_its_rows_and_ends_where_a_whole_replan_would(
    settings: Settings, tmp_path: Path, activity: str
) -> None:
    async def scenario() -> None:
        db, core = await _seed(settings)
        whole = core.planner.computed
        before = await _plan(db)
        spec = load_cohort(_calendar(tmp_path, MOVES[activity]), load_programme(settings.content_dir))
        state = await core.planner.calendar_state("hold-2027")
        await core.roster.import_cohort(spec)
        summary = await core.planner.replan_after_import("hold-2027", state)
        computed = core.planner.computed
        after = await _plan(db)
        # what changed is the rows of the moved activity, and nothing outside what was computed
        changed = {key for key in after if after[key] != before.get(key)}
        assert changed and summary.moved + summary.added == len(changed)
        assert computed < whole / 2, (computed, whole)
        # the spec: a whole re-plan from here finds nothing to do
        full = await core.planner.replan("hold-2027")
        assert (full.added, full.moved, full.dropped) == (0, 0, 0), full
        await db.dispose()

    asyncio.run(scenario())


def test_a_calendar_import_with_other_changes_replans_the_whole_cohort(settings: Settings, tmp_path: Path) -> None:
    async def scenario() -> None:
        db, core = await _seed(settings)
        whole = core.planner.computed
        text = CALENDAR.read_text(encoding="utf-8").replace("timezone: Europe/Copenhagen", "timezone: Europe/Oslo")
        path = tmp_path / "oslo.yaml"
        path.write_text(text, encoding="utf-8")
        state = await core.planner.calendar_state("hold-2027")
        await core.roster.import_cohort(load_cohort(path, core.programme))
        await core.planner.replan_after_import("hold-2027", state)
        assert core.planner.computed == whole  # the time zone moves every row: no scope
        await db.dispose()

    asyncio.run(scenario())
