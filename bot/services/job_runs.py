"""Once-per-period jobs across replicas: the first replica to claim (job, period) runs it.

A claim is a row in `job_runs` with (job, period) as its primary key, inserted with
INSERT … ON CONFLICT DO NOTHING: on SQLite and PostgreSQL alike exactly one insert wins,
and the row outlives restarts, so a replica that starts later the same day does not run the
daily job again (an advisory lock would only stop two runs at the same moment). A run that
fails gives its claim back, so the next attempt (any replica) may run it; a claim whose
replica died mid-run (no finished_at) can be taken over once it is `stale_after` old.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, update

from bot.storage.db import Database, dialect_insert
from bot.storage.models import JobRun

log = logging.getLogger(__name__)
T = TypeVar("T")


class JobRuns:
    """Claims (job, period) pairs for one worker (a replica's sender id, say)."""

    def __init__(self, db: Database, worker_id: str, *, stale_after: timedelta = timedelta(hours=2)) -> None:
        self.db = db
        self.worker_id = worker_id[:100]
        self.stale_after = stale_after

    def _insert(self) -> Any:
        return dialect_insert(JobRun, is_sqlite=self.db.is_sqlite)

    async def claim(self, job: str, period: str, now: datetime) -> bool:
        """True when this worker now owns (job, period): nobody had it, or its owner died long ago."""
        async with self.db.sessions() as session, session.begin():
            won = await session.scalar(
                self._insert()
                .values(job=job, period=period, claimed_by=self.worker_id, claimed_at=now)
                .on_conflict_do_nothing(index_elements=["job", "period"])
                .returning(JobRun.job)
            )
            if won is not None:
                return True
            # Taken over only when unfinished and old: the conditions in the WHERE make two
            # replicas racing for the same stale claim end with one winner (the row lock decides).
            taken = await session.scalar(
                update(JobRun)
                .where(JobRun.job == job, JobRun.period == period, JobRun.finished_at.is_(None), JobRun.claimed_at < now - self.stale_after)
                .values(claimed_by=self.worker_id, claimed_at=now)
                .returning(JobRun.job)
            )
            if taken is not None:
                log.warning("job %s for %s taken over from a replica that did not finish it", job, period)
            return taken is not None

    async def finish(self, job: str, period: str, now: datetime) -> None:
        """Mark this worker's run of (job, period) done."""
        async with self.db.sessions() as session, session.begin():
            await session.execute(
                update(JobRun)
                .where(JobRun.job == job, JobRun.period == period, JobRun.claimed_by == self.worker_id)
                .values(finished_at=now)
            )

    async def release(self, job: str, period: str) -> None:
        """Give back this worker's unfinished claim (its run failed), so a later attempt may run it."""
        async with self.db.sessions() as session, session.begin():
            await session.execute(
                delete(JobRun).where(
                    JobRun.job == job, JobRun.period == period, JobRun.claimed_by == self.worker_id, JobRun.finished_at.is_(None)
                )
            )

    async def run_once(self, job: str, period: str, now: datetime, work: Callable[[], Awaitable[T]]) -> T | None:
        """Run work() if this worker wins (job, period); None when another replica has (or had) it."""
        if not await self.claim(job, period, now):
            # DEBUG: every replica polls the link check and the day's retry, and all but one skip each time
            log.debug("job %s for %s already claimed (running or done); skipped", job, period)
            return None
        try:
            result = await work()
        except BaseException:
            await self.release(job, period)
            raise
        await self.finish(job, period, now)
        return result
