"""Shared fixtures: settings on a temp SQLite (or PostgreSQL), the real app on loopback, a fake connector.

Helpers that are not fixtures live in tests/support/ (`from tests.support import ...`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import REPO_ROOT, Settings
from bot.content.programme import load_programme
from bot.domain.programme import Programme
from bot.storage.db import Database
from tests.fakes.connector import FakeConnector
from tests.support import Server, database_url, pgdb, seed, start_server
from tests.support.database import _pg_databases


@pytest.fixture
def programme() -> Programme:
    return load_programme(REPO_ROOT / "content")


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


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Server]:
    srv = await start_server(settings)
    yield srv
    await srv.close()


@pytest.fixture
async def seeded(db: Database, programme: Any) -> Database:
    await seed(db, programme)
    return db


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The test's settings, with DATABASE_URL exported for `python -m bot` subprocesses."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    return settings
