"""Importing cohorts (calendar) and rosters (people and roles), all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.domain.cohort import CohortSpec
from bot.domain.errors import FileError, FileErrors
from bot.domain.roster import RosterRow
from bot.services.cohorts import get_cohort
from bot.services.retention import mark_changed
from bot.services.roster_prune import removal_lines, remove_memberships, stale_memberships
from bot.services.tenancy import bind_to_tenant
from bot.storage.db import Database
from bot.storage.models import CalendarSession, Cohort, Membership, Person, utcnow

log = logging.getLogger(__name__)


@dataclass
class ImportSummary:
    """What an import changed; all zero when the same file is imported again."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.removed} removed, {self.unchanged} unchanged"


@dataclass
class NewPerson:
    """A person a roster adds, before the bulk INSERT of all of them (insert_people)."""

    email: str
    name: str
    organisation: str


async def insert_people(session: AsyncSession, new: Iterable[NewPerson]) -> dict[str, Person]:
    """INSERT the new people in a few statements, their Person objects (in the session) by email.

    The ORM's flush inserts new rows one statement each on SQLite, which cannot order a multi-row
    INSERT's RETURNING by parameter, so the flush could not match the ids to the objects; here each row
    returns with its own email. 1 306 people were 1 306 statements of a first roster import."""
    values = [{"email": p.email, "name": p.name, "organisation": p.organisation} for p in new]
    if not values:
        return {}
    return {person.email: person for person in await session.scalars(insert(Person).returning(Person), values)}


