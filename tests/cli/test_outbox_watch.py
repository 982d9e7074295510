"""`outbox status --watch` follows a broadcast until every message is out; `roster sync` progress is in test_graph_sync."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from bot.config import REPO_ROOT, Settings
from bot.delivery.connector import ConnectorClient, NoToken
from bot.outbox.sender import Sender, utcnow
from bot.services.broadcasts import Broadcaster
from bot.storage.db import Database
from tests.fakes.connector import FakeConnector
from tests.support import seed, store_chats


async def _cli(settings: Settings, *args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_watch_follows_the_newest_broadcast_to_the_end(
    db: Database, programme: Any, settings: Settings, connector: FakeConnector
) -> None:
    await seed(db, programme)
    await store_chats(db, connector.url)
    result = await Broadcaster(db, utcnow).broadcast("hold-2027", "Husk kaffe", "all", "Lars")
    assert result.queued >= 5
    watch = await _cli(settings, "outbox", "status", "--watch", "--interval", "0.1")
    assert watch.stdout is not None
    first = (await asyncio.wait_for(watch.stdout.readline(), timeout=60)).decode()
    assert first.strip() == f"broadcast 1: 0/{result.queued} sent, {result.queued} waiting, 0 dead, 0 unreachable"
    client = ConnectorClient(NoToken(), concurrency=4)
    try:
        sender = Sender(db, client, rate_per_second=20)
        while await sender.drain_once():
            pass
    finally:
        await client.close()
    rest, err = await asyncio.wait_for(watch.communicate(), timeout=60)
    assert watch.returncode == 0, err.decode()
    lines = [first.strip(), *rest.decode().splitlines()]
    assert lines[-1] == f"broadcast 1: {result.queued}/{result.queued} sent, 0 waiting, 0 dead, 0 unreachable"
    assert len(lines) == len(set(lines))  # a line when something changed, not one per look


async def test_watch_without_any_broadcast_says_so(db: Database, settings: Settings) -> None:
    proc = await _cli(settings, "outbox", "status", "--watch")
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 1 and out == b"" and "no broadcast has been sent yet" in err.decode()
    proc = await _cli(settings, "outbox", "status", "--watch", "--broadcast", "42")
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 1 and "no broadcast 42" in err.decode()
