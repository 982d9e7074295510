"""What a roster import would change, found by running the very import and re-plan and rolling them back."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.roster import RosterRow
from bot.services.cohorts import get_cohort
from bot.services.planning import Planner, ReplanSummary
from bot.services.roster import ImportSummary, RosterService
from bot.storage.db import Database
from bot.storage.models import Membership, Person

log = logging.getLogger(__name__)
FIELDS_DA = {
    "name": "navn",
    "organisation": "organisation",
    "level": "niveau",
    "area": "område",
    "leader": "nærmeste leder",
    "mentor": "mentor",
}


@dataclass(frozen=True)
class PersonChange:
    """One membership the import adds, changes or removes."""

    email: str
    name: str
    role: str
    what: str  # added, changed, removed
    detail: str = ""


@dataclass
class RosterPreview:
    """The import's effect before it is written: people and plan rows."""

    cohort_key: str
    rows: int
    summary: ImportSummary
    plan: ReplanSummary
    changes: list[PersonChange] = field(default_factory=list)

    def of(self, what: str) -> list[PersonChange]:
        return [c for c in self.changes if c.what == what]

    @property
    def changed(self) -> bool:
        return bool(self.changes) or bool(self.plan.added or self.plan.moved or self.plan.dropped)

    def fingerprint(self) -> str:
        """A digest of everything shown, so a confirmation can prove it is what was previewed."""
        plan = (self.plan.added, self.plan.moved, self.plan.dropped)
        data = [self.cohort_key, plan, [(c.email, c.role, c.what, c.detail) for c in self.changes]]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort_key,
            "rows": self.rows,
            "plan": {"added": self.plan.added, "moved": self.plan.moved, "dropped": self.plan.dropped},
            "changes": [c.__dict__ for c in self.changes],
        }


class _Rollback(Exception):
    """Raised to leave the preview's transaction without writing."""


async def _memberships(session: AsyncSession, cohort_id: int) -> dict[tuple[str, str], dict[str, str]]:
    leader, mentor = aliased(Person), aliased(Person)
    rows = await session.execute(
        select(
            Person.email, Membership.role, Person.name, Person.organisation, Membership.level, Membership.area, leader.email, mentor.email
        )
        .join(Membership, Membership.person_id == Person.id)
        .outerjoin(leader, leader.id == Membership.leader_id)
        .outerjoin(mentor, mentor.id == Membership.mentor_id)
        .where(Membership.cohort_id == cohort_id)
        .execution_options(populate_existing=True)
    )
    return {
        (e, r): {"name": n, "organisation": o or "", "level": lv or "", "area": a or "", "leader": le or "", "mentor": me or ""}
        for e, r, n, o, lv, a, le, me in rows.all()
    }


def _diff(before: dict[tuple[str, str], dict[str, str]], after: dict[tuple[str, str], dict[str, str]]) -> list[PersonChange]:
    changes = []
    for key in sorted(after.keys() - before.keys()):
        changes.append(PersonChange(key[0], after[key]["name"], key[1], "added"))
    for key in sorted(after.keys() & before.keys()):
        old, new = before[key], after[key]
        diff = [f"{FIELDS_DA[f]}: {old[f] or '–'} → {new[f] or '–'}" for f in FIELDS_DA if old[f] != new[f]]
        if diff:
            changes.append(PersonChange(key[0], new["name"], key[1], "changed", "; ".join(diff)))
    for key in sorted(before.keys() - after.keys()):
        changes.append(PersonChange(key[0], before[key]["name"], key[1], "removed"))
    return changes


async def preview_roster(
    db: Database, roster: RosterService, planner: Planner, cohort_key: str, rows: list[RosterRow], path: str, *, prune: bool = True
) -> RosterPreview:
    """Run import_roster and replan in one transaction, read the difference, and roll everything back.

    FileErrors and UnknownCohort come out as the real import raises them."""
    result: RosterPreview | None = None
    async with db.sessions() as session:
        try:
            async with session.begin():
                cohort = await get_cohort(session, cohort_key)
                before = await _memberships(session, cohort.id)
                people = await planner.people_state_in(session, cohort_key)
                summary = await roster.import_roster_in(session, cohort_key, rows, path, prune=prune)
                await session.flush()
                plan = await planner.replan_people_in(session, cohort_key, people)
                await session.flush()
                after = await _memberships(session, cohort.id)
                result = RosterPreview(cohort_key, len(rows), summary, plan, _diff(before, after))
                raise _Rollback
        except _Rollback:
            pass
    assert result is not None
    return result


async def import_and_replan(
    roster: RosterService, planner: Planner, cohort_key: str, rows: list[RosterRow], path: str, *, prune: bool
) -> tuple[ImportSummary, ReplanSummary]:
    """The write both the console's confirm and `roster import` do: the roster all or nothing, then the plan.

    The plan rows re-planned are those of the people the import changed and of those whose rows depend on
    them (bot/services/people_scope.py), read before and after in the import's own transaction."""
    async with roster.db.sessions() as session, session.begin():
        before = await planner.people_state_in(session, cohort_key)
        summary = await roster.import_roster_in(session, cohort_key, rows, path, prune=prune)
    log.info("roster for %s imported: %s", cohort_key, summary)
    return summary, await planner.replan_people(cohort_key, before)
