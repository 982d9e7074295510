"""The database a test runs on: a fresh migrated copy on TEST_DATABASE_URL's PostgreSQL, else SQLite."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support import pgdb

_pg_databases: dict[Path, str] = {}  # emptied after each test by conftest's _drop_pg_databases


def database_url(tmp_path: Path) -> str:
    """A fresh migrated database per test: on TEST_DATABASE_URL's PostgreSQL cluster, else a SQLite file."""
    base = pgdb.pg_url()
    if base is None:
        return os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    if tmp_path not in _pg_databases:  # the same database for every call within one test
        _pg_databases[tmp_path] = pgdb.fresh_database(base)
    return _pg_databases[tmp_path]
