"""Personal data: export everything stored about a person, erase it, and erase a cohort's people after retention.

Where a person is, table by table, is written down once in OWN_ROWS (rows about the person: exported
in full, erased) and REFERENCES (other people's rows that name the person: counted in the export, the
link set to NULL on erasure). tests/services/test_privacy.py fails when a table gains a reference to people that
neither map covers.

Questions are the one mixed case: an answered question LEAD keeps for the FAQ (`reuse`) stays with its
text and answer, without the asker; a question other people asked too stays (it is theirs as well),
without this asker; every other question of the person (open, or answered but not shared) is deleted,
with its outbox rows (the channel card, its updates, the answer). The audit log keeps its rows ("person:17" in place of a name): it is the
record that the erasure happened, and it holds no contents.

Retention, "a cohort's personal data": N days (RETENTION_DAYS, default 365; 0 turns it off) after the
cohort's last activity (the end of its latest calendar session; its creation when it has none), the
daily job erases
  * every person whose only memberships are in this cohort, completely (as `privacy delete`);
  * for people who are also in another cohort, only this cohort's rows about them: their
    memberships, plan rows (and the messages sent for them), buddy places, evaluations, development
    plans, readiness, attendance and questions in this cohort; the person, their chats and their
    progress stay with the other cohort;
  * the cohort's broadcasts (LEAD's texts and the messages that carried them).
The cohort itself and its calendar stay: they are the programme's, not a person's. A cohort that has
been erased has no members left, so a later run finds nothing to do.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.roster import normalise_email
from bot.services.audit import record_audit
from bot.services.cohorts import UnknownCohort, get_cohort
from bot.services.privacy_rows import OWN_ROWS, REFERENCES
from bot.services.retention import RetentionPolicy, last_activity, queue_notice
from bot.storage.db import Database, changed_rows
from bot.storage.models import (
    Attendance,
    Broadcast,
    Cohort,
    Membership,
    OutboxMessage,
    Person,
    Question,
    QuestionAsker,
)

log = logging.getLogger(__name__)
ERASED_NAME = "(slettet)"  # what other people's messages show where an erased person's name was


class PersonNotFound(LookupError):
    """No person has this email."""

    def __init__(self, email: str) -> None:
        super().__init__(f"no person with email {email!r}")
        self.email = email


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _row(table: Table, row: Any) -> dict[str, Any]:
    return {column.name: _jsonable(row._mapping[column]) for column in table.columns}


@dataclass
class Erasure:
    """What an erasure did: rows per table, anonymised and unlinked counts; never the data itself."""

    person_id: int | None = None
    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)

    def add(self, counts: dict[str, int], name: str, n: int) -> None:
        if n:
            counts[name] = counts.get(name, 0) + n

    @property
    def total(self) -> int:
        return sum(self.deleted.values()) + sum(self.anonymised.values())

    def summary(self) -> str:
        """One line of counts, e.g. 'deleted: plan=40, progress=3; anonymised: questions=1'."""
        parts = [f"deleted: {', '.join(f'{k}={v}' for k, v in sorted(self.deleted.items())) or 'nothing'}"]
        if self.anonymised:
            parts.append(f"anonymised: {', '.join(f'{k}={v}' for k, v in sorted(self.anonymised.items()))}")
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "deleted": self.deleted, "anonymised": self.anonymised}


@dataclass(frozen=True)
class RetentionResult:
    """One cohort erased by retention."""

    cohort_key: str
    people_erased: int
    people_kept: int
    rows: int


def _scrub(value: Any, patterns: list[re.Pattern[str]]) -> tuple[Any, int]:
    """The JSON value with every mention of the patterns replaced, and how many were replaced."""
    if isinstance(value, str):
        count = 0
        for pattern in patterns:
            value, n = pattern.subn(ERASED_NAME, value)
            count += n
        return value, count
    if isinstance(value, list):
        items = [_scrub(v, patterns) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        pairs = {k: _scrub(v, patterns) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, sum(n for _, n in pairs.values())
    return value, 0


def _mention_patterns(person: Person) -> list[re.Pattern[str]]:
    """How an erased person appears in other people's messages: their full name and their email."""
    found = []
    for text in (person.name, person.email):
        if text and len(text.strip()) >= 3:  # a one-letter "name" would hit every word
            found.append(re.compile(rf"(?<!\w){re.escape(text.strip())}(?!\w)", re.IGNORECASE))
    return found


