"""One person edited in place (role, level, nearest leader, mentor): the cohort's roster re-imported with that one row changed.

Going through the roster import itself, with the cohort's own rows as the file, gives the edit the import's
checks, its preview of people and plan rows, its all-or-nothing write and its re-plan, with nothing duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from bot.domain.errors import FileErrors
from bot.domain.roster import RosterRow
from bot.domain.roster_edit import PersonEdit, apply_edit, edit_problems
from bot.services.cohorts import get_cohort
from bot.services.planning import Planner, ReplanSummary
from bot.services.roster import ImportSummary, RosterService
from bot.services.roster_preview import RosterPreview, import_and_replan, preview_roster
from bot.storage.db import Database
from bot.storage.models import Membership, Person

SOURCE = "holdet"  # the name errors give the cohort's own rows (never shown with line numbers)


class EditRefused(ValueError):
    """The edit cannot be made: a Danish message per form field (role, level, leader, mentor, or person)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(fields.values()))
        self.fields = fields


@dataclass(frozen=True)
class EditOutcome:
    """What a confirmed edit wrote (all zero when it changed nothing)."""

    person_id: int
    fields: list[str]  # which of role, level, leader, mentor changed (for the audit: names, never emails)
    summary: ImportSummary
    plan: ReplanSummary


async def cohort_rows(db: Database, cohort_key: str) -> list[RosterRow]:
    """The cohort's memberships as the roster rows that would import them unchanged, ordered by name."""
    leader, mentor = aliased(Person), aliased(Person)
    async with db.sessions() as session:
        cohort = await get_cohort(session, cohort_key)
        result = await session.execute(
            select(
                Person.email,
                Person.name,
                Membership.role,
                Person.organisation,
                Membership.level,
                leader.email,
                mentor.email,
                Membership.area,
            )
            .join(Membership, Membership.person_id == Person.id)
            .outerjoin(leader, leader.id == Membership.leader_id)
            .outerjoin(mentor, mentor.id == Membership.mentor_id)
            .where(Membership.cohort_id == cohort.id)
            .order_by(Person.name, Person.email, Membership.role)
        )
        rows = result.all()
    return [RosterRow(n, e, name, r, o or "", lv, le, me, a) for n, (e, name, r, o, lv, le, me, a) in enumerate(rows, start=2)]


def _fields(before: RosterRow, after: RosterRow) -> list[str]:
    pairs = {
        "role": (before.role, after.role),
        "level": (before.level, after.level),
        "leader": (before.leader_email, after.leader_email),
        "mentor": (before.mentor_email, after.mentor_email),
    }
    return [name for name, (old, new) in pairs.items() if old != new]


def _with_edit(rows: list[RosterRow], edit: PersonEdit) -> list[RosterRow]:
    """The rows with the edited one changed; EditRefused (Danish, per field) when the edit breaks the import's rules."""
    before = next((r for r in rows if r.email == edit.email and r.role == edit.role), None)
    if before is None:
        raise EditRefused({"person": f"{edit.email} står ikke på holdet som {edit.role}."})
    after = apply_edit(before, edit)
    roles: dict[str, set[str]] = {}
    for r in rows:
        roles.setdefault(r.email, set()).add(r.role)
    problems = edit_problems(before, after, roles)
    if problems:
        raise EditRefused(problems)
    return [after if r is before else r for r in rows]


def _refused(exc: FileErrors, rows: list[RosterRow]) -> EditRefused:
    """The import's own refusal (a link elsewhere on the roster the edit breaks), in Danish at the role."""
    names = {r.line: r.name for r in rows}
    others = sorted({names.get(e.line, "") for e in exc.errors} - {""})
    return EditRefused(
        {"role": f"Ændringen passer ikke med resten af holdet: {', '.join(others)} peger på personen i den rolle. Ret dem først."}
    )


class RosterEditor:
    """Previews and makes one person's edit through the roster import and the re-plan."""

    def __init__(self, db: Database, roster: RosterService, planner: Planner) -> None:
        self.db = db
        self.roster = roster
        self.planner = planner

    async def preview(self, cohort_key: str, edit: PersonEdit) -> RosterPreview:
        """Who and which plan rows the edit changes; nothing is written. EditRefused when it cannot be made."""
        rows = _with_edit(await cohort_rows(self.db, cohort_key), edit)
        try:
            return await preview_roster(self.db, self.roster, self.planner, cohort_key, rows, SOURCE, prune=True)
        except FileErrors as exc:
            raise _refused(exc, rows) from None

    async def apply(self, cohort_key: str, edit: PersonEdit) -> EditOutcome:
        """Write the edit all or nothing and re-plan the cohort; doing it twice changes nothing the second time."""
        current = await cohort_rows(self.db, cohort_key)
        rows = _with_edit(current, edit)
        fields = [f for old, new in zip(current, rows, strict=True) if old is not new for f in _fields(old, new)]
        try:
            summary, plan = await import_and_replan(self.roster, self.planner, cohort_key, rows, SOURCE, prune=True)
        except FileErrors as exc:
            raise _refused(exc, rows) from None
        async with self.db.sessions() as session:
            person_id = await session.scalar(select(Person.id).where(Person.email == edit.email))
        return EditOutcome(int(person_id or 0), fields, summary, plan)
