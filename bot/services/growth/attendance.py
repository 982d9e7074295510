"""Attendance and completion: the absences LEAD records, and every talent against the completion rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.growth import GrowthContent
from bot.domain.calendar import Session
from bot.domain.completion import CompletionStatus, assess, expand_required
from bot.domain.limits import too_long
from bot.domain.programme import Programme
from bot.domain.roster import normalise_email
from bot.domain.text import clean
from bot.services.cohorts import get_cohort
from bot.storage.db import Database
from bot.storage.models import Attendance, CalendarSession, Cohort, Membership, Person


@dataclass(frozen=True)
class TalentStatus:
    """One talent's completion status, for the attendance command and the report."""

    person_id: int
    email: str
    name: str
    status: CompletionStatus


class AttendanceRecords:
    """Absences and completion; a part of Growth (plans.py)."""

    db: Database
    programme: Programme
    content: GrowthContent
    clock: Callable[[], datetime]

    def __init__(self, db: Database, programme: Programme, content: GrowthContent, clock: Callable[[], datetime]) -> None:
        # alone for the report, which needs no plans or readiness (Growth sets the same four itself)
        self.db = db
        self.programme = programme
        self.content = content
        self.clock = clock

    def _parts(self, spec: str) -> list[tuple[str, str]]:
        """'m1' -> both days, 'm1.day2' -> day 2, 'kickoff' -> main; LookupError on unknown."""
        parts, problems = expand_required([spec], self.programme)
        if problems:
            raise LookupError(problems[0])
        return list(parts)

    async def _cohort(self, session: AsyncSession, cohort_key: str) -> Cohort:
        return await get_cohort(session, cohort_key)

    async def set_attendance(self, cohort_key: str, email: str, spec: str, absent: bool, note: str = "", recorded_by: str = "LEAD") -> int:
        """Mark a person absent from (or, after all, present at) the sessions an activity spec names."""
        note = clean(note).strip()  # from a command line: no NUL (PostgreSQL refuses it) nor other controls
        if problem := too_long("attendance note", note):
            raise ValueError(f"note: {problem}")
        parts = self._parts(spec)
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            cohort = await self._cohort(session, cohort_key)
            person = await session.scalar(select(Person).where(Person.email == normalise_email(email)))
            member = person is not None and await session.scalar(
                select(Membership.id).where(Membership.cohort_id == cohort.id, Membership.person_id == person.id)
            )
            if person is None or not member:
                raise LookupError(f"{email} is not in cohort {cohort_key}")
            changed = 0
            for activity_key, part in parts:
                row = await session.scalar(
                    select(Attendance).where(
                        Attendance.cohort_id == cohort.id,
                        Attendance.person_id == person.id,
                        Attendance.activity_key == activity_key,
                        Attendance.part == part,
                    )
                )
                status = "absent" if absent else "present"
                if row is None:
                    if not absent:
                        continue  # present is the default: nothing to take back
                    row = Attendance(cohort_id=cohort.id, person_id=person.id, activity_key=activity_key, part=part)
                    session.add(row)
                elif row.status == status and row.note == note:
                    continue
                row.status, row.note, row.recorded_by, row.recorded_at = status, note, recorded_by, now
                changed += 1
        return changed

    async def absences(self, session: AsyncSession, cohort_id: int) -> dict[int, set[tuple[str, str]]]:
        """Each person's recorded absences in a cohort."""
        out: dict[int, set[tuple[str, str]]] = {}
        for row in await session.scalars(select(Attendance).where(Attendance.cohort_id == cohort_id, Attendance.status == "absent")):
            out.setdefault(row.person_id, set()).add((row.activity_key, row.part))
        return out

    async def completion(self, session: AsyncSession, cohort_id: int, now: datetime) -> list[TalentStatus]:
        """Every talent of a cohort against the completion rule, by name."""
        sessions = [
            Session(r.activity_key, r.part, r.starts_at, r.ends_at, r.venue)
            for r in await session.scalars(select(CalendarSession).where(CalendarSession.cohort_id == cohort_id))
        ]
        absences = await self.absences(session, cohort_id)
        talents = (
            await session.execute(
                select(Person)
                .join(Membership, Membership.person_id == Person.id)
                .where(Membership.cohort_id == cohort_id, Membership.role == "talent")
                .order_by(Person.name)
            )
        ).scalars()
        return [TalentStatus(p.id, p.email, p.name, assess(self.content.rule, sessions, absences.get(p.id, set()), now)) for p in talents]

    async def attendance_report(self, cohort_key: str) -> list[TalentStatus]:
        """The cohort's talents with their absences and completion status, now."""
        async with self.db.sessions() as session:
            cohort = await self._cohort(session, cohort_key)
            return await self.completion(session, cohort.id, self.clock())
