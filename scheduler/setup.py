"""The APScheduler instance: explicit job ids, one run at a time, deliberate misfire handling."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery.sender import Sender
from bot.services.core import Core
from scheduler import jobs

TICK_JOB_ID = "plan-tick"
DAILY_JOB_ID = "daily-housekeeping"


def create_scheduler(
    core: Core,
    sender: Sender | None,
    clock: Callable[[], datetime],
    tick_seconds: float,
    timezone: str,
) -> AsyncIOScheduler:
    """A scheduler with the plan tick. Its state lives in our plan table, so a memory job store is right:
    a restart recomputes nothing and the first tick catches up whatever fell due while we were down."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    scheduler.add_job(
        jobs.tick,
        "interval",
        seconds=tick_seconds,
        args=(core.planner, sender, clock),
        id=TICK_JOB_ID,
        replace_existing=True,
        max_instances=1,  # a slow tick is not overlapped by the next
        coalesce=True,  # missed ticks collapse into one: the tick itself catches up
        misfire_grace_time=None,  # run late rather than never
        next_run_time=clock(),  # first tick at start: catch up after downtime
    )
    scheduler.add_job(
        jobs.daily,
        "cron",
        hour=7,
        minute=45,
        args=(core, sender, clock),
        id=DAILY_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,  # a morning restart still runs it; a missed day is caught up at start
        next_run_time=clock(),
    )
    return scheduler
