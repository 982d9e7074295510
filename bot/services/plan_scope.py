"""Incremental re-planning after a calendar change: which activities' plan rows a change touches, and only those.

A calendar change of some activities re-plans the rows anchored to them: their material steps,
reminders and evaluation surveys (activity_key), the nudges whose occasion is anchored to them
(data.anchor) or ends at them (`until`), and the readiness and final-evaluation cards when their
anchor moved. Everything else in the cohort's plan is neither computed nor read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from bot.domain.calendar import Session
from bot.domain.final_evaluation import AFTER as FINAL_AFTER
from bot.domain.final_evaluation import TOPIC as FINAL_TOPIC
from bot.domain.nudges import ANCHOR_RE, Nudges
from bot.domain.plan import PlanItem
from bot.domain.readiness import SELF_TOPIC, ReadinessTiming
from bot.storage.models import PlannedDelivery

PLAN = PlannedDelivery.__table__
READINESS_TOPICS = (SELF_TOPIC, "readiness")


@dataclass(frozen=True)
class PlanBasis:
    """What of the cohort row every re-plan reads: its time zone, plan settings and plan version."""

    timezone: str
    plan_settings: Any
    in_step: bool  # the plan was up to date with the cohort before the change
    version: int  # the cohort's plan_version

    @classmethod
    def of(cls, cohort: Any) -> PlanBasis:
        """The basis of a cohort row as it is now."""
        return cls(cohort.timezone, cohort.plan_settings, cohort.plan_version == cohort.planned_version, cohort.plan_version)

    def continued_by(self, after: PlanBasis) -> bool:
        """True when only our change came between (it bumps plan_version once, or not when it changed nothing) and the settings held."""
        return (
            self.in_step
            and after.version - self.version in (0, 1)
            and self.timezone == after.timezone
            and self.plan_settings == after.plan_settings
        )


@dataclass(frozen=True)
class CalendarState:
    """What of a cohort a re-plan reads besides its people: compared before and after an import."""

    basis: PlanBasis
    sessions: dict[str, frozenset[tuple[str, Any, Any]]]  # activity -> its (part, starts, ends)


def calendar_state(cohort: Any, sessions: Iterable[Any]) -> CalendarState:
    """The state of a cohort row and its calendar rows."""
    by_activity: dict[str, set[tuple[str, Any, Any]]] = {}
    for s in sessions:
        by_activity.setdefault(s.activity_key, set()).add((s.part, s.starts_at, s.ends_at))
    return CalendarState(PlanBasis.of(cohort), {key: frozenset(parts) for key, parts in by_activity.items()})


def changed_activities(before: CalendarState | None, after: CalendarState) -> set[str] | None:
    """The activities whose sessions changed; None when more than sessions changed (a whole re-plan is needed)."""
    if before is None or not before.basis.continued_by(after.basis):
        return None
    keys = before.sessions.keys() | after.sessions.keys()
    return {key for key in keys if before.sessions.get(key) != after.sessions.get(key)}


def _activity(anchor: str | None, module: str) -> str | None:
    if not anchor:
        return None
    match = ANCHOR_RE.match(anchor.replace("{skyggepraktik_module}", module))
    return match["activity"] if match else None


@dataclass(frozen=True)
class ActivityScope:
    """The activities whose rows are re-planned, and the sessions their planning reads."""

    activities: frozenset[str]
    readiness: bool  # the readiness cards' anchor is among them
    final: bool  # the final evaluation's anchor is among them

    @classmethod
    def around(cls, changed: set[str], nudges: Nudges, module: str, readiness: ReadinessTiming) -> ActivityScope:
        """The changed activities plus those whose nudges end at one of them (their `until` moved)."""
        scope = set(changed)
        for definition in nudges.definitions.values():
            for occasion in definition.occasions:
                if _activity(occasion.until, module) in changed:
                    anchor = _activity(occasion.anchor, module)
                    if anchor:
                        scope.add(anchor)
        after = readiness.after.partition(".")[0]
        return cls(frozenset(scope), after in scope, FINAL_AFTER in scope)

    def sessions(self, sessions: list[Session], nudges: Nudges, module: str) -> list[Session]:
        """The sessions of the scope's activities and of where their nudges end: all their rows read."""
        needed = set(self.activities)
        for definition in nudges.definitions.values():
            for occasion in definition.occasions:
                if _activity(occasion.anchor, module) in self.activities:
                    until = _activity(occasion.until, module)
                    if until:
                        needed.add(until)
        return [s for s in sessions if s.activity_key in needed]

    def holds(self, item: PlanItem) -> bool:
        """Whether an item computed from the scope's sessions is one of the scope's rows."""
        if item.kind == "nudge":
            return (item.data or {}).get("anchor") in self.activities
        if item.topic in READINESS_TOPICS:
            return self.readiness
        if item.topic == FINAL_TOPIC:
            return self.final
        return item.activity_key in self.activities

    def stored(self) -> ColumnElement[bool]:
        """The stored rows of the scope, as a WHERE clause over the plan table."""
        keys = list(self.activities)
        clauses: list[ColumnElement[bool]] = [
            and_(PLAN.c.kind == "nudge", PLAN.c.data["anchor"].as_string().in_(keys)),
            and_(PLAN.c.kind != "nudge", PLAN.c.activity_key.in_(keys)),
        ]
        if self.readiness:
            clauses.append(PLAN.c.topic.in_(READINESS_TOPICS))
        if self.final:
            clauses.append(PLAN.c.topic == FINAL_TOPIC)
        return or_(*clauses) if keys else false()
