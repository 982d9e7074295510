"""The plan: working days, holidays, offsets, cohort overrides, and re-planning without duplicates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import REPO_ROOT, Settings
from bot.content.materials import load_content
from bot.domain.calendar import Session
from bot.domain.plan import Member, plan_materials
from bot.domain.workdays import is_working_day, next_send_moment, previous_working_day

CPH = ZoneInfo("Europe/Copenhagen")
EXAMPLE_COHORT = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"
EXAMPLE_ROSTER = REPO_ROOT / "content" / "demo" / "roster.csv"


def test_weekends_and_danish_holidays_are_not_working_days() -> None:
    assert is_working_day(date(2027, 1, 4))  # Monday
    assert not is_working_day(date(2027, 1, 9))  # Saturday
    assert not is_working_day(date(2027, 3, 25))  # skærtorsdag
    assert not is_working_day(date(2027, 5, 6))  # Kristi himmelfart
    assert not is_working_day(date(2027, 12, 24))  # juleaften
    assert not is_working_day(date(2027, 6, 5))  # grundlovsdag
    # Easter 2027: Thursday 25 .. Monday 29 March; a send on Easter Monday moves to Wednesday 24th
    assert previous_working_day(date(2027, 3, 29)) == date(2027, 3, 24)


def test_next_send_moment_skips_to_the_next_working_morning() -> None:
    friday_evening = datetime(2027, 1, 8, 17, 0, tzinfo=CPH)
    assert next_send_moment(friday_evening, time(8, 30), CPH) == datetime(2027, 1, 11, 8, 30, tzinfo=CPH)


def _sessions(start: datetime) -> list[Session]:
    return [
        Session("m3", "day1", start, start.replace(hour=16), "X"),
        Session("m3", "day2", start.replace(day=start.day + 1), start.replace(day=start.day + 1, hour=16), "X"),
    ]


def test_offsets_send_time_and_order(programme: Any) -> None:
    _, materials = load_content(REPO_ROOT / "content")
    start = datetime(2027, 4, 20, 9, 0, tzinfo=CPH)  # a Tuesday
    items = plan_materials("h", programme, materials, materials.timing, _sessions(start), [Member(1, ("talent",))], CPH)
    due = {i.topic: i.due_at.astimezone(CPH) for i in items}
    assert due["intro"] == datetime(2027, 4, 6, 8, 30, tzinfo=CPH)  # 14 days before
    assert due["article"] == datetime(2027, 4, 13, 8, 30, tzinfo=CPH)  # 7 days before
    assert due["literature"] == datetime(2027, 4, 16, 8, 30, tzinfo=CPH)  # 4 days before (Friday)
    assert due["reminder"] == datetime(2027, 4, 16, 8, 30, tzinfo=CPH)  # 2 days before is Sunday → Friday
    assert [i.topic for i in sorted(items, key=lambda i: (i.due_at, i.seq))] == ["intro", "article", "literature", "reminder"]
    assert all(i.not_after == start for i in items)
    assert {i.key for i in items} == {"h/1/m3/intro", "h/1/m3/article", "h/1/m3/literature", "h/1/m3/reminder"}


def test_a_send_day_on_a_holiday_moves_back(programme: Any) -> None:
    _, materials = load_content(REPO_ROOT / "content")
    start = datetime(2027, 4, 12, 9, 0, tzinfo=CPH)  # 14 days before is Monday 29 March, 2. påskedag
    items = plan_materials("h", programme, materials, materials.timing, _sessions(start), [Member(1, ("talent",))], CPH)
    intro = next(i for i in items if i.topic == "intro")
    assert intro.due_at.astimezone(CPH).date() == date(2027, 3, 24)


def test_cohort_override_of_offsets_and_time(programme: Any) -> None:
    _, materials = load_content(REPO_ROOT / "content")
    timing = materials.timing.with_overrides({"offsets_days": {"intro": 21}, "send_time": "09:15"})
    start = datetime(2027, 4, 20, 9, 0, tzinfo=CPH)
    items = plan_materials("h", programme, materials, timing, _sessions(start), [Member(1, ("talent",))], CPH)
    intro = next(i for i in items if i.topic == "intro")
    assert intro.due_at.astimezone(CPH) == datetime(2027, 3, 30, 9, 15, tzinfo=CPH)


def test_audiences_materials_for_talents_leader_workshop_for_leaders(programme: Any) -> None:
    _, materials = load_content(REPO_ROOT / "content")
    start = datetime(2027, 1, 19, 13, 0, tzinfo=CPH)
    ws = [Session("leader-ws", "main", start, start.replace(hour=16), "X")]
    talent = plan_materials("h", programme, materials, materials.timing, ws, [Member(1, ("talent",))], CPH)
    leader = plan_materials("h", programme, materials, materials.timing, ws, [Member(2, ("leader",))], CPH)
    assert talent == []
    assert {i.topic for i in leader} == {"intro", "article", "literature", "reminder"}


def _run(args: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_plan_json_ics_and_replanning_without_duplicates(settings: Settings, tmp_path: Path) -> None:
    assert _run(["cohort", "import", str(EXAMPLE_COHORT)], settings).returncode == 0
    assert _run(["roster", "import", str(EXAMPLE_ROSTER), "--cohort", "hold-2027"], settings).returncode == 0
    result = _run(["plan", "--cohort", "hold-2027", "--person", "anna.talent@aalborg.example", "--json"], settings)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    preparation = [r for r in rows if r["kind"] in ("material", "reminder")]
    assert len(preparation) == 9 * 4  # 9 activities for talents (not the leader workshop) × 3 steps + reminder
    assert {r["kind"] for r in rows} == {"material", "reminder", "nudge", "survey"}
    first = rows[0]
    assert set(first) >= {"key", "due", "recipient", "kind", "activity", "topic", "status"}
    assert first["due"] == "2026-12-29T08:30:00+01:00" and first["topic"] == "intro" and first["activity"] == "kickoff"
    assert {r["status"] for r in rows} == {"planned"}
    keys = [r["key"] for r in rows]
    assert len(keys) == len(set(keys))

    # The kick-off moves a week later: unsent rows move with it, nothing is duplicated.
    assert _run(["tick", "--now", "2027-01-04T09:00:00+01:00"], settings).returncode == 0
    moved = tmp_path / "moved.yaml"
    moved.write_text(EXAMPLE_COHORT.read_text(encoding="utf-8").replace("2027-01-12T", "2027-01-19T"), encoding="utf-8")
    assert _run(["cohort", "import", str(moved)], settings).returncode == 0
    after = json.loads(_run(["plan", "--cohort", "hold-2027", "--person", "anna.talent@aalborg.example", "--json"], settings).stdout)
    assert len(after) == len(rows)
    kickoff = {r["topic"]: r for r in after if r["activity"] == "kickoff"}
    assert kickoff["article"]["due"] == "2027-01-12T08:30:00+01:00"
    # Anna has no chat yet, so her intro was held back, not sent: it moves too.
    assert kickoff["intro"]["due"] == "2027-01-05T08:30:00+01:00" and kickoff["intro"]["status"] == "planned"

    ics = tmp_path / "plan.ics"
    assert _run(["plan", "--cohort", "hold-2027", "--person", "anna.talent@aalborg.example", "--ics", str(ics)], settings).returncode == 0
    text = ics.read_bytes().decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.count("BEGIN:VEVENT") == len(rows)
    assert "DTSTART:20270105T073000Z" in text  # the moved kick-off intro, 08:30 Copenhagen
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_plan_for_unknown_cohort_is_a_clear_error(settings: Settings) -> None:
    result = _run(["plan", "--cohort", "nope", "--json"], settings)
    assert result.returncode == 1 and "no cohort with key 'nope'" in result.stderr and result.stdout == ""


def test_tick_rejects_a_bad_instant(settings: Settings) -> None:
    result = _run(["tick", "--now", "next tuesday"], settings)
    assert result.returncode == 1 and "--now must be an ISO 8601" in result.stderr
