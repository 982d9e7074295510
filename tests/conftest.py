"""Shared fixtures: settings on a temp SQLite (or PostgreSQL), the real app on loopback, a fake connector."""
from __future__ import annotations

import copy
import json
import os
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

import cards
from app import create_app
from bot.config import REPO_ROOT, Settings
from bot.content.programme import load_programme
from bot.domain.programme import Programme
from bot.services.reply import Reply
from bot.storage.db import Database
from bot.storage.models import Conversation, Person
from tests import pgdb
from tests.fakes.connector import FakeConnector

SHARED = REPO_ROOT.parent / "shared"
REFERENCE = SHARED / "reference"
ACTIVITIES = REFERENCE / "teams-activities"
SCHEMAS = REFERENCE / "schemas"

# A fixed "now" for tests that depend on the calendar: Monday 4 January 2027, 10:00 in Copenhagen.
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)


def require_shared(path: Path) -> Path:
    """The path under ../shared, or skip the test with a clear message when it is absent."""
    if not path.exists():
        pytest.skip(f"needs {path} (the shared reference data beside the repo); not present here")
    return path


def rendered(reply: Reply) -> dict[str, Any]:
    """A service's reply as the card Teams would show (services return data; the edges render)."""
    return cards.render(reply.card, reply.data)


def teams_activity(name: str, **overrides: Any) -> dict[str, Any]:
    """A real Teams payload from ../shared/reference/teams-activities, with top-level overrides."""
    path = require_shared(ACTIVITIES / f"{name}.json")
    activity = json.loads(path.read_text(encoding="utf-8"))
    activity = copy.deepcopy(activity)
    activity.update(overrides)
    return activity


def personal_chat(person_id: int, service_url: str) -> Conversation:
    """A stored 1:1 chat `a:<person id>` with the bot, as an install or the Graph sync leaves it."""
    cid = f"a:{person_id}"
    return Conversation(conversation_id=cid, kind="personal", person_id=person_id, service_url=service_url,
                        reference={"conversation": {"id": cid}})


async def store_chats(db: Database, service_url: str) -> None:
    """Everyone on the roster has opened the chat with the bot."""
    async with db.sessions() as s, s.begin():
        for person in await s.scalars(select(Person)):
            s.add(personal_chat(person.id, service_url))


@pytest.fixture
def programme() -> Programme:
    return load_programme(REPO_ROOT / "content")


_pg_databases: dict[Path, str] = {}


def database_url(tmp_path: Path) -> str:
    """A fresh migrated database per test: on TEST_DATABASE_URL's PostgreSQL cluster, else a SQLite file."""
    base = pgdb.pg_url()
    if base is None:
        return os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    if tmp_path not in _pg_databases:  # the same database for every call within one test
        _pg_databases[tmp_path] = pgdb.fresh_database(base)
    return _pg_databases[tmp_path]


@pytest.fixture(autouse=True)
def _drop_pg_databases() -> Iterator[None]:
    """On PostgreSQL, drop the databases this test made (each test starts from an empty copy)."""
    yield
    base = pgdb.pg_url()
    if base is not None:
        _pg_databases.clear()
        pgdb.drop_created(base)


def pytest_sessionfinish(session: pytest.Session) -> None:
    base = pgdb.pg_url()
    if base is not None:
        pgdb.drop_template(base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(Settings.from_env({}), database_url=database_url(tmp_path))


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


class Server:
    """The real aiohttp app on a loopback port."""

    def __init__(self, runner: web.AppRunner, url: str, app: web.Application) -> None:
        self.runner = runner
        self.url = url
        self.app = app
        self.http = aiohttp.ClientSession()

    async def post(self, activity: dict[str, Any] | bytes | str, headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        """POST an activity (dict as JSON; bytes/str sent raw) to /api/messages."""
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        data = json.dumps(activity) if isinstance(activity, dict) else activity
        async with self.http.post(self.url + "/api/messages", data=data, headers=hdrs) as resp:
            await resp.read()
            return resp

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.url + path) as resp:
            body = await resp.json() if resp.content_type == "application/json" else await resp.text()
            return resp.status, body

    async def close(self) -> None:
        await self.http.close()
        await self.runner.cleanup()


async def start_server(
    settings: Settings, clock: Callable[[], datetime] = lambda: NOW, *, background: bool = False
) -> Server:
    """Start create_app(settings) on 127.0.0.1 with an ephemeral port (no scheduler unless asked)."""
    app = create_app(settings, clock=clock, background=background)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Server(runner, f"http://127.0.0.1:{port}", app)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Server]:
    srv = await start_server(settings)
    yield srv
    await srv.close()
