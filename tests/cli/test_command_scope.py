"""A command and its audit row share one database: one engine and schema check per command, closed at its end."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.config import Settings
from bot.storage import db as db_module
from bot.storage.db import Database
from bot.storage.models import AuditEntry


async def test_a_command_and_its_audit_row_open_one_database_and_close_it(
    seeded: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    opened: list[Database] = []
    disposed: list[Database] = []

    class Counted(Database):
        def __init__(self, url: str, **kwargs: Any) -> None:
            super().__init__(url, **kwargs)
            opened.append(self)

        async def dispose(self) -> None:
            disposed.append(self)
            await super().dispose()

    monkeypatch.setattr(db_module, "Database", Counted)
    assert await asyncio.to_thread(main, ["report", "--cohort", "hold-2027"]) == 0
    assert "Talenter" in capsys.readouterr().out
    assert len(opened) == 1 and disposed == opened  # before: one for the report, a second for its audit row
    async with seeded.sessions() as s:
        actions = list(await s.scalars(select(AuditEntry.action)))
    assert actions == ["report.export"]

    # an unknown cohort fails the command; its audit row still goes through the same database
    assert await asyncio.to_thread(main, ["report", "--cohort", "nope"]) == 1
    assert len(opened) == 2 and disposed == opened
    async with seeded.sessions() as s:
        outcomes = list(await s.scalars(select(AuditEntry.outcome).order_by(AuditEntry.id)))
    assert outcomes == ["allowed", "failed"]
