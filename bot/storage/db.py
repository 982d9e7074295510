"""The database handle: async engine, sessions, migrations and a health probe."""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, CursorResult, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql import Executable

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x74616C656E74  # the advisory lock key migrations hold on PostgreSQL ("talent")


async def changed_rows(session: AsyncSession, statement: Executable) -> int:
    """Run an INSERT, UPDATE or DELETE and say how many rows it touched (the driver's rowcount)."""
    result = await session.execute(statement)
    # execute() is typed as a plain Result, which has no rowcount; a row-changing statement gives a CursorResult
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(statement).__name__} is not a row-changing statement")
    return result.rowcount


def dialect_insert(table: Any, *, is_sqlite: bool) -> Any:
    """The INSERT with ON CONFLICT clauses of the database in use (SQLite's or PostgreSQL's).

    Only that dialect's module is imported: PostgreSQL's costs 50 ms, paid by every command on SQLite
    when it was imported at the top of each writer. Typed Any: the two Insert classes share the
    on_conflict_* methods but no base that declares them."""
    if is_sqlite:
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    from sqlalchemy.dialects import postgresql

    return postgresql.insert(table)


class Database:
    """One engine and its session factory for the whole process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(self.engine, expire_on_commit=False)

    async def upgrade(self) -> None:
        """Bring the schema up to the newest migration (one replica at a time on PostgreSQL)."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                # Replicas starting together queue here; the lock goes with the transaction, so the
                # next one starts only after the first committed, finds the schema at head and does
                # nothing. (SQLite serves one machine: its file lock already serialises writers.)
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            if await _stamped_at_head(conn):
                return  # the common case of every command and start: Alembic is neither imported nor run
            await conn.run_sync(_upgrade_sync)

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception as exc:  # any driver error means "not healthy"
            log.warning("database ping failed: %s", type(exc).__name__)
            return False

    async def health(self) -> str:
        """'ok' when the database takes a write, 'read-only' when it answers but refuses one, else 'down'."""
        if not await self.ping():
            return "down"
        try:
            async with self.engine.connect() as conn:
                # A write every database of ours has (the migration stamp), rewritten as it is and rolled back.
                await conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
                await conn.rollback()
            return "ok"
        except Exception as exc:  # read-only file or mount, full disk, a read-only PostgreSQL replica
            log.warning("database write probe failed: %s", type(exc).__name__)
            return "read-only"

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


@cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the files' `revision =` lines; None unless there is exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = re.search(r'^revision\s*=\s*["\']([^"\']+)["\']', source, re.M)
        down = re.search(r'^down_revision\s*=\s*["\']([^"\']+)["\']', source, re.M)
        if found:
            revisions.add(found.group(1))
        if down:
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def _stamped_at_head(conn: Any) -> bool:
    """Whether the database's migration stamp is the newest revision already (anything unusual: False, Alembic decides)."""
    head = head_revision()
    if head is None:
        return False
    # asked without failing: a failed statement would abort the PostgreSQL transaction Alembic then uses
    if conn.dialect.name == "sqlite":
        exists = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    else:
        exists = "SELECT count(*) FROM pg_tables WHERE tablename = 'alembic_version' AND schemaname = current_schema()"
    if not (await conn.execute(text(exists))).scalar():
        return False  # a new database: no stamp table yet
    stamps = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    return list(stamps) == [head]


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade_sync(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the CLI and the server share the file; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
