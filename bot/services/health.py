"""'Klar til start?': a cohort's health as pure queries, shared by the console and `cohort check`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.calendar_checks import CalendarNote, calendar_notes
from bot.domain.danish import format_date, format_time
from bot.domain.materials import Materials
from bot.domain.programme import Programme
from bot.domain.questions import working_hours_between
from bot.services.cohorts import get_cohort
from bot.services.link_check import MATERIAL_DAYS, near_links, stored_results  # placeholders and broken links: one horizon
from bot.storage.db import Database
from bot.storage.models import (
    Broadcast,
    BuddyMember,
    CalendarSession,
    Conversation,
    InstructorChannel,
    Material,
    Membership,
    OutboxMessage,
    Person,
    PlannedDelivery,
    Question,
)

URGENT_DAYS = 60  # a problem that reaches participants within this many days fails `cohort check`
PLACEHOLDER_HOST = "materialer.example"


@dataclass(frozen=True)
class HealthItem:
    """One thing that is not ready: what, for whom, what to do, and whether it blocks the start."""

    code: str
    title: str
    todo: str
    urgent: bool
    details: tuple[str, ...] = ()
    # What stays the same while the problem does (a detail without its "checked at …"), one per detail:
    # the status card compares these to tell what is new. Empty: the details themselves.
    keys: tuple[str, ...] = ()

    def entries(self) -> tuple[str, ...]:
        """The stable identity of each detail (the item's code alone when it has no details)."""
        return self.keys or self.details or (self.code,)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "todo": self.todo, "urgent": self.urgent, "details": list(self.details)}


@dataclass
class CohortHealth:
    """The cohort's readiness: every item found; ready when none is urgent."""

    cohort_key: str
    cohort_name: str
    next_start: datetime | None
    items: list[HealthItem] = field(default_factory=list)
    links_checked: datetime | None = None  # the oldest stored check of a near material link (None: none checked yet)
    links_unchecked: int = 0  # near material links not checked yet

    @property
    def ready(self) -> bool:
        return not any(i.urgent for i in self.items)

    def as_json(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort_key,
            "ready": self.ready,
            "next_start": self.next_start.isoformat() if self.next_start else None,
            "links_checked": self.links_checked.isoformat() if self.links_checked else None,
            "links_unchecked": self.links_unchecked,
            "items": [i.as_json() for i in self.items],
        }


async def _members(session: AsyncSession, cohort_id: int) -> list[tuple[int, str, str, str, int | None]]:
    rows = await session.execute(
        select(Person.id, Person.name, Person.email, Membership.role, Membership.leader_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.cohort_id == cohort_id)
        .order_by(Person.name)
    )
    return [(pid, name, email, role, leader) for pid, name, email, role, leader in rows.all()]  # typed unpacking


async def _unreachable(session: AsyncSession, people: dict[int, str]) -> list[str]:
    """'Name (email): reason' for everyone without a reachable 1:1 chat."""
    if not people:
        return []
    chats = (
        await session.execute(
            select(Conversation.person_id, Conversation.unreachable_at, Conversation.unreachable_reason).where(
                Conversation.kind == "personal", Conversation.person_id.in_(people)
            )
        )
    ).all()
    ok = {pid for pid, gone, _ in chats if gone is None}
    reasons = {pid: reason or "chatten svarer ikke" for pid, gone, reason in chats if gone is not None}
    return [
        f"{name}: {reasons.get(pid, 'har ikke skrevet til botten endnu (ingen gemt chat)')}"
        for pid, name in people.items()
        if pid not in ok
    ]