def _assign(obj: object, **values: object) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class RosterService:
    """Creates and updates cohorts and their people from LEAD's files."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def import_cohort(self, spec: CohortSpec) -> ImportSummary:
        """Create or update a cohort and its calendar in one transaction."""
        summary = ImportSummary()
        async with self.db.sessions() as session, session.begin():
            cohort = await session.scalar(select(Cohort).where(Cohort.key == spec.key).options(selectinload(Cohort.sessions)))
            if cohort is None:
                cohort = Cohort(
                    key=spec.key,
                    name=spec.name,
                    timezone=spec.timezone,
                    tenant_id=spec.tenant,
                    plan_settings=spec.plan_settings,
                )
                cohort.sessions = []
                session.add(cohort)
                summary.created += 1
            elif _assign(cohort, name=spec.name, timezone=spec.timezone, tenant_id=spec.tenant, plan_settings=spec.plan_settings):
                summary.updated += 1
            else:
                summary.unchanged += 1
            existing = {(s.activity_key, s.part): s for s in cohort.sessions}
            wanted = {(s.activity_key, s.part): s for s in spec.sessions}
            for key, item in wanted.items():
                row = existing.get(key)
                if row is None:
                    cohort.sessions.append(
                        CalendarSession(
                            activity_key=item.activity_key,
                            part=item.part,
                            starts_at=item.starts_at,
                            ends_at=item.ends_at,
                            venue=item.venue,
                        )
                    )
                    summary.created += 1
                elif _assign(row, starts_at=item.starts_at, ends_at=item.ends_at, venue=item.venue):
                    summary.updated += 1
                else:
                    summary.unchanged += 1
            for key, row in existing.items():
                if key not in wanted:
                    cohort.sessions.remove(row)
                    summary.removed += 1
            if summary.changed:
                mark_changed(cohort, utcnow())
            if cohort.id is not None and cohort.tenant_id is not None:  # a tenant given later binds the members too
                members = await session.scalars(
                    select(Person).join(Membership, Membership.person_id == Person.id).where(Membership.cohort_id == cohort.id)
                )
                errors = await bind_to_tenant(session, cohort, set(members), f"cohort {spec.key}")
                if errors:
                    raise FileErrors(errors)
        log.info("cohort %s imported: %s", spec.key, summary)
        return summary

    async def import_roster(self, cohort_key: str, rows: list[RosterRow], path: str, *, prune: bool = False) -> ImportSummary:
        """Create or update people and their roles in a cohort; any bad row writes nothing.

        Memberships the file no longer lists are removed with `prune`, else listed in `notes`."""
        async with self.db.sessions() as session, session.begin():
            summary = await self.import_roster_in(session, cohort_key, rows, path, prune=prune)
        log.info("roster for %s imported: %s", cohort_key, summary)
        return summary

    async def import_roster_in(
        self, session: AsyncSession, cohort_key: str, rows: list[RosterRow], path: str, *, prune: bool = False
    ) -> ImportSummary:
        """import_roster inside the caller's transaction (the console's preview rolls it back)."""
        summary = ImportSummary()
        cohort = await get_cohort(session, cohort_key)
        emails = (
            {r.email for r in rows} | {r.leader_email for r in rows if r.leader_email} | {r.mentor_email for r in rows if r.mentor_email}
        )
        people = {p.email: p for p in (await session.scalars(select(Person).where(Person.email.in_(emails)))).all()}
        roles_in_db = await self._roles_in_cohort(session, cohort.id)
        roles_in_file = {(r.email, r.role) for r in rows}
        # pruned, the cohort's other roles are going: a leader or mentor must be in the file itself
        errors = self._check_links(rows, roles_in_file, set() if prune else roles_in_db, path)
        if errors:
            raise FileErrors(errors)

        new_people: dict[str, NewPerson] = {}
        for row in rows:  # people first, so links can point at them
            person = people.get(row.email) or new_people.get(row.email)
            if person is None:
                new_people[row.email] = NewPerson(row.email, row.name, row.organisation)
                summary.created += 1
            elif _assign(person, name=row.name, organisation=row.organisation or person.organisation):
                summary.updated += 1
        await session.flush()
        people.update(await insert_people(session, new_people.values()))
        lines = {row.email: row.line for row in rows}
        errors = await bind_to_tenant(session, cohort, {people[r.email] for r in rows}, path, lines)
        if errors:
            raise FileErrors(errors)

        memberships = {
            (m.person_id, m.role): m for m in (await session.scalars(select(Membership).where(Membership.cohort_id == cohort.id))).all()
        }
        new_memberships: dict[tuple[int, str], dict[str, Any]] = {}
        for row in rows:
            person = people[row.email]
            leader_id = people[row.leader_email].id if row.leader_email else None
            mentor_id = people[row.mentor_email].id if row.mentor_email else None
            membership = memberships.get((person.id, row.role))
            if membership is None:
                new_memberships[(person.id, row.role)] = {
                    "cohort_id": cohort.id,
                    "person_id": person.id,
                    "role": row.role,
                    "level": row.level,
                    "area": row.area,
                    "leader_id": leader_id,
                    "mentor_id": mentor_id,
                }
                summary.created += 1
            elif _assign(membership, level=row.level, area=row.area, leader_id=leader_id, mentor_id=mentor_id):
                summary.updated += 1
            else:
                summary.unchanged += 1
        if new_memberships:  # one executemany: the ORM's flush inserts rows one by one on SQLite
            await session.execute(insert(Membership), list(new_memberships.values()))
        in_file = {(people[r.email].id, r.role) for r in rows}
        stale = stale_memberships(memberships, in_file)
        if stale:
            email_of = dict(
                (await session.execute(select(Person.id, Person.email).where(Person.id.in_({m.person_id for m in stale})))).all()
            )
            summary.notes = removal_lines(stale, email_of)
            if prune:
                await remove_memberships(session, cohort.id, stale, in_file)
                summary.removed += len(stale)
        if summary.changed:
            mark_changed(cohort, utcnow())
        return summary

    @staticmethod
    async def _roles_in_cohort(session: AsyncSession, cohort_id: int) -> set[tuple[str, str]]:
        result = await session.execute(
            select(Person.email, Membership.role).join(Membership.person).where(Membership.cohort_id == cohort_id)
        )
        return {(email, role) for email, role in result.all()}

    @staticmethod
    def _check_links(
        rows: list[RosterRow],
        in_file: set[tuple[str, str]],
        in_db: set[tuple[str, str]],
        path: str,
    ) -> list[FileError]:
        """Every leader and mentor named must have that role in the file or the cohort."""
        known = in_file | in_db
        errors = []
        for row in rows:
            if row.leader_email and (row.leader_email, "leader") not in known:
                errors.append(FileError(path, row.line, f"leader_email {row.leader_email} is not on the roster as a leader"))
            if row.mentor_email and (row.mentor_email, "mentor") not in known:
                errors.append(FileError(path, row.line, f"mentor_email {row.mentor_email} is not on the roster as a mentor"))
        return errors
