"""The demo cohort `make run` starts with: real programme, dates relative to today."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import REPO_ROOT
from bot.domain.cohort import CohortSpec, SessionSpec
from bot.domain.programme import Programme
from bot.domain.roster import parse_roster
from bot.services.roster import RosterService
from bot.storage.db import Database

DEMO_KEY = "demo"
DEMO_ROSTER = REPO_ROOT / "content" / "demo" / "roster.csv"
VENUE = "Aalborg Kongres & Kultur Center"
# Weeks from the demo's start to each activity's first day; modules have day 2 four weeks later
# (module 2 is the internat: two days in a row).
WEEKS = {"kickoff": 2, "leader-ws": 3, "m1": 5, "m2": 10, "m3": 13, "m4": 18, "m5": 23, "m6": 28, "closing": 34, "alumni": 56}


def _monday_after(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def demo_spec(programme: Programme, timezone: str, today: date) -> CohortSpec:
    """A full calendar that starts two weeks after the Monday following today."""
    tz = ZoneInfo(timezone)
    base = _monday_after(today)
    sessions: list[SessionSpec] = []

    def at(day: date, start: time, end: time) -> tuple[datetime, datetime]:
        return datetime.combine(day, start, tz), datetime.combine(day, end, tz)

    for activity in programme.activities:
        first = base + timedelta(weeks=WEEKS[activity.key], days=1)  # Tuesdays
        if activity.is_module:
            second = first + timedelta(days=1) if activity.key == "m2" else first + timedelta(weeks=4)
            for part, day in (("day1", first), ("day2", second)):
                s, e = at(day, time(9), time(16))
                sessions.append(SessionSpec(activity.key, part, s, e, VENUE))
        else:
            s, e = at(first, time(9), time(12, 30))
            sessions.append(SessionSpec(activity.key, "main", s, e, VENUE))
    return CohortSpec(DEMO_KEY, "Demohold – Talent Nord 2.0", timezone, None, tuple(sessions))


async def setup_demo(db: Database, programme: Programme, timezone: str, today: date | None = None) -> str:
    """Create or refresh the demo cohort and its roster; returns its key."""
    today = today or datetime.now(ZoneInfo(timezone)).date()
    service = RosterService(db)
    await service.import_cohort(demo_spec(programme, timezone, today))
    rows = parse_roster(DEMO_ROSTER.read_text(encoding="utf-8"), str(DEMO_ROSTER))
    await service.import_roster(DEMO_KEY, rows, str(DEMO_ROSTER))
    return DEMO_KEY
