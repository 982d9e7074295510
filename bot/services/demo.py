"""The demo cohort `make run` starts with: real programme, dates relative to today."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import REPO_ROOT
from bot.domain.cohort import CohortSpec, SessionSpec
from bot.domain.programme import Programme
from bot.domain.roster import parse_roster
from bot.domain.workdays import next_working_day
from bot.services.roster import RosterService
from bot.storage.db import Database

DEMO_KEY = "demo"
DEMO_ROSTER = REPO_ROOT / "content" / "demo" / "roster.csv"
VENUE = "Aalborg Kongres & Kultur Center"
# Weeks from the kick-off to each activity's first day; modules have day 2 four weeks later
# (module 2 is the internat: two days in a row).
WEEKS = {"kickoff": 0, "leader-ws": 1, "m1": 3, "m2": 8, "m3": 11, "m4": 16, "m5": 21, "m6": 26, "closing": 32, "alumni": 54}
KICKOFF_IN_DAYS = 9  # so the kick-off's intro (14 days before) is already out when someone tries the demo


def demo_spec(programme: Programme, timezone: str, today: date) -> CohortSpec:
    """A full calendar with the kick-off about nine days from today, on a working day."""
    tz = ZoneInfo(timezone)
    base = next_working_day(today + timedelta(days=KICKOFF_IN_DAYS))
    sessions: list[SessionSpec] = []

    def at(day: date, start: time, end: time) -> tuple[datetime, datetime]:
        return datetime.combine(next_working_day(day), start, tz), datetime.combine(next_working_day(day), end, tz)

    for activity in programme.activities:
        first = base + timedelta(weeks=WEEKS[activity.key])
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
