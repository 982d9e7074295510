"""Calendar checks as pure rules: local times a DST change skips or repeats, and sessions worth a second look."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.domain.workdays import holiday_name


class Dated(Protocol):
    """A session as the file, the database or the domain holds it."""

    @property
    def activity_key(self) -> str: ...
    @property
    def part(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...


S = TypeVar("S", bound=Dated)


def local_time_problem(naive: datetime, tz: ZoneInfo) -> str | None:
    """Why a wall-clock time cannot name one moment in tz (skipped or repeated by a DST change), else None."""
    if naive.tzinfo is not None:
        return None  # an explicit offset names one moment
    early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if early.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        return f"{naive:%Y-%m-%dT%H:%M} does not exist in {tz.key} (the clocks skip it); use another time"
    if early.utcoffset() != late.utcoffset():
        offsets = " or ".join(_offset(d) for d in (early, late))
        return f"{naive:%Y-%m-%dT%H:%M} happens twice in {tz.key} (the clocks go back); add the offset, {offsets}"
    return None


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is None:  # the callers pass moments localised in the cohort's zone
        raise ValueError("a naive moment has no offset to show")
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass(frozen=True)
class CalendarNote:
    """A session that is allowed but odd: it overlaps another, or falls on a weekend or a public holiday."""

    session: Dated
    kind: str  # "overlap", "holiday", "weekend"
    day: date  # the session's local start date
    other: Dated | None = None  # the session it overlaps
    holiday: str | None = None  # the holiday's Danish name


def calendar_notes(sessions: Sequence[S], tz: ZoneInfo) -> list[CalendarNote]:
    """Sessions that overlap an earlier one, or fall on a weekend or a Danish public holiday, in calendar order."""
    notes: list[CalendarNote] = []
    latest: Dated | None = None  # of the sessions so far, the one that ends last
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.ends_at)):
        day = session.starts_at.astimezone(tz).date()
        if latest is not None and session.starts_at < latest.ends_at:
            notes.append(CalendarNote(session, "overlap", day, other=latest))
        if latest is None or session.ends_at > latest.ends_at:
            latest = session
        holiday = holiday_name(day)
        if holiday:
            notes.append(CalendarNote(session, "holiday", day, holiday=holiday))
        elif day.weekday() >= 5:
            notes.append(CalendarNote(session, "weekend", day))
    return notes


def session_label(session: Dated) -> str:
    """'kickoff' or 'm3.day1': how a cohort file names the session."""
    return session.activity_key if session.part == "main" else f"{session.activity_key}.{session.part}"
