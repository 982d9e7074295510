"""Once-per-period jobs: of several replicas on one database, exactly one runs the daily job per date."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import CORE, SENDER
from bot.config import Settings
from bot.services.job_runs import JobRuns
from bot.storage.db import Database
from bot.storage.models import JobRun
from scheduler.setup import DAILY_JOB_ID, daily_once, daily_retry
from tests.support import NOW, start_server

TZ = ZoneInfo("Europe/Copenhagen")


async def test_two_replicas_racing_for_a_day_run_it_once(settings: Settings) -> None:
    first, second = await start_server(settings), await start_server(settings)
    runs = [JobRuns(first.app[CORE].planner.db, "replica-a"), JobRuns(second.app[CORE].planner.db, "replica-b")]
    try:
        results = await asyncio.gather(
            *(daily_once(r, s.app[CORE], s.app[SENDER], lambda: NOW, TZ) for r, s in zip(runs, (first, second), strict=False))
        )
        assert sorted(r is None for r in results) == [False, True]  # one ran (a dict of steps), one skipped
        winner = next(r for r in results if r is not None)
        assert "nudge_reminders" in winner

        # a replica started later the same day (a restart, a deploy) does not run it again
        third = JobRuns(first.app[CORE].planner.db, "replica-c")
        assert await daily_once(third, first.app[CORE], None, lambda: NOW + timedelta(hours=8), TZ) is None
        # the next local date is a new period
        assert await daily_once(third, first.app[CORE], None, lambda: NOW + timedelta(days=1), TZ) is not None
    finally:
        await first.close()
        await second.close()
    async with runs[0].db.sessions() as session:
        rows = (await session.scalars(select(JobRun).order_by(JobRun.period))).all()
    assert [(r.job, r.period, r.finished_at is not None) for r in rows] == [
        (DAILY_JOB_ID, "2027-01-04", True),
        (DAILY_JOB_ID, "2027-01-05", True),
    ]
    assert rows[1].claimed_by == "replica-c"


async def test_many_claims_at_once_have_one_winner(db: Database, settings: Settings) -> None:
    others = [Database(settings.database_url) for _ in range(3)]
    try:
        runs = [JobRuns(d, f"w{i}") for i, d in enumerate([db, *others])]
        won = await asyncio.gather(*(r.claim("retention", "2027-01-04", NOW) for r in runs))
        assert won.count(True) == 1
    finally:
        for other in others:
            await other.dispose()


async def test_a_failed_run_gives_its_claim_back(db: Database) -> None:
    runs = JobRuns(db, "replica-a")
    calls: list[str] = []

    async def boom() -> None:
        calls.append("boom")
        raise RuntimeError("database hiccup")

    with pytest.raises(RuntimeError):
        await runs.run_once("sla", "2027-01-04", NOW, boom)

    async def fine() -> str:
        calls.append("fine")
        return "done"

    # the next attempt (here another replica) may run it, and then it is done for the day
    assert await JobRuns(db, "replica-b").run_once("sla", "2027-01-04", NOW, fine) == "done"
    assert await runs.run_once("sla", "2027-01-04", NOW, fine) is None
    assert calls == ["boom", "fine"]


async def test_a_dead_replicas_claim_is_taken_over_only_when_stale(db: Database) -> None:
    dead = JobRuns(db, "replica-killed")
    assert await dead.claim("daily", "2027-01-04", NOW)  # claimed, then killed: never finished
    alive = JobRuns(db, "replica-alive", stale_after=timedelta(hours=2))
    assert not await alive.claim("daily", "2027-01-04", NOW + timedelta(minutes=30))
    assert await alive.claim("daily", "2027-01-04", NOW + timedelta(hours=3))
    await alive.finish("daily", "2027-01-04", NOW + timedelta(hours=3))
    # a finished run is never taken over, however old
    assert not await JobRuns(db, "late").claim("daily", "2027-01-04", NOW + timedelta(hours=20))


async def _periods(db: Database) -> list[tuple[str, str, bool]]:
    async with db.sessions() as session:
        rows = (await session.execute(select(JobRun.period, JobRun.claimed_by, JobRun.finished_at).where(JobRun.job == DAILY_JOB_ID))).all()
    return sorted((period, by, finished is not None) for period, by, finished in rows)


async def test_the_days_housekeeping_is_tried_again_after_a_failed_run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    server = await start_server(settings)
    core = server.app[CORE]
    runs = JobRuns(core.planner.db, "replica-a")
    early = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)  # 07:00 in Copenhagen: before the day's run is due
    try:
        assert await daily_retry(runs, core, None, lambda: early, TZ) is None
        assert await _periods(runs.db) == []  # nothing claimed before the hour

        calls: list[str] = []
        remind = core.nudging.remind_unacted

        async def flaky(now: datetime) -> int:
            calls.append("remind")
            if len(calls) == 1:
                raise RuntimeError("database hiccup")
            return await remind(now)

        monkeypatch.setattr(core.nudging, "remind_unacted", flaky)
        with pytest.raises(RuntimeError):
            await daily_once(runs, core, None, lambda: NOW, TZ)
        assert await _periods(runs.db) == []  # the failed run gave its claim back

        later = NOW + timedelta(minutes=30)
        done = await daily_retry(JobRuns(runs.db, "replica-b"), core, None, lambda: later, TZ)
        assert done is not None and "nudge_reminders" in done
        # done for the day: the next retry, on any replica, leaves it
        assert await daily_retry(runs, core, None, lambda: later + timedelta(minutes=30), TZ) is None
        assert calls == ["remind", "remind"]
        assert await _periods(runs.db) == [("2027-01-04", "replica-b", True)]
    finally:
        await server.close()


async def test_a_killed_days_run_is_taken_over_by_a_retry_once_stale(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    server = await start_server(settings)
    core = server.app[CORE]
    try:
        assert await JobRuns(core.planner.db, "replica-killed").claim(DAILY_JOB_ID, "2027-01-04", NOW)  # never finished
        alive = JobRuns(core.planner.db, "replica-alive")
        assert await daily_retry(alive, core, None, lambda: NOW + timedelta(minutes=30), TZ) is None
        with caplog.at_level(logging.WARNING, logger="bot.services.job_runs"):
            done = await daily_retry(alive, core, None, lambda: NOW + timedelta(hours=2, minutes=30), TZ)
        assert done is not None
        assert any("taken over" in m for m in caplog.messages)
        assert await _periods(alive.db) == [("2027-01-04", "replica-alive", True)]
    finally:
        await server.close()
