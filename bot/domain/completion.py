"""Completing the programme: which sessions a talent must take part in and how many they may miss."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.calendar import Session
from bot.domain.programme import Programme

STATES = ("completed", "on-track", "not-completed")

SessionKey = tuple[str, str]  # (activity key, part)


@dataclass(frozen=True)
class CompletionRule:
    """The required sessions and the number of them a talent may miss and still complete."""

    required: tuple[SessionKey, ...]
    allowed_absences: int = 0


@dataclass(frozen=True)
class CompletionStatus:
    """Where one talent stands against the rule."""

    state: str  # completed, on-track, not-completed
    missed: tuple[SessionKey, ...]  # required sessions they were absent from
    remaining: int  # required sessions not held yet


def expand_required(items: Iterable[str], programme: Programme) -> tuple[tuple[SessionKey, ...], list[str]]:
    """'m1' -> both days, 'm1.day1' -> that day, 'kickoff' -> its main session; and the problems found."""
    required: list[SessionKey] = []
    problems: list[str] = []
    for item in items:
        activity_key, _, part = str(item).partition(".")
        try:
            activity = programme.activity(activity_key)
        except KeyError:
            problems.append(f"unknown activity {activity_key!r}; expected one of {', '.join(programme.keys)}")
            continue
        parts = (part,) if part else activity.parts
        for p in parts:
            if p not in activity.parts:
                problems.append(f"{activity_key} has no part {p!r}; it has {', '.join(activity.parts)}")
            elif (activity_key, p) not in required:
                required.append((activity_key, p))
    return tuple(required), problems


def assess(rule: CompletionRule, sessions: Iterable[Session], absences: Iterable[SessionKey], now: datetime) -> CompletionStatus:
    """A talent's status: over the absence limit is final; otherwise completed once every required session is held."""
    ended = {(s.activity_key, s.part) for s in sessions if s.ends_at <= now}
    missed = tuple(key for key in rule.required if key in set(absences))
    remaining = sum(1 for key in rule.required if key not in ended)
    if len(missed) > rule.allowed_absences:
        return CompletionStatus("not-completed", missed, remaining)
    return CompletionStatus("completed" if remaining == 0 else "on-track", missed, remaining)
