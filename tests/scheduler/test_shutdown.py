"""A server stopped while its jobs run: they finish, or are cut short with a warning, before the database closes."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

import app as app_module
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import JobRun
from scheduler import jobs
from scheduler.setup import DAILY_JOB_ID
from tests.support import start_server


async def _daily_claims(db: Database) -> list[tuple[str, bool]]:
    async with db.sessions() as s:
        rows = (await s.execute(select(JobRun.period, JobRun.finished_at).where(JobRun.job == DAILY_JOB_ID))).all()
    return [(period, finished is not None) for period, finished in rows]


async def _server_with_a_daily_job_of(
    seconds: float, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, asyncio.Event, list[str]]:
    """The real app with its scheduler; the daily housekeeping (run at start) takes `seconds`."""
    running, finished = asyncio.Event(), []

    async def slow_daily(*_: Any) -> dict[str, int]:
        running.set()
        await asyncio.sleep(seconds)
        finished.append("daily")
        return {}

    monkeypatch.setattr(jobs, "daily", slow_daily)
    # the real clock: the jobs' first runs are due at the clock's now, which APScheduler waits for in real time
    server = await start_server(settings, lambda: datetime.now(UTC), background=True)
    await asyncio.wait_for(running.wait(), 30)
    return server, running, finished


async def test_a_job_still_running_at_shutdown_is_cut_short_with_a_warning_and_gives_its_claim_back(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app_module, "SHUTDOWN_WAIT_SECONDS", 0.3)
    server, _running, finished = await _server_with_a_daily_job_of(60, settings, monkeypatch)
    assert [done for _, done in await _daily_claims(db)] == [False]  # claimed, running
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await asyncio.wait_for(server.close(), 15)
    assert finished == []
    assert "job daily_once cut short by shutdown" in caplog.messages
    # before: APScheduler's ERROR with a CancelledError traceback, logged after the database had closed
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await _daily_claims(db) == []  # given back while the database was open: the next start runs it


async def test_a_job_that_ends_within_the_wait_is_let_finish(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    server, _running, finished = await _server_with_a_daily_job_of(0.5, settings, monkeypatch)
    with caplog.at_level(logging.INFO):
        await asyncio.wait_for(server.close(), 15)
    assert finished == ["daily"]
    assert not any("cut short" in m for m in caplog.messages)
    assert [done for _, done in await _daily_claims(db)] == [True]
