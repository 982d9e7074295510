"""Cohort calendars and the clock: DST gaps and repeats are errors with the line; odd days are warnings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cli
from bot.config import REPO_ROOT, Settings
from bot.content.cohort import parse_cohort
from bot.content.programme import load_programme
from bot.content.yamlfile import load_yaml_text
from bot.domain.cohort import CohortSpec
from bot.domain.errors import FileErrors
from bot.services.core import build_core
from bot.storage.db import Database

BASE = """key: hold-2027
name: Hold 2027
timezone: Europe/Copenhagen
activities:
  kickoff: {start: %s, end: %s, venue: Aalborg}
  leader-ws: {start: %s, end: %s, venue: Aalborg}
"""


def _parse(kick: tuple[str, str], ws: tuple[str, str] = ("2027-01-19T13:00", "2027-01-19T16:30")) -> CohortSpec:
    text = BASE % (*kick, *ws)
    return parse_cohort(load_yaml_text(text, "hold.yaml"), "hold.yaml", load_programme(REPO_ROOT / "content"))


def test_a_session_in_the_spring_gap_is_an_error_with_its_line() -> None:
    with pytest.raises(FileErrors) as raised:
        _parse(("2027-03-28T02:30", "2027-03-28T04:00"))  # clocks go 02:00 -> 03:00 that night
    assert "hold.yaml:5: kickoff: start 2027-03-28T02:30 does not exist in Europe/Copenhagen" in str(raised.value)
    assert "end must be after start" not in str(raised.value)  # one error for the one mistake


def test_an_autumn_time_that_happens_twice_is_an_error_unless_given_an_offset() -> None:
    with pytest.raises(FileErrors) as raised:
        _parse(("2027-10-31T01:00", "2027-10-31T02:30"))
    assert "hold.yaml:5: kickoff: end 2027-10-31T02:30 happens twice" in str(raised.value)
    assert "+02:00 or +01:00" in str(raised.value)
    spec = _parse(("2027-10-31T01:00", "2027-10-31T02:30+01:00"))
    assert spec.sessions[0].ends_at > spec.sessions[0].starts_at


def test_overlaps_weekends_and_holidays_are_warned_with_the_line_not_refused() -> None:
    spec = _parse(
        ("2027-03-25T09:00", "2027-03-25T12:00"),  # skærtorsdag
        ("2027-03-25T11:00", "2027-03-25T13:00"),
    )
    warnings = "\n".join(spec.warnings)
    assert "hold.yaml:6: leader-ws overlaps kickoff" in warnings
    assert "hold.yaml:5: kickoff is on a public holiday (Skærtorsdag, 2027-03-25)" in warnings
    weekend = _parse(("2027-01-16T09:00", "2027-01-16T12:00"))
    assert "hold.yaml:5: kickoff is on a Saturday (2027-01-16)" in weekend.warnings
    assert _parse(("2027-01-12T09:00", "2027-01-12T12:30")).warnings == ()


def test_cohort_import_prints_the_warnings_and_imports(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hold.yaml"
    path.write_text(BASE % ("2027-01-16T09:00", "2027-01-16T12:00", "2027-01-19T13:00", "2027-01-19T16:30"), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    assert cli.main(["cohort", "import", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {path}:5: kickoff is on a Saturday (2027-01-16)" in err and "cohort hold-2027:" in err


async def test_cohort_check_lists_the_same_odd_days_in_danish_without_blocking(db: Database, settings: Settings) -> None:
    spec = _parse(("2027-01-16T09:00", "2027-01-16T12:00"), ("2027-03-25T11:00", "2027-03-25T13:00"))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    core = build_core(db, settings, lambda: now)
    await core.roster.import_cohort(spec)
    health = await core.health.check("hold-2027", now)
    notes = next(i for i in health.items if i.code == "calendar-notes")
    assert not notes.urgent
    assert any("Kick-off" in d and "weekend" in d and "lørdag 16. januar 2027" in d for d in notes.details)
    assert any("helligdag: Skærtorsdag, torsdag 25. marts 2027" in d for d in notes.details)
