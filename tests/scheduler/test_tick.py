"""The plan tick on a failing database: one error in the log, then quiet ticks through a growing pause."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pytest

from bot.storage.trouble import Trouble
from scheduler import jobs
from tests.support import NOW


class BrokenPlanner:
    """A planner whose database fails every write (a read-only or lost database)."""

    def __init__(self) -> None:
        self.calls = 0
        self.broken = True

    async def release_due(self, now: datetime) -> int:
        self.calls += 1
        if self.broken:
            raise OSError("disk I/O error")
        return 2


async def test_the_tick_logs_a_failing_database_once_and_waits_out_the_pause(caplog: pytest.LogCaptureFixture) -> None:
    planner: Any = BrokenPlanner()
    caplog.set_level(logging.INFO, logger="scheduler.jobs")
    # the pause on a clock the test moves: however slowly these ticks run, no time passes between them
    now = [1000.0]
    jobs._TICK_TROUBLE[planner] = Trouble("plan tick", jobs.log, clock=lambda: now[0])
    for _ in range(5):  # ticks every few seconds; within the first pause only one reaches the database
        assert await jobs.tick(planner, None, lambda: NOW) == 0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and planner.calls == 1
    now[0] += 1.0  # the first pause (1 s) is over: one more try, still failing, and quiet
    for _ in range(5):
        assert await jobs.tick(planner, None, lambda: NOW) == 0
    assert planner.calls == 2 and len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


async def test_the_tick_says_once_when_the_database_works_again(caplog: pytest.LogCaptureFixture) -> None:
    planner: Any = BrokenPlanner()
    caplog.set_level(logging.INFO, logger="scheduler.jobs")
    assert await jobs.tick(planner, None, lambda: NOW) == 0
    jobs._TICK_TROUBLE[planner]._until = 0.0  # the pause is over
    planner.broken = False
    assert await jobs.tick(planner, None, lambda: NOW) == 2
    assert await jobs.tick(planner, None, lambda: NOW) == 2
    recovered = [r for r in caplog.records if "works again" in r.getMessage()]
    assert len(recovered) == 1
