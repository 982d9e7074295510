"""Incremental re-planning after a roster or buddy change: whose plan rows a change touches, and only theirs.

Every plan row has one recipient, and what a recipient's rows are follows from: their own roles (material
steps, reminders, evaluation surveys, steering nudges), their own talent membership (the talent nudges, and
whether a mentor is set: the mentor nudges), their buddy group (the buddy nudges and the introduction, whose
key names the whole group), and the talents whose nearest leader or mentor they are (the nudges and
readiness cards about each of them, keyed by that talent). So a change of some people re-plans those
people plus the old and the new nearest leader and mentor of each changed talent. A changed buddy group
shows on each of its members, before and after, as their own change. The introductions go out at the
first working moment after the newest pairing: when that moment moved, every introduction is re-planned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from bot.domain.calendar import Session
from bot.domain.nudges import CohortPeople
from bot.domain.plan import Member, PlanItem
from bot.services.plan_scope import PlanBasis
from bot.storage.models import PlannedDelivery

PLAN = PlannedDelivery.__table__
INTRO = "/-/buddy-intro/"  # in the key of a buddy introduction (buddy_intro_items), never in a numbered buddy nudge's
MAX_PEOPLE = 1000  # a wider scope is re-planned whole: the IN list stays bounded and the saving would be small


@dataclass(frozen=True)
class PersonState:
    """What the plan reads of one person in a cohort."""

    roles: tuple[str, ...]
    leader: int | None  # as a talent; None when not a talent
    mentor: int | None
    group: tuple[int, ...]  # their buddy group, themselves included; () when unpaired


@dataclass(frozen=True)
class PeopleState:
    """What of a cohort a re-plan reads besides its calendar: compared before and after a roster or buddy change."""

    basis: PlanBasis
    people: dict[int, PersonState]
    buddies_set_at: datetime | None
    sessions: frozenset[Session]  # the calendar: a change of it in between (another import) needs the whole plan


def people_state(
    cohort: Any, sessions: Iterable[Session], people: CohortPeople, groups: Iterable[tuple[int, ...]], buddies_set_at: datetime | None
) -> PeopleState:
    """The state of a cohort row, its calendar and its people as planning's snapshot reads them."""
    talents = {t.person_id: t for t in people.talents}
    group_of = {pid: tuple(sorted(group)) for group in groups for pid in group}
    state: dict[int, PersonState] = {}
    for pid in people.roles.keys() | group_of.keys():
        talent = talents.get(pid)
        state[pid] = PersonState(
            tuple(sorted(people.roles.get(pid, ()))),
            talent.leader_id if talent else None,
            talent.mentor_id if talent else None,
            group_of.get(pid, ()),
        )
    return PeopleState(PlanBasis.of(cohort), state, buddies_set_at, frozenset(sessions))


def changed_people(before: PeopleState | None, after: PeopleState) -> set[int] | None:
    """The people whose own state changed (added and removed too); None when a whole re-plan is needed."""
    if before is None or not before.basis.continued_by(after.basis) or before.sessions != after.sessions:
        return None
    ids = before.people.keys() | after.people.keys()
    return {pid for pid in ids if before.people.get(pid) != after.people.get(pid)}


def _unpaired(person: PersonState) -> PersonState:
    return replace(person, group=())


@dataclass(frozen=True)
class PersonScope:
    """The recipients whose rows are re-planned, and whether every buddy introduction is too."""

    people: frozenset[int]
    intros: bool

    @classmethod
    def around(cls, changed: set[int], before: PeopleState, after: PeopleState) -> PersonScope:
        """The changed people plus the nearest leaders and mentors, old and new, of the changed talents."""
        scope = set(changed)
        for pid in changed:
            old, new = before.people.get(pid), after.people.get(pid)
            if old is not None and new is not None and _unpaired(old) == _unpaired(new):
                continue  # only their buddy group changed: what their leader and mentor get about them did not
            for person in (old, new):
                if person is not None:
                    # their nudges and readiness cards about this talent, and a leader's once-per-person row
                    scope.update(p for p in (person.leader, person.mentor) if p is not None)
        return cls(frozenset(scope), before.buddies_set_at != after.buddies_set_at)

    def too_wide(self, cohort_size: int) -> bool:
        """Whether the scope is so large that a whole re-plan is as cheap (or its IN list too long)."""
        return len(self.people) > MAX_PEOPLE or 2 * len(self.people) > max(cohort_size, 1)

    def members(self, members: Iterable[Member]) -> list[Member]:
        """The scope's members (their materials, reminders and surveys)."""
        return [m for m in members if m.person_id in self.people]

    def cohort_people(self, people: CohortPeople) -> CohortPeople:
        """The scope's roles, and every talent one of the scope's rows is about: themselves, or their leader or mentor."""
        within = self.people
        talents = tuple(t for t in people.talents if t.person_id in within or t.leader_id in within or t.mentor_id in within)
        # in the snapshot's order: a once-per-person row keeps the last talent's data, as a whole re-plan does
        return CohortPeople(talents, {pid: roles for pid, roles in people.roles.items() if pid in within})

    def groups(self, groups: Iterable[tuple[int, ...]]) -> list[tuple[int, ...]]:
        """The buddy groups one of the scope's introductions belongs to."""
        return [g for g in groups if self.intros or self.people.intersection(g)]

    def holds(self, item: PlanItem) -> bool:
        """Whether an item computed from the restricted snapshot is one of the scope's rows."""
        return item.person_id in self.people or (self.intros and INTRO in item.key)

    def stored(self) -> ColumnElement[bool]:
        """The stored rows of the scope, as a WHERE clause over the plan table."""
        clauses: list[ColumnElement[bool]] = []
        if self.people:
            clauses.append(PLAN.c.person_id.in_(sorted(self.people)))
        if self.intros:
            clauses.append(and_(PLAN.c.topic == "buddy-intro", PLAN.c.key.contains(INTRO, autoescape=True)))
        return or_(*clauses) if clauses else false()
