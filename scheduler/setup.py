"""The APScheduler instance: explicit job ids, one run at a time, deliberate misfire handling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.outbox.sender import Sender
from bot.services.core import Core
from bot.services.job_runs import JobRuns
from bot.storage.db import Database
from scheduler import jobs
from scheduler.in_flight import JobsInFlight

TICK_JOB_ID = "plan-tick"
DAILY_JOB_ID = "daily-housekeeping"
DAILY_AT = time(7, 45)  # local time of the daily housekeeping
DAILY_RETRY_JOB_ID = "daily-housekeeping-retry"
# How often every replica tries the day's housekeeping again after DAILY_AT: a run that failed gave
# its claim back, and a replica killed mid-run leaves one that is taken over once stale (JobRuns).
DAILY_RETRY_MINUTES = 30
QUESTION_SLA_JOB_ID = "question-sla"
# Working hours only grow in working hours, so a question falls due then; checked this often, the
# reminder reaches the instructors within minutes of its deadline instead of at the next daily run.
QUESTION_SLA_MINUTES = 15
LINK_CHECK_JOB_ID = "link-check"
LINK_CHECK_HOURS = 6  # each window's check is claimed by one replica (job_runs); a fixed link shows fixed within this
LINK_CHECK_POLL_MINUTES = 20  # how often every replica tries to claim the current window


def create_scheduler(
    core: Core,
    sender: Sender | None,
    clock: Callable[[], datetime],
    tick_seconds: float,
    timezone: str,
    *,
    db: Database | None = None,
    worker_id: str | None = None,
    in_flight: JobsInFlight | None = None,
) -> AsyncIOScheduler:
    """A scheduler with the plan tick. Its state lives in our plan table, so a memory job store is right:
    a restart recomputes nothing and the first tick catches up whatever fell due while we were down.

    With `in_flight` every job's run is tracked there, for the server's shutdown to wait for."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    run = in_flight.track if in_flight is not None else _as_is
    scheduler.add_job(
        run(jobs.tick),
        "interval",
        seconds=tick_seconds,
        args=(core.planner, sender, clock, core.broadcaster),
        id=TICK_JOB_ID,
        replace_existing=True,
        max_instances=1,  # a slow tick is not overlapped by the next
        coalesce=True,  # missed ticks collapse into one: the tick itself catches up
        misfire_grace_time=None,  # run late rather than never
        next_run_time=clock(),  # first tick at start: catch up after downtime
    )
    scheduler.add_job(
        run(jobs.question_sla),
        "interval",
        minutes=QUESTION_SLA_MINUTES,
        args=(core, sender, clock),
        id=QUESTION_SLA_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,  # a late check is still right: the deadline is in the data, not the run time
        # Every replica runs it: each reminder is claimed on its question row (reminded_at, set by a
        # conditional UPDATE) and keyed in the outbox, so two replicas never remind twice.
    )
    runs = JobRuns(db or core.planner.db, worker_id or (sender.worker_id if sender is not None else "scheduler"))
    daily_args = (runs, core, sender, clock, ZoneInfo(timezone))  # the day's run and its retries
    scheduler.add_job(
        run(daily_once),
        "cron",
        hour=DAILY_AT.hour,
        minute=DAILY_AT.minute,
        args=daily_args,
        id=DAILY_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,  # a morning restart still runs it; a missed day is caught up at start
        next_run_time=clock(),
    )
    scheduler.add_job(
        run(daily_retry),
        "interval",
        minutes=DAILY_RETRY_MINUTES,
        args=daily_args,
        id=DAILY_RETRY_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        run(links_once),
        "interval",
        minutes=LINK_CHECK_POLL_MINUTES,
        args=(runs, core, clock),
        id=LINK_CHECK_JOB_ID,
        replace_existing=True,
        max_instances=1,  # a slow check (hanging hosts) is never overlapped by the next
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=clock(),  # checked soon after start; the claim keeps a restart from checking twice
    )
    return scheduler


def _as_is(job: Any) -> Any:
    return job


def link_window(now: datetime) -> str:
    """The LINK_CHECK_HOURS window `now` is in (UTC), e.g. '2027-01-04T06': the job_runs period."""
    utc = now.astimezone(UTC)
    return f"{utc.date().isoformat()}T{utc.hour // LINK_CHECK_HOURS * LINK_CHECK_HOURS:02d}"


async def links_once(runs: JobRuns, core: Core, clock: Callable[[], datetime]) -> int | None:
    """The material link check of the current window, run by the one replica that claims it (in the background: pages only read)."""
    now = clock()
    return await runs.run_once(LINK_CHECK_JOB_ID, link_window(now), now, lambda: jobs.link_check(core, clock))


async def daily_once(
    runs: JobRuns, core: Core, sender: Sender | None, clock: Callable[[], datetime], tz: ZoneInfo
) -> dict[str, int] | None:
    """The daily housekeeping, run by the one replica that claims today's date (every replica calls this)."""
    now = clock()
    return await runs.run_once(DAILY_JOB_ID, now.astimezone(tz).date().isoformat(), now, lambda: jobs.daily(core, sender, clock))


async def daily_retry(
    runs: JobRuns, core: Core, sender: Sender | None, clock: Callable[[], datetime], tz: ZoneInfo
) -> dict[str, int] | None:
    """Today's housekeeping once more, after DAILY_AT, when no run of it finished: its claim was given back or went stale."""
    now = clock()
    if now.astimezone(tz).time() < DAILY_AT:
        return None  # before the day's run is due; a start before then has run it already
    return await daily_once(runs, core, sender, clock, tz)
