"""Cohort and roster imports: all or nothing, every error with its line, re-import changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from bot.cli import main
from bot.config import REPO_ROOT, Settings
from bot.storage.db import Database
from bot.storage.models import CalendarSession, Cohort, Membership, Person
from tests.support import run_cli

EXAMPLE_COHORT = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"
EXAMPLE_ROSTER = REPO_ROOT / "content" / "demo" / "roster.csv"
HEADER = "email,name,role,organisation,level,leader_email,mentor_email\n"


async def _counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        await db.upgrade()
        async with db.sessions() as s:
            return {
                model.__tablename__: await s.scalar(select(func.count()).select_from(model))
                for model in (Cohort, CalendarSession, Person, Membership)
            }
    finally:
        await db.dispose()


async def cli(*args: str) -> int:
    """main() in a thread: it runs its own event loop."""
    return await asyncio.to_thread(main, list(args))


def test_cli_imports_cohort_and_roster_and_reimport_changes_nothing(cli_env: Settings) -> None:
    first = run_cli(["cohort", "import", str(EXAMPLE_COHORT)], cli_env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""  # progress goes to stderr
    assert run_cli(["roster", "import", str(EXAMPLE_ROSTER), "--cohort", "hold-2027"], cli_env).returncode == 0
    again_cohort = run_cli(["cohort", "import", str(EXAMPLE_COHORT)], cli_env)
    again_roster = run_cli(["roster", "import", str(EXAMPLE_ROSTER), "--cohort", "hold-2027"], cli_env)
    assert "0 created, 0 updated, 0 removed" in again_cohort.stderr
    assert "0 created, 0 updated, 0 removed" in again_roster.stderr


async def test_cohort_import_stores_module_days_in_the_cohort_timezone(cli_env: Settings) -> None:
    assert await cli("cohort", "import", str(EXAMPLE_COHORT)) == 0
    db = Database(cli_env.database_url)
    try:
        async with db.sessions() as s:
            rows = (await s.scalars(select(CalendarSession).where(CalendarSession.activity_key == "m1"))).all()
    finally:
        await db.dispose()
    days = {r.part: r for r in rows}
    assert set(days) == {"day1", "day2"}
    # 09:00 Copenhagen in February is 08:00 UTC
    assert days["day1"].starts_at.isoformat() == "2027-02-02T08:00:00+00:00"
    assert days["day2"].venue == "Aalborg Kongres & Kultur Center"


async def test_changed_date_updates_only_that_session(cli_env: Settings, tmp_path: Path) -> None:
    assert await cli("cohort", "import", str(EXAMPLE_COHORT)) == 0
    changed = tmp_path / "c.yaml"
    changed.write_text(
        EXAMPLE_COHORT.read_text(encoding="utf-8")
        .replace("2027-01-12T09:00", "2027-01-13T09:00")
        .replace("2027-01-12T12:30", "2027-01-13T12:30"),
        encoding="utf-8",
    )
    assert await cli("cohort", "import", str(changed)) == 0
    assert (await _counts(cli_env.database_url))["calendar_sessions"] == 16
    db = Database(cli_env.database_url)
    try:
        async with db.sessions() as s:
            kickoff = await s.scalar(select(CalendarSession).where(CalendarSession.activity_key == "kickoff"))
    finally:
        await db.dispose()
    assert kickoff.starts_at.isoformat() == "2027-01-13T08:00:00+00:00"


def test_bad_cohort_file_lists_every_error_with_lines_and_writes_nothing(cli_env: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "key: Hold 2027\n"  # 1: bad key
        "name: Hold\n"
        "timezone: Europe/Copenhagen\n"
        "activities:\n"
        "  kickoff: {start: 2027-01-12T09:00, end: 2027-01-12T08:00, venue: X}\n"  # 5: end before start
        "  m1:\n"  # 6: module without day2
        "    day1: {start: 2027-02-02T09:00, end: 2027-02-02T16:00, venue: X}\n"
        "  m9: {start: 2027-02-02T09:00, end: 2027-02-02T16:00}\n"  # 8: unknown activity
        "  closing: {start: tomorrow, end: 2027-12-07T16:00, venue: X}\n",  # 9: bad start
        encoding="utf-8",
    )
    result = run_cli(["cohort", "import", str(bad)], cli_env)
    assert result.returncode == 1
    err = result.stderr
    assert f"{bad}:1: key must be" in err
    assert f"{bad}:5: kickoff: end must be after start" in err
    assert f"{bad}:6: m1: a module needs exactly day1 and day2" in err
    assert f"{bad}:8: unknown activity 'm9'" in err
    assert f"{bad}:9: closing: start must be a date-time" in err
    assert "nothing was written" in err


async def test_bad_roster_lists_every_bad_line_and_writes_nothing(cli_env: Settings, tmp_path: Path) -> None:
    assert await cli("cohort", "import", str(EXAMPLE_COHORT)) == 0
    before = await _counts(cli_env.database_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "leder@x.dk,Leder Lise,leader,Aalborg Kommune,,,\n"  # 2: fine
        + "ok@x.dk,Ok Person,talent,Aalborg Kommune,leder-af-medarbejdere,leder@x.dk,\n"  # 3: fine
        + "not-an-email,Per,talent,Aalborg Kommune,leder-af-medarbejdere,leder@x.dk,\n"  # 4
        + "p@x.dk,Per,chef,Aalborg Kommune,,,\n"  # 5: unknown role
        + "q@x.dk,Q,talent,Aalborg Kommune,mellemleder,leder@x.dk,\n"  # 6: bad level
        + "r@x.dk,R,talent,Aalborg Kommune,leder-af-ledere,nobody@x.dk,\n"  # 7: leader not on roster
        + "ok@x.dk,Ok Person,talent,Aalborg Kommune,leder-af-medarbejdere,leder@x.dk,\n",  # 8: duplicate
        encoding="utf-8",
    )
    code = await cli("roster", "import", str(bad), "--cohort", "hold-2027")
    assert code == 1
    assert await _counts(cli_env.database_url) == before


def test_roster_errors_name_lines(cli_env: Settings, tmp_path: Path) -> None:
    assert run_cli(["cohort", "import", str(EXAMPLE_COHORT)], cli_env).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "leder@x.dk,Leder Lise,leader,Aalborg Kommune,,,\n"
        + "not-an-email,Per,talent,Aalborg Kommune,leder-af-medarbejdere,leder@x.dk,\n"
        + "p@x.dk,Per,chef,Aalborg Kommune,,,\n"
        + "q@x.dk,Q,talent,Aalborg Kommune,mellemleder,leder@x.dk,\n"
        + "r@x.dk,R,talent,Aalborg Kommune,leder-af-ledere,nobody@x.dk,\n"
        + "q2@x.dk,Q2,talent,Aalborg Kommune,leder-af-ledere,,\n",
        encoding="utf-8",
    )
    result = run_cli(["roster", "import", str(bad), "--cohort", "hold-2027"], cli_env)
    assert result.returncode == 1
    err = result.stderr
    assert f"{bad}:3: email 'not-an-email' is not an email address" in err
    assert f"{bad}:4: role 'chef' is not one of" in err
    assert f"{bad}:5: a talent needs level" in err
    assert f"{bad}:7: a talent needs leader_email" in err
    # line 6's leader is checked once the lines themselves are valid
    fixed = bad.read_text(encoding="utf-8").splitlines()
    good_lines = [fixed[0], fixed[1], fixed[5]]
    bad.write_text("\n".join(good_lines) + "\n", encoding="utf-8")
    result = run_cli(["roster", "import", str(bad), "--cohort", "hold-2027"], cli_env)
    assert result.returncode == 1
    assert f"{bad}:3: leader_email nobody@x.dk is not on the roster as a leader" in result.stderr


def test_roster_for_unknown_cohort_fails_clearly(cli_env: Settings) -> None:
    result = run_cli(["roster", "import", str(EXAMPLE_ROSTER), "--cohort", "nope"], cli_env)
    assert result.returncode == 1 and "no cohort with key 'nope'" in result.stderr


def test_missing_file_and_missing_header_are_clear(cli_env: Settings, tmp_path: Path) -> None:
    assert "cannot read" in run_cli(["cohort", "import", str(tmp_path / "none.yaml")], cli_env).stderr
    bad = tmp_path / "h.csv"
    bad.write_text("email,name\nx@y.dk,X\n", encoding="utf-8")
    result = run_cli(["roster", "import", str(bad), "--cohort", "hold-2027"], cli_env)
    assert result.returncode == 1 and ":1: header lacks column(s): role" in result.stderr


async def test_person_with_two_roles_and_a_mentor(cli_env: Settings, tmp_path: Path) -> None:
    assert await cli("cohort", "import", str(EXAMPLE_COHORT)) == 0
    roster = tmp_path / "r.csv"
    roster.write_text(
        HEADER
        + "l@x.dk,Lone,leader,Aalborg Kommune,,,\n"
        + "l@x.dk,Lone,mentor,Aalborg Kommune,,,\n"
        + "t@x.dk,Tina,talent,Region Nordjylland,leder-af-ledere,l@x.dk,l@x.dk\n",
        encoding="utf-8",
    )
    assert await cli("roster", "import", str(roster), "--cohort", "hold-2027") == 0
    counts = await _counts(cli_env.database_url)
    assert counts["people"] == 2 and counts["memberships"] == 3
