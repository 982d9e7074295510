"""The calendar's pure checks: DST problems, and overlaps, weekends and holidays found in one pass."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.calendar import Session
from bot.domain.calendar_checks import calendar_notes, local_time_problem, session_label
from bot.domain.workdays import holiday_name

CPH = ZoneInfo("Europe/Copenhagen")


def _session(key: str, start: str, end: str, part: str = "main") -> Session:
    return Session(key, part, datetime.fromisoformat(start).replace(tzinfo=CPH), datetime.fromisoformat(end).replace(tzinfo=CPH), "")


def test_a_session_inside_a_long_one_after_a_short_one_is_still_an_overlap() -> None:
    long = _session("m1", "2027-02-02T09:00", "2027-02-02T16:00", "day1")
    short = _session("kickoff", "2027-02-02T10:00", "2027-02-02T11:00")
    late = _session("leader-ws", "2027-02-02T13:00", "2027-02-02T14:00")
    notes = [
        (n.kind, session_label(n.session), session_label(n.other) if n.other else None) for n in calendar_notes([late, short, long], CPH)
    ]
    assert notes == [("overlap", "kickoff", "m1.day1"), ("overlap", "leader-ws", "m1.day1")]


def test_touching_sessions_do_not_overlap() -> None:
    first = _session("m1", "2027-02-02T09:00", "2027-02-02T12:00", "day1")
    second = _session("m1", "2027-02-02T12:00", "2027-02-02T16:00", "day2")
    assert calendar_notes([first, second], CPH) == []


def test_holidays_have_danish_names_and_closed_days_count() -> None:
    assert holiday_name(datetime(2027, 12, 25).date()) == "Juledag"
    assert holiday_name(datetime(2027, 6, 5).date()) == "Grundlovsdag"
    assert holiday_name(datetime(2027, 6, 4).date()) is None
    sunday = _session("kickoff", "2027-01-17T09:00", "2027-01-17T12:00")
    assert [n.kind for n in calendar_notes([sunday], CPH)] == ["weekend"]


def test_local_time_problems() -> None:
    assert local_time_problem(datetime(2027, 3, 28, 2, 30), CPH) is not None
    assert local_time_problem(datetime(2027, 10, 31, 2, 30), CPH) is not None
    assert local_time_problem(datetime(2027, 10, 31, 3, 30), CPH) is None
    assert local_time_problem(datetime(2027, 3, 28, 2, 30).replace(tzinfo=CPH), CPH) is None  # an offset was given
