"""A cohort's dated sessions and what comes next for a person."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.programme import Activity, Programme


@dataclass(frozen=True)
class Session:
    """A dated part of an activity for one cohort."""

    activity_key: str
    part: str  # "main", "day1", "day2"
    starts_at: datetime
    ends_at: datetime
    venue: str


@dataclass(frozen=True)
class Upcoming:
    """An activity a person takes part in, with its sessions that have not ended."""

    activity: Activity
    sessions: tuple[Session, ...]

    @property
    def starts_at(self) -> datetime:
        return self.sessions[0].starts_at


def takes_part(activity: Activity, roles: Iterable[str]) -> bool:
    """Whether someone with these roles in the cohort takes part in the activity."""
    return bool(set(activity.participants) & set(roles))


def upcoming(programme: Programme, sessions: Iterable[Session], roles: Iterable[str], now: datetime) -> list[Upcoming]:
    """Activities the roles take part in that have a session not yet ended, soonest first."""
    roles = tuple(roles)
    by_activity: dict[str, list[Session]] = {}
    for session in sessions:
        by_activity.setdefault(session.activity_key, []).append(session)
    result = []
    for activity in programme.activities:
        if not takes_part(activity, roles):
            continue
        pending = sorted((s for s in by_activity.get(activity.key, []) if s.ends_at > now), key=lambda s: s.starts_at)
        if pending:
            result.append(Upcoming(activity, tuple(pending)))
    result.sort(key=lambda u: u.starts_at)
    return result
