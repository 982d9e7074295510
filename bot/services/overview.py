"""Read-only snapshots of one talent's programme for the tab: calendar, plan rows, progress, people, plan, questions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from bot.domain.calendar import Session
from bot.storage.db import Database
from bot.storage.models import (
    BuddyMember,
    CalendarSession,
    DevelopmentPlan,
    DevelopmentPlanRevision,
    Material,
    Membership,
    Person,
    PlannedDelivery,
    Progress,
    Question,
    QuestionAsker,
    ReadinessAssessment,
    ReadinessSelfPlacement,
)

_LEADER, _MENTOR, _EDITOR = aliased(Person), aliased(Person), aliased(Person)
MATERIALS_SECONDS = 30.0  # a publish from the command line shows in the tab within this time


@dataclass(frozen=True)
class PersonBrief:
    """Someone shown by name with the email a Teams deep link needs."""

    id: int
    name: str
    email: str
    organisation: str = ""


@dataclass(frozen=True)
class PlanRow:
    """The columns of a plan row the tab shows."""

    id: int
    kind: str
    activity_key: str | None
    topic: str
    seq: int
    due_at: datetime
    not_after: datetime | None
    status: str
    status_reason: str | None
    action: str | None
    acted_at: datetime | None
    note: str = ""  # the occasion's note from content/nudges.yaml


@dataclass(frozen=True)
class Revision:
    """One saved version of the development plan."""

    version: int
    created_at: datetime
    editor: str
    fields: dict[str, str]


@dataclass(frozen=True)
class AskedQuestion:
    """A question the person handed to the instructors."""

    id: int
    text: str
    status: str
    created_at: datetime
    answer: str | None
    answered_at: datetime | None


@dataclass
class TalentSnapshot:
    """Everything the tab shows about one talent, read in one session."""

    talent: PersonBrief
    cohort_id: int
    level: str | None
    leader: PersonBrief | None
    mentor: PersonBrief | None
    sessions: list[Session]
    rows: list[PlanRow]
    seen: dict[tuple[str, str], datetime]
    materials: dict[tuple[str, str], Material]
    buddies: list[PersonBrief]
    plan: DevelopmentPlan | None
    revisions: list[Revision] = field(default_factory=list)
    readiness: ReadinessAssessment | None = None
    readiness_own: ReadinessSelfPlacement | None = None  # the talent's own placement, kept beside the leader's
    questions: list[AskedQuestion] = field(default_factory=list)


_PLAN_ROW_COLUMNS = (
    PlannedDelivery.id,
    PlannedDelivery.kind,
    PlannedDelivery.activity_key,
    PlannedDelivery.topic,
    PlannedDelivery.seq,
    PlannedDelivery.due_at,
    PlannedDelivery.not_after,
    PlannedDelivery.status,
    PlannedDelivery.status_reason,
    PlannedDelivery.action,
    PlannedDelivery.acted_at,
    PlannedDelivery.data,
)


class Overview:
    """Read-only queries behind the 'Mit forløb' tab; actions go through the other services."""

    def __init__(self, db: Database, materials_seconds: float = MATERIALS_SECONDS) -> None:
        self.db = db
        self.materials_seconds = materials_seconds
        self._published: tuple[float, dict[tuple[str, str], Material]] | None = None

    async def _materials(self, session: Any) -> dict[tuple[str, str], Material]:
        """The published materials, read again at most every few seconds (they change only on publish)."""
        now = time.monotonic()
        if self._published is None or now - self._published[0] >= self.materials_seconds:
            rows = {(m.activity_key, m.topic): m for m in await session.scalars(select(Material))}
            session.expunge_all()  # kept across requests: detached, fully loaded
            self._published = (now, rows)
        return self._published[1]

    async def talents_of_leader(self, leader_id: int, cohort_ids: tuple[int, ...]) -> list[tuple[int, int]]:
        """(talent id, cohort id) of the talents this person is nearest leader for, by name."""
        if not cohort_ids:
            return []
        async with self.db.sessions() as session:
            rows = await session.execute(
                select(Membership.person_id, Membership.cohort_id)
                .join(Person, Person.id == Membership.person_id)
                .where(Membership.role == "talent", Membership.leader_id == leader_id, Membership.cohort_id.in_(cohort_ids))
                .order_by(Person.name)
            )
            return [(pid, cid) for pid, cid in rows]

    async def leader_of(self, talent_id: int, cohort_id: int) -> int | None:
        """The talent's nearest leader in that cohort (None when the person is no talent there)."""
        async with self.db.sessions() as session:
            return await session.scalar(
                select(Membership.leader_id).where(
                    Membership.person_id == talent_id, Membership.cohort_id == cohort_id, Membership.role == "talent"
                )
            )

    async def cohort_sessions(self, cohort_id: int) -> list[Session]:
        """A cohort's calendar in time order."""
        async with self.db.sessions() as session:
            return await self._sessions(session, cohort_id)

    async def _sessions(self, session: Any, cohort_id: int) -> list[Session]:
        rows = await session.execute(
            select(
                CalendarSession.activity_key,
                CalendarSession.part,
                CalendarSession.starts_at,
                CalendarSession.ends_at,
                CalendarSession.venue,
            )
            .where(CalendarSession.cohort_id == cohort_id)
            .order_by(CalendarSession.starts_at)
        )
        return [Session(*row) for row in rows]

    async def talent(self, talent_id: int, cohort_id: int, *, private: bool = True) -> TalentSnapshot | None:
        """One talent's snapshot; `private` adds what only the talent and their leader see (plan, questions)."""
        async with self.db.sessions() as session:
            # every statement is a round trip to the database's thread: what belongs to one row comes in one query
            head = (
                await session.execute(
                    select(
                        Person.id,
                        Person.name,
                        Person.email,
                        Person.organisation,
                        Membership.level,
                        _LEADER.id,
                        _LEADER.name,
                        _LEADER.email,
                        _MENTOR.id,
                        _MENTOR.name,
                        _MENTOR.email,
                        DevelopmentPlan,
                        ReadinessAssessment,
                    )
                    .join(Membership, Membership.person_id == Person.id)
                    .outerjoin(_LEADER, _LEADER.id == Membership.leader_id)
                    .outerjoin(_MENTOR, _MENTOR.id == Membership.mentor_id)
                    .outerjoin(
                        DevelopmentPlan, (DevelopmentPlan.cohort_id == Membership.cohort_id) & (DevelopmentPlan.person_id == Person.id)
                    )
                    .outerjoin(
                        ReadinessAssessment,
                        (ReadinessAssessment.cohort_id == Membership.cohort_id) & (ReadinessAssessment.person_id == Person.id),
                    )
                    .where(Person.id == talent_id, Membership.cohort_id == cohort_id, Membership.role == "talent")
                )
            ).first()
            if head is None:
                return None
            pid, name, email, org, level, lid, lname, lmail, mid, mname, mmail, plan, readiness = head
            sessions = await self._sessions(session, cohort_id)
            # the talent's rows are the record: "Holdt" by a buddy or the leader marks every sibling row
            # the material rows carry their progress (a step is shown only where the plan has it)
            rows = []
            seen: dict[tuple[str, str], datetime] = {}
            for r in await session.execute(
                select(*_PLAN_ROW_COLUMNS, Progress.seen_at)
                .outerjoin(
                    Progress,
                    (Progress.person_id == PlannedDelivery.person_id)
                    & (Progress.activity_key == PlannedDelivery.activity_key)
                    & (Progress.topic == PlannedDelivery.topic)
                    & (PlannedDelivery.kind == "material"),
                )
                .where(
                    PlannedDelivery.cohort_id == cohort_id,
                    PlannedDelivery.person_id == talent_id,
                    PlannedDelivery.kind.in_(("material", "nudge")),
                )
            ):
                data = r.data or {}
                if data.get("parent") is not None:
                    continue  # snoozes and reminders repeat their original
                rows.append(
                    PlanRow(
                        r.id,
                        r.kind,
                        r.activity_key,
                        r.topic,
                        r.seq,
                        r.due_at,
                        r.not_after,
                        r.status,
                        r.status_reason,
                        r.action,
                        r.acted_at,
                        data.get("note") or "",
                    )
                )
                if r.seen_at is not None and r.activity_key is not None:
                    seen[(r.activity_key, r.topic)] = r.seen_at
            materials = await self._materials(session)
            mine = select(BuddyMember.group_no).where(BuddyMember.cohort_id == cohort_id, BuddyMember.person_id == talent_id)
            buddies = [
                PersonBrief(*row)
                for row in await session.execute(
                    select(Person.id, Person.name, Person.email, Person.organisation)
                    .join(BuddyMember, BuddyMember.person_id == Person.id)
                    .where(BuddyMember.cohort_id == cohort_id, BuddyMember.group_no.in_(mine), Person.id != talent_id)
                    .order_by(Person.name)
                )
            ]
            snapshot = TalentSnapshot(
                talent=PersonBrief(pid, name, email, org or ""),
                cohort_id=cohort_id,
                level=level,
                leader=PersonBrief(lid, lname, lmail) if lid is not None else None,
                mentor=PersonBrief(mid, mname, mmail) if mid is not None else None,
                sessions=sessions,
                rows=rows,
                seen=seen,
                materials=materials,
                buddies=buddies,
                plan=None,
            )
            if not private:
                return snapshot
            snapshot.plan = plan
            if plan is not None and plan.version:
                snapshot.revisions = [
                    Revision(
                        rev.version,
                        rev.created_at,
                        editor or "",
                        {
                            "aim": rev.aim or "",
                            "individual": rev.individual or "",
                            "team": rev.team or "",
                            "organisation": rev.organisation or "",
                            "notes": rev.notes or "",
                            "environment": rev.environment or "",
                            "apprentices": str(rev.apprentices or ""),
                        },
                    )
                    for rev, editor in await session.execute(
                        select(DevelopmentPlanRevision, _EDITOR.name)
                        .outerjoin(_EDITOR, _EDITOR.id == DevelopmentPlanRevision.edited_by)
                        .where(DevelopmentPlanRevision.plan_id == snapshot.plan.id)
                        .order_by(DevelopmentPlanRevision.version)
                    )
                ]
            snapshot.readiness = readiness
            snapshot.readiness_own = await session.scalar(
                select(ReadinessSelfPlacement).where(
                    ReadinessSelfPlacement.cohort_id == cohort_id, ReadinessSelfPlacement.person_id == talent_id
                )
            )
            snapshot.questions = await self._questions(session, talent_id)
            return snapshot

    async def _questions(self, session: Any, person_id: int) -> list[AskedQuestion]:
        """The questions a person asked (or joined as someone asking the same), newest first."""
        joined = select(QuestionAsker.question_id).where(QuestionAsker.person_id == person_id)
        rows = await session.execute(
            select(Question.id, Question.text, Question.status, Question.created_at, Question.answer, Question.answered_at)
            .where(or_(Question.asker_id == person_id, Question.id.in_(joined)))
            .order_by(Question.created_at.desc())
        )
        return [AskedQuestion(*row) for row in rows]
