"""`tick --now` in the future is a dry run; a real tick sends now, stamped with the real clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import cli
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, PlannedDelivery
from tests.support import EXAMPLE, shifted_cohort, store_chats


async def _rows(url: str) -> tuple[dict[str, str], list[OutboxMessage]]:
    db = Database(url)
    async with db.sessions() as s:
        plan = {r.key: r.status for r in await s.scalars(select(PlannedDelivery))}
        outbox = list(await s.scalars(select(OutboxMessage)))
    await db.dispose()
    return plan, outbox


async def _chats(url: str) -> None:
    db = Database(url)
    await store_chats(db, "http://127.0.0.1:1/")
    await db.dispose()


@pytest.fixture
def cohort_next_week(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A cohort whose kick-off is a week away (its intro fell due a week ago); everyone has a chat."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    assert cli.main(["cohort", "import", str(shifted_cohort(tmp_path, 7))]) == 0
    assert cli.main(["roster", "import", str(EXAMPLE / "roster.csv"), "--cohort", "hold-2027"]) == 0
    asyncio.run(_chats(settings.database_url))
    return settings.database_url


def test_a_future_now_is_a_dry_run_that_writes_nothing(cohort_next_week: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = asyncio.run(_rows(cohort_next_week))
    future = datetime.now(UTC) + timedelta(days=60)
    capsys.readouterr()

    assert cli.main(["tick", "--now", future.isoformat()]) == 0

    out, err = capsys.readouterr()
    assert "would release" in out and "would skip" in out  # m1 material released, the kick-off's skipped
    assert "dry run" in err and "nothing was written" in err
    assert asyncio.run(_rows(cohort_next_week)) == before
    assert before[1] == []


def test_a_tick_as_of_an_earlier_moment_sends_now(cohort_next_week: str) -> None:
    real = datetime.now(UTC)
    earlier = real - timedelta(days=1)

    assert cli.main(["tick", "--now", earlier.isoformat()]) == 0

    plan, outbox = asyncio.run(_rows(cohort_next_week))
    assert outbox, "the kick-off intro fell due a week ago"
    for row in outbox:  # stamped with the real clock, not the --now moment
        assert abs(row.next_attempt_at - real) < timedelta(minutes=5), row.next_attempt_at
    assert "skipped" not in plan.values()
