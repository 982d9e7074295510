"""A fresh PostgreSQL database per test: copies of a template migrated once per test run.

`CREATE DATABASE … TEMPLATE` copies files, so a migrated database costs a few tens of
milliseconds instead of a full `alembic upgrade` per test, and every test starts empty.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from bot.storage.db import Database

T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pgdb")
_lock = threading.Lock()
_numbers = itertools.count(1)
_template: str | None = None
_created: list[str] = []


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a private loop (callers may be inside a running loop)."""
    return _pool.submit(lambda: asyncio.run(work())).result()


def _admin_dsn(url: str) -> str:
    """A plain asyncpg DSN for the cluster's `postgres` database."""
    parsed = make_url(url).set(drivername="postgresql", database="postgres")
    return parsed.render_as_string(hide_password=False)


async def _execute(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_admin_dsn(url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _prefix(base_url: str) -> str:
    # one name space per pytest process, so two runs on one cluster never share a database
    return f"{make_url(base_url).database}_t{os.getpid()}"


def _ensure_template(base_url: str) -> str:
    global _template
    if _template is None:
        name = f"{_prefix(base_url)}_template"
        _run(lambda: _execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
        url = make_url(base_url).set(database=name).render_as_string(hide_password=False)

        async def migrate() -> None:
            db = Database(url)
            try:
                await db.upgrade()
            finally:
                await db.dispose()

        _run(migrate)
        _template = name
    return _template


def fresh_database(base_url: str) -> str:
    """The URL of a new, migrated, empty database on the same cluster as base_url."""
    return _new_database(base_url, migrated=True)


def empty_database(base_url: str) -> str:
    """The URL of a new database with no schema at all (for migration tests)."""
    return _new_database(base_url, migrated=False)


def _new_database(base_url: str, *, migrated: bool) -> str:
    """Create a database (a copy of the migrated template, or bare) and remember it for dropping."""
    with _lock:
        template = f' TEMPLATE "{_ensure_template(base_url)}"' if migrated else ""
        name = f"{_prefix(base_url)}_{next(_numbers)}"
        _run(lambda: _execute(base_url, f'CREATE DATABASE "{name}"{template}'))
        _created.append(name)
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_created(base_url: str) -> None:
    """Drop every database made since the last call (connections still open are cut)."""
    with _lock:
        names, _created[:] = list(_created), []
    if names:
        _run(lambda: _execute(base_url, *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names)))


def drop_template(base_url: str) -> None:
    """Drop the template at the end of the run."""
    global _template
    drop_created(base_url)
    if _template is not None:
        name, _template = _template, None
        _run(lambda: _execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def pg_url() -> str | None:
    """TEST_DATABASE_URL when it points at PostgreSQL, else None."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def require_pg() -> str:
    """TEST_DATABASE_URL's PostgreSQL, or skip with the reason (under CI=true a missing PostgreSQL fails)."""
    import pytest

    url = pg_url()
    if url is None:
        message = "needs PostgreSQL: set TEST_DATABASE_URL=postgresql+asyncpg://… (`make test-pg` starts a throwaway cluster and sets it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return url
