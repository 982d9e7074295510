"""On a test's timeout: dump every asyncio task's stack and, on PostgreSQL, what each backend waits for."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable
from typing import TypeVar

from sqlalchemy import text

from bot.storage.db import Database

T = TypeVar("T")

ACTIVITY = text(
    "SELECT a.pid, a.state, a.wait_event_type, a.wait_event, now() - a.xact_start AS xact_age, "
    "pg_blocking_pids(a.pid) AS blocked_by, left(a.query, 200) AS query "
    "FROM pg_stat_activity a WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()"
)
LOCKS = text(
    "SELECT l.pid, l.locktype, l.relation::regclass::text AS rel, l.mode, l.granted "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE a.datname = current_database() AND l.pid <> pg_backend_pid() AND l.locktype <> 'virtualxid'"
)


async def diagnose(url: str) -> str:
    """Every task's stack, plus pg_stat_activity and pg_locks from a separate connection (PostgreSQL)."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        out.write(f"--- {task!r}\n")
        task.print_stack(file=out)
    if not url.startswith("sqlite"):
        probe = Database(url)
        try:
            async with probe.engine.connect() as conn:
                out.write("--- pg_stat_activity\n")
                for line in (await conn.execute(ACTIVITY)).all():
                    out.write(f"{tuple(line)}\n")
                out.write("--- pg_locks\n")
                for line in (await conn.execute(LOCKS)).all():
                    out.write(f"{tuple(line)}\n")
        finally:
            await probe.dispose()
    return out.getvalue()


async def bounded(work: Awaitable[T], seconds: float, url: str) -> T:
    """Await work for at most this long; on timeout print the diagnosis to stderr, then raise TimeoutError."""
    future = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({future}, timeout=seconds)
    if not done:
        sys.stderr.write(await diagnose(url))
        future.cancel()
        raise TimeoutError(f"still running after {seconds} s (diagnosis on stderr)")
    return future.result()