class Privacy:
    """Export and erasure of one person's data, and the retention rule over cohorts."""

    def __init__(
        self, db: Database, clock: Callable[[], datetime], retention_days: int = 365, policy: RetentionPolicy | None = None
    ) -> None:
        # retention_days stays the one switch (0 = never); the policy adds the grace and notice periods
        self.policy = replace(policy, retention_days=retention_days) if policy else RetentionPolicy(retention_days)
        self.db = db
        self.clock = clock
        self.retention_days = retention_days

    # ---- export -------------------------------------------------------------------------------

    async def export(self, email: str, *, actor: str = "system") -> dict[str, Any]:
        """Everything stored about the person with this email, as JSON-ready data (PersonNotFound if none)."""
        async with self.db.sessions() as session, session.begin():
            person = await self._person(session, email)
            pid = person.id
            tables: dict[str, list[dict[str, Any]]] = {}
            for entry in OWN_ROWS:
                rows = (await session.execute(select(entry.table).where(entry.where(pid)).order_by(*entry.table.primary_key))).all()
                tables[entry.name] = [_row(entry.table, r) for r in rows]
            questions = Question.__table__
            rows = (await session.execute(select(questions).where(questions.c.asker_id == pid).order_by(questions.c.id))).all()
            tables["questions"] = [_row(questions, r) for r in rows]
            referenced: dict[str, int] = {}
            for table, column in REFERENCES:
                n = await session.scalar(select(func.count()).select_from(table).where(table.c[column] == pid)) or 0
                if n:
                    referenced[f"{table.name}.{column}"] = n
            data = {
                "exported_at": self.clock().isoformat(),
                "person": _row(Person.__table__, (await session.execute(select(Person.__table__).where(Person.id == pid))).one()),
                "tables": tables,
                # other people's rows that name this person: how many, not their contents (those are theirs)
                "referenced_by": referenced,
            }
            await record_audit(session, actor=actor, action="privacy.export", target=f"person:{pid}")
        log.info("privacy: exported person %d (%d rows)", pid, sum(len(v) for v in tables.values()) + 1)
        return data

    # ---- erasure ------------------------------------------------------------------------------

    async def erase(self, email: str, *, actor: str = "system") -> Erasure:
        """Erase the person with this email in one transaction (PersonNotFound if none)."""
        async with self.db.sessions() as session, session.begin():
            person = await self._person(session, email)
            result = await self._erase_person(session, person)
            await record_audit(session, actor=actor, action="privacy.delete", target=f"person:{person.id}, {result.total} row(s)")
        log.info("privacy: erased person %d: %s", result.person_id, result.summary())
        return result

    async def preview(self, email: str) -> dict[str, int]:
        """How many rows per table an erasure would touch (PersonNotFound if none)."""
        async with self.db.sessions() as session:
            person = await self._person(session, email)
            counts = {}
            for entry in OWN_ROWS:
                n = await session.scalar(select(func.count()).select_from(entry.table).where(entry.where(person.id))) or 0
                if n:
                    counts[entry.name] = n
            n = await session.scalar(select(func.count()).select_from(Question).where(Question.asker_id == person.id)) or 0
            if n:
                counts["questions"] = n
            return counts

    async def _person(self, session: AsyncSession, email: str) -> Person:
        person = await session.scalar(select(Person).where(Person.email == normalise_email(email)))
        if person is None:
            raise PersonNotFound(email)
        return person

    async def _erase_person(self, session: AsyncSession, person: Person) -> Erasure:
        """Every step of erasing one person, inside the caller's transaction."""
        pid = person.id
        result = Erasure(person_id=pid)
        patterns = _mention_patterns(person)
        await self._erase_questions(session, result, Question.asker_id == pid, pid)
        for entry in OWN_ROWS:
            result.add(result.deleted, entry.name, await self._delete(session, entry.table, entry.where(pid)))
        for table, column in REFERENCES:
            n = await changed_rows(session, update(table).where(table.c[column] == pid).values({column: None}))
            result.add(result.anonymised, f"{table.name}.{column}", n)
        result.add(result.anonymised, "names in other messages", await self._scrub_mentions(session, patterns))
        result.add(result.deleted, "people", await self._delete(session, Person.__table__, Person.id == pid))
        return result

    async def _delete(self, session: AsyncSession, table: Table, where: ColumnElement[bool]) -> int:
        return await changed_rows(session, delete(table).where(where)) or 0

    async def _erase_questions(self, session: AsyncSession, result: Erasure, which: ColumnElement[bool], pid: int | None) -> None:
        """Anonymise the questions worth keeping (FAQ answers; those others asked too), delete the rest.

        pid is the asker being erased; None erases for everyone (retention), so no open question stays."""
        for q in list(await session.scalars(select(Question).where(which).order_by(Question.id))):
            others = (
                0
                if pid is None
                else await session.scalar(
                    select(func.count()).select_from(QuestionAsker).where(QuestionAsker.question_id == q.id, QuestionAsker.person_id != pid)
                )
                or 0
            )
            keep = (q.status == "answered" and q.reuse) or others > 0
            if keep:
                if q.asker_id is not None:
                    q.asker_id = None
                    result.add(result.anonymised, "questions", 1)
            else:
                # the card in the instructors' channel and its updates name the asker
                n = await self._delete(session, OutboxMessage.__table__, OutboxMessage.key.like(f"question/{q.id}/%"))
                result.add(result.deleted, "outbox", n)
                result.add(
                    result.deleted,
                    "question_askers",
                    await self._delete(session, QuestionAsker.__table__, QuestionAsker.question_id == q.id),
                )
                await session.delete(q)
                result.add(result.deleted, "questions", 1)
        await session.flush()

    async def _scrub_mentions(self, session: AsyncSession, patterns: list[re.Pattern[str]]) -> int:
        """Replace the person's name and email in messages to others (buddy cards, channel cards, meeting links)."""
        if not patterns:
            return 0
        replaced = 0
        for message in list(await session.scalars(select(OutboxMessage))):
            payload, n = _scrub(message.payload, patterns)
            if n:
                message.payload = payload
                replaced += n
        for broadcast in list(await session.scalars(select(Broadcast))):
            sender, n = _scrub(broadcast.sender, patterns)
            if n:
                broadcast.sender = sender
                replaced += n
        for mark in list(await session.scalars(select(Attendance).where(Attendance.recorded_by != ""))):
            recorded_by, n = _scrub(mark.recorded_by, patterns)
            if n:
                mark.recorded_by = recorded_by
                replaced += n
        await session.flush()
        return replaced

    # ---- retention ----------------------------------------------------------------------------

    async def last_activity(self, session: AsyncSession, cohort: Cohort) -> datetime:
        """When the cohort's last activity ended (its creation when it has no calendar)."""
        return await last_activity(session, cohort)

    async def apply_retention(self, now: datetime | None = None) -> list[RetentionResult]:
        """Erase the personal data of every cohort past its erase date (see bot/services/retention.py);
        tell the admins of those whose date is near."""
        if self.retention_days <= 0:
            return []
        now = now or self.clock()
        policy = self.policy
        due = []
        async with self.db.sessions() as session, session.begin():
            for cohort in list(await session.scalars(select(Cohort).order_by(Cohort.id))):
                last = await last_activity(session, cohort)
                if cohort.retention_notice_at is None:
                    has_members = await session.scalar(select(Membership.id).where(Membership.cohort_id == cohort.id).limit(1))
                    if has_members is not None and policy.notice_due(last, cohort.changed_at, now):
                        erase_at = max(policy.earliest(last, cohort.changed_at), now + timedelta(days=policy.notice_days))
                        await queue_notice(session, cohort, erase_at, policy, now, is_sqlite=self.db.is_sqlite)
                    continue  # never erased before its admins have been told
                if policy.erase_at(last, cohort.changed_at, cohort.retention_notice_at) <= now:
                    due.append(cohort.key)
        done = []
        for key in due:
            result = await self.erase_cohort(key)
            if result is not None:
                done.append(result)
        return done

    async def erase_cohort(self, cohort_key: str) -> RetentionResult | None:
        """Erase one cohort's personal data in one transaction; None when there was nothing left."""
        async with self.db.sessions() as session, session.begin():
            try:
                cohort = await get_cohort(session, cohort_key)
            except UnknownCohort:  # erased already (or never imported): nothing left to do
                return None
            cid = cohort.id
            members = set(await session.scalars(select(Membership.person_id).where(Membership.cohort_id == cid)))
            broadcasts = await session.scalar(select(func.count()).select_from(Broadcast).where(Broadcast.cohort_id == cid)) or 0
            if not members and not broadcasts:
                return None
            elsewhere = (
                set(
                    await session.scalars(
                        select(Membership.person_id).where(Membership.person_id.in_(members), Membership.cohort_id != cid)
                    )
                )
                if members
                else set()
            )
            # first the cohort's own rows, for everyone (those kept for another cohort lose only these);
            # its questions: FAQ answers stay without their askers, the rest go (nobody is left to wait)
            scratch = Erasure()
            await self._erase_questions(session, scratch, Question.cohort_id == cid, None)
            rows = scratch.total
            rows += await self._delete(
                session, OutboxMessage.__table__, OutboxMessage.broadcast_id.in_(select(Broadcast.id).where(Broadcast.cohort_id == cid))
            )
            rows += await self._delete(session, Broadcast.__table__, Broadcast.cohort_id == cid)
            for entry in OWN_ROWS:
                if entry.cohort is not None:
                    rows += await self._delete(session, entry.table, entry.cohort(cid))
            erased = 0
            for person_id in sorted(members - elsewhere):
                person = await session.get(Person, person_id)
                if person is not None:
                    rows += (await self._erase_person(session, person)).total
                    erased += 1
            result = RetentionResult(cohort_key, erased, len(members & elsewhere), rows)
            await record_audit(
                session,
                actor="system:retention",
                action="retention",
                cohort_key=cohort_key,
                target=f"{erased} people erased, {result.people_kept} kept for other cohorts, {rows} row(s)",
            )
        log.info(
            "retention: cohort %s erased, %d people (%d kept for other cohorts, %d rows)", cohort_key, erased, result.people_kept, rows
        )
        return result
