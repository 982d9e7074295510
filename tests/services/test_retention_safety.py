"""Retention never erases a cohort just imported: a grace period, a warning on import, a notice to its admins first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import cli
from bot.config import REPO_ROOT, ConfigError, Settings
from bot.services.core import build_core
from bot.storage.db import Database
from bot.storage.models import Cohort, Membership, OutboxMessage, Person
from scheduler.jobs import daily
from tests.support import personal_chat

EXAMPLE = REPO_ROOT / "content" / "demo"
LARS = "lars.admin@lead.example"


def real_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def last_years_cohort(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example calendar copied with the years of an earlier run (its last activity well over a year ago)."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for name in ("MicrosoftAppId", "RETENTION_DAYS", "RETENTION_GRACE_DAYS", "RETENTION_NOTICE_DAYS"):
        monkeypatch.delenv(name, raising=False)
    back = 2027 - real_now().year + 3  # 2027 -> three years ago
    text = (EXAMPLE / "cohort-example.yaml").read_text(encoding="utf-8")
    text = text.replace("2028-", f"{2028 - back}-").replace("2027-", f"{2027 - back}-")
    path = tmp_path / "hold.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(coro_fn):  # type: ignore[no-untyped-def]
    return asyncio.run(coro_fn())


async def _state(url: str) -> tuple[int, list[OutboxMessage]]:
    db = Database(url)
    async with db.sessions() as s:
        members = await s.scalar(select(func.count()).select_from(Membership)) or 0
        notices = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("retention/%"))))
    await db.dispose()
    return members, notices


async def _daily_at(url: str, settings: Settings, moment: datetime) -> dict[str, int]:
    db = Database(url)
    try:
        return await daily(build_core(db, settings, lambda: moment), None, lambda: moment)
    finally:
        await db.dispose()


async def _admin_chat(url: str) -> None:
    db = Database(url)
    async with db.sessions() as s, s.begin():
        lars = await s.scalar(select(Person).where(Person.email == LARS))
        s.add(personal_chat(lars.id, "http://127.0.0.1:1/"))
    await db.dispose()


def test_a_cohort_imported_with_past_dates_is_warned_about_noticed_and_only_erased_after_grace(
    last_years_cohort: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    url = settings.database_url
    assert cli.main(["cohort", "import", str(last_years_cohort)]) == 0
    err = capsys.readouterr().err
    assert "calendar is already over" in err and "RETENTION_GRACE_DAYS" in err
    assert cli.main(["roster", "import", str(EXAMPLE / "roster.csv"), "--cohort", "hold-2027"]) == 0
    _run(lambda: _admin_chat(url))
    imported = real_now()
    members_before = _run(lambda: _state(url))[0]

    # starting the bot runs the daily job at once: nothing is erased, nobody is told yet
    done = _run(lambda: _daily_at(url, settings, imported))
    assert done["retention_people"] == 0
    assert _run(lambda: _state(url)) == (members_before, [])

    # 14 days before the end of the 30-day grace period the admins get one card with the date in Danish
    notice_day = imported + timedelta(days=17)
    _run(lambda: _daily_at(url, settings, notice_day))
    _run(lambda: _daily_at(url, settings, notice_day + timedelta(hours=1)))
    members, notices = _run(lambda: _state(url))
    assert members > 0 and len(notices) == 1
    text = str(notices[0].payload)
    assert "slettes" in text and "Talent Nord 2.0 – hold 2027" in text
    from bot.domain.danish import MONTHS

    assert any(month in text for month in MONTHS)

    # the announced date is kept: not erased the day before, erased on it
    erase_day = notice_day + timedelta(days=14)
    assert _run(lambda: _daily_at(url, settings, erase_day - timedelta(days=1)))["retention_people"] == 0
    assert _run(lambda: _daily_at(url, settings, erase_day))["retention_people"] == 12


def test_a_reimport_postpones_a_noticed_erasure(last_years_cohort: Path, settings: Settings) -> None:
    url = settings.database_url
    assert cli.main(["cohort", "import", str(last_years_cohort)]) == 0
    assert cli.main(["roster", "import", str(EXAMPLE / "roster.csv"), "--cohort", "hold-2027"]) == 0
    first = real_now()
    _run(lambda: _daily_at(url, settings, first + timedelta(days=20)))  # noticed
    assert len(_run(lambda: _state(url))[1]) == 0  # Lars has no chat: the notice is in the log only

    async def changed_now() -> None:
        # LEAD corrects the calendar a month later: the grace period starts again from that import
        db = Database(url)
        async with db.sessions() as s, s.begin():
            cohort = await s.scalar(select(Cohort))
            from bot.services.retention import mark_changed

            mark_changed(cohort, first + timedelta(days=33))
        await db.dispose()

    _run(changed_now)
    assert _run(lambda: _daily_at(url, settings, first + timedelta(days=34)))["retention_people"] == 0
    assert _run(lambda: _state(url))[0] > 0


def test_retention_grace_and_notice_settings() -> None:
    s = Settings.from_env({})
    assert (s.retention_grace_days, s.retention_notice_days) == (30, 14)
    assert Settings.from_env({"RETENTION_GRACE_DAYS": "0", "RETENTION_NOTICE_DAYS": "7"}).retention_notice_days == 7
    with pytest.raises(ConfigError, match="RETENTION_NOTICE_DAYS"):
        Settings.from_env({"RETENTION_NOTICE_DAYS": "-1"})