class HealthCheck:
    """Reads everything 'Klar til start?' lists; writes nothing."""

    def __init__(self, db: Database, programme: Programme, materials: Materials, *, reminder_hours: int) -> None:
        self.db = db
        self.programme = programme
        self.materials = materials
        self.reminder_hours = reminder_hours

    async def cohort_id(self, cohort_key: str) -> int:
        """The cohort's row id (UnknownCohort when there is no such cohort)."""
        async with self.db.sessions() as session:
            return (await get_cohort(session, cohort_key)).id

    async def check(self, cohort_key: str, now: datetime) -> CohortHealth:
        """The cohort's health at `now` (UnknownCohort when there is no such cohort)."""
        async with self.db.sessions() as session:
            cohort = await get_cohort(session, cohort_key)
            tz = ZoneInfo(cohort.timezone)
            sessions = list(await session.scalars(select(CalendarSession).where(CalendarSession.cohort_id == cohort.id)))
            upcoming = sorted(s.starts_at for s in sessions if s.ends_at > now)
            soon = bool(upcoming) and upcoming[0] <= now + timedelta(days=URGENT_DAYS)
            health = CohortHealth(cohort.key, cohort.name, upcoming[0] if upcoming else None)
            items = health.items
            members = await _members(session, cohort.id)
            people = {pid: f"{name} ({email})" for pid, name, email, _, _ in members}
            talents = {pid: f"{name} ({email})" for pid, name, email, role, _ in members if role == "talent"}

            lost = await _unreachable(session, people)
            if lost:
                items.append(
                    HealthItem(
                        "unreachable",
                        f"{len(lost)} kan ikke nås af botten endnu",
                        "Kør Graph-synkronisering (roster sync) eller bed dem skrive »hej« til botten i Teams.",
                        soon,
                        tuple(lost),
                    )
                )
            grouped = set(await session.scalars(select(BuddyMember.person_id).where(BuddyMember.cohort_id == cohort.id)))
            alone = [label for pid, label in talents.items() if pid not in grouped]
            if alone:
                items.append(
                    HealthItem(
                        "no-buddy-group",
                        f"{len(alone)} talenter uden buddygruppe",
                        "Sæt buddygrupperne (buddies suggest/set) før kick-off.",
                        soon,
                        tuple(alone),
                    )
                )
            no_leader = [people[pid] for pid, _, _, role, leader in members if role == "talent" and leader is None]
            if no_leader:
                items.append(
                    HealthItem(
                        "no-leader",
                        f"{len(no_leader)} talenter uden nærmeste leder",
                        "Udfyld leader_email i deltagerlisten og upload den igen.",
                        soon,
                        tuple(no_leader),
                    )
                )
            channel = await session.scalar(select(InstructorChannel.id).where(InstructorChannel.cohort_id == cohort.id))
            if channel is None:
                items.append(
                    HealthItem(
                        "no-instructor-channel",
                        "Underviserkanalen er ikke sat",
                        "Skriv »kanal« til botten i underviserkanalen i Teams (channel set).",
                        soon,
                    )
                )
            dated = {s.activity_key for s in sessions}
            undated = [a.name for a in self.programme.activities if a.key not in dated]
            if undated:
                items.append(
                    HealthItem(
                        "undated-activities",
                        f"{len(undated)} aktiviteter uden dato",
                        "Tilføj datoerne i holdets YAML og importér den igen (cohort import).",
                        False,
                        tuple(undated),
                    )
                )
            odd = [self._note_da(n) for n in calendar_notes([s for s in sessions if s.ends_at > now], tz)]
            if odd:  # allowed (a Saturday seminar may be meant), so never urgent
                items.append(
                    HealthItem(
                        "calendar-notes",
                        f"{len(odd)} ting i kalenderen bør tjekkes",
                        "Ret datoerne i holdets YAML og importér den igen, hvis det ikke er meningen.",
                        False,
                        tuple(odd),
                    )
                )
            overdue = await self._overdue_questions(session, cohort.id, now, tz)
            if overdue:
                items.append(
                    HealthItem(
                        "overdue-questions",
                        f"{len(overdue)} spørgsmål venter over {self.reminder_hours} arbejdstimer",
                        "Bed underviserne svare i underviserkanalen.",
                        False,
                        tuple(overdue),
                    )
                )
            failures = await self._outbox_failures(session, cohort.id)
            if failures:
                items.append(
                    HealthItem(
                        "outbox-failures",
                        f"{len(failures)} beskeder er ikke kommet frem",
                        "Se `outbox list`; ret årsagen og send igen (outbox retry).",
                        soon,
                        tuple(text for text, _ in failures),
                        tuple(key for _, key in failures),  # the error text may change between retries
                    )
                )
            placeholders = await self._placeholders(session, sessions, now, tz)
            if placeholders:
                items.append(
                    HealthItem(
                        "placeholder-materials",
                        f"{len(placeholders)} materialer har pladsholder-links",
                        f"Ret links til {PLACEHOLDER_HOST} under Materialer i konsollen (eller i materials.yaml, og publicér).",
                        True,
                        tuple(placeholders),
                    )
                )
            await self._links(session, cohort.id, now, tz, health)
        return health

    async def _links(self, session: AsyncSession, cohort_id: int, now: datetime, tz: ZoneInfo, health: CohortHealth) -> None:
        """The broken material links, read from the last background check (never checked here: a hang must not block)."""
        links = await near_links(session, self.materials, now, cohort_id)
        stored = await stored_results(session, [url for _, _, url in links])
        names = {a.key: a.name for a in self.programme.activities}
        health.links_unchecked = sum(1 for _, _, url in links if url not in stored)
        health.links_checked = min((r.checked_at for r in stored.values()), default=None)
        broken = [(key, title, url, stored[url]) for key, title, url in links if url in stored and not stored[url].ok]
        if not broken:
            return
        details, keys = [], []
        for key, title, url, result in broken:
            local = result.checked_at.astimezone(tz)
            details.append(
                f"{names.get(key, key)}: {title} – {result.reason}, tjekket {format_time(local)} "
                f"den {format_date(local.date(), weekday=False, year=False)} ({url[:120]})"
            )
            keys.append(f"{key} {url}")
        health.items.append(
            HealthItem(
                "broken-links",
                f"{len(broken)} materialelinks virker ikke",
                "Ret linket i materials.yaml og udgiv igen (content publish); siden tjekker linkene igen inden for 6 timer.",
                True,
                tuple(details),
                tuple(keys),
            )
        )

    def _session_da(self, session: Any) -> str:
        names = {a.key: a.name for a in self.programme.activities}
        name = names.get(session.activity_key, session.activity_key)
        return name if session.part == "main" else f"{name}, dag {session.part[-1]}"

    def _note_da(self, note: CalendarNote) -> str:
        """One calendar note in Danish, with the day."""
        when = format_date(note.day)
        if note.kind == "overlap" and note.other is not None:
            return f"{self._session_da(note.session)} ({when}) overlapper {self._session_da(note.other)}"
        if note.kind == "holiday":
            return f"{self._session_da(note.session)} ligger på en helligdag: {note.holiday}, {when}"
        return f"{self._session_da(note.session)} ligger i en weekend: {when}"

    async def _overdue_questions(self, session: AsyncSession, cohort_id: int, now: datetime, tz: ZoneInfo) -> list[str]:
        rows = await session.scalars(
            select(Question)
            .where(
                Question.cohort_id == cohort_id,
                Question.status == "open",
                Question.created_at <= now - timedelta(hours=self.reminder_hours),
            )
            .order_by(Question.id)
        )
        return [f"Spørgsmål {q.id}: {q.text[:80]}" for q in rows if working_hours_between(q.created_at, now, tz) >= self.reminder_hours]

    @staticmethod
    async def _outbox_failures(session: AsyncSession, cohort_id: int) -> list[tuple[str, str]]:
        rows = await session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.last_error, Person.name)
            .join(Conversation, Conversation.id == OutboxMessage.conversation_id)
            .outerjoin(Person, Person.id == Conversation.person_id)
            .outerjoin(PlannedDelivery, PlannedDelivery.id == OutboxMessage.plan_id)
            .outerjoin(Broadcast, Broadcast.id == OutboxMessage.broadcast_id)
            .where(or_(PlannedDelivery.cohort_id == cohort_id, Broadcast.cohort_id == cohort_id))
            .where(
                or_(
                    OutboxMessage.status.in_(("dead", "unreachable")),
                    (OutboxMessage.status == "pending") & OutboxMessage.last_error.is_not(None),
                )
            )
            .order_by(OutboxMessage.id)
        )
        labels = {"dead": "opgivet", "unreachable": "kan ikke nås", "pending": "fejlede, prøver igen"}
        return [
            (
                f"Besked {mid} til {name or 'kanalen'}: {labels.get(status, status)}" + (f" ({error[:80]})" if error else ""),
                f"outbox {mid} {status}",
            )
            for mid, status, error, name in rows.all()
        ]

    async def _placeholders(self, session: AsyncSession, sessions: list[CalendarSession], now: datetime, tz: ZoneInfo) -> list[str]:
        horizon = now + timedelta(days=MATERIAL_DAYS)
        near = {s.activity_key for s in sessions if now < s.starts_at <= horizon}
        names = {a.key: a.name for a in self.programme.activities}
        # what people get is the published step (the file with LEAD's console edits over it); the file until a publish
        published = {
            (m.activity_key, m.topic): (m.title, m.url)
            for m in await session.scalars(select(Material).where(Material.activity_key.in_(near)))
        }
        out = []
        for key in sorted(near):
            sequence = self.materials.sequences.get(key)
            for step in sequence.steps if sequence is not None else ():
                title, url = published.get((key, step.topic), (step.title, step.url))
                if PLACEHOLDER_HOST in url:
                    out.append(f"{names.get(key, key)}: {title}")
        return out
