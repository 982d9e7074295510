"""LEAD's messages to a whole cohort (or its talents or leaders), through the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.limits import LIMITS
from bot.domain.text import clean
from bot.outbox.writer import Outgoing, enqueue_all, reachable_chats
from bot.services.cohorts import get_cohort
from bot.services.messages.builder import MessageBuilder
from bot.storage.db import Database
from bot.storage.models import Broadcast, Cohort, Membership, Person

log = logging.getLogger(__name__)
BROADCAST_ROLES = ("talent", "leader", "all")
# The words an admin may write in Teams for each audience (Danish first; the CLI's English names too).
ROLE_WORDS = {
    "talenter": "talent",
    "talent": "talent",
    "ledere": "leader",
    "leder": "leader",
    "leader": "leader",
    "alle": "all",
    "all": "all",
}
MAX_BROADCAST_CHARS = LIMITS["broadcast"]


def broadcast_title(cohort_name: str) -> str:
    """The card's heading every recipient sees."""
    return f"Besked fra LEAD til {cohort_name}"


class BroadcastError(ValueError):
    """The broadcast cannot be sent as asked (Danish message for the admin)."""


@dataclass
class BroadcastResult:
    """Who the message was queued for, and who cannot be reached yet."""

    broadcast_id: int
    queued: int
    unreachable: list[str] = field(default_factory=list)  # emails


def checked_text(text: str, role: str) -> str:
    """The message as it will be sent (stripped), or BroadcastError saying in Danish what is wrong."""
    text = clean(text).strip()  # a browser's textarea sends CRLF, a command line may carry NUL: plain lines only
    if not text:
        raise BroadcastError("Beskeden er tom.")
    if len(text) > MAX_BROADCAST_CHARS:
        raise BroadcastError(f"Beskeden er for lang ({len(text)} tegn; højst {MAX_BROADCAST_CHARS}).")
    if role not in BROADCAST_ROLES:
        raise BroadcastError(f"Ukendt målgruppe {role!r}; brug talent, leader eller all.")
    return text


async def audience(session: AsyncSession, cohort_id: int, role: str) -> dict[int, str]:
    """Person id -> email of everyone the broadcast is for."""
    query = select(Person.id, Person.email).join(Membership, Membership.person_id == Person.id).where(Membership.cohort_id == cohort_id)
    if role != "all":
        query = query.where(Membership.role == role)
    return dict((await session.execute(query.distinct())).all())


class Broadcaster:
    """Queues one outbox message per recipient; the sender paces them."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def broadcast(self, cohort_key: str, text: str, role: str = "all", sender: str = "LEAD") -> BroadcastResult:
        """Queue LEAD's message for everyone concerned in a cohort, once per person."""
        text = checked_text(text, role)
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            cohort = await get_cohort(session, cohort_key)
            record = Broadcast(cohort_id=cohort.id, text=text, role=role, sender=sender, created_at=now, released_at=now)
            session.add(record)
            await session.flush()
            unreachable = await _queue(session, cohort.id, cohort.name, record, now)
        log.info("broadcast %d queued for %d people; %d without a chat", record.id, record.recipients, len(unreachable))
        return BroadcastResult(record.id, record.recipients, unreachable)

    async def schedule(self, cohort_key: str, text: str, role: str, at: datetime, sender: str = "LEAD") -> int:
        """Store the message to go at `at` (already checked by parse_send_time); the tick releases it. Its id."""
        text = checked_text(text, role)
        now = self.clock()
        if at <= now:  # parse_send_time refuses it in Danish; a caller that skipped it gets the same words
            raise BroadcastError("Tidspunktet er allerede gået. Vælg et tidspunkt frem i tiden.")
        async with self.db.sessions() as session, session.begin():
            cohort = await get_cohort(session, cohort_key)
            record = Broadcast(cohort_id=cohort.id, text=text, role=role, sender=sender, created_at=now, scheduled_at=at)
            session.add(record)
            await session.flush()
        log.info("broadcast %d scheduled for %s", record.id, at.isoformat())
        return record.id

    async def cancel(self, cohort_key: str, broadcast_id: int) -> None:
        """Cancel a scheduled broadcast that has not gone; BroadcastError (Danish) when it is gone, cancelled or unknown."""
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            cohort = await get_cohort(session, cohort_key)
            # Conditional: the tick's release and this cancel race on the same row, and exactly one wins.
            done = await session.scalar(
                update(Broadcast)
                .where(_waiting(), Broadcast.id == broadcast_id, Broadcast.cohort_id == cohort.id)
                .values(cancelled_at=now)
                .returning(Broadcast.id)
            )
            if done is None:
                record = await session.get(Broadcast, broadcast_id)
                if record is None or record.cohort_id != cohort.id or record.scheduled_at is None:
                    raise BroadcastError("Der er ingen planlagt besked med det nummer på holdet.")
                raise BroadcastError("Beskeden er allerede fortrudt." if record.cancelled_at else "Beskeden er allerede sendt.")
        log.info("scheduled broadcast %d cancelled", broadcast_id)

    async def release_due(self, now: datetime) -> int:
        """Queue every scheduled broadcast whose time has come, once each (any replica may run this); messages queued."""
        queued = 0
        async with self.db.sessions() as session:
            due = list(await session.scalars(select(Broadcast.id).where(_waiting(), Broadcast.scheduled_at <= now).order_by(Broadcast.id)))
        for broadcast_id in due:
            async with self.db.sessions() as session, session.begin():
                # The claim and the queueing commit together: a crash between them leaves it waiting.
                claimed = await session.scalar(
                    update(Broadcast).where(Broadcast.id == broadcast_id, _waiting()).values(released_at=now).returning(Broadcast.id)
                )
                if claimed is None:  # another replica released it, or it was cancelled meanwhile
                    continue
                record = await session.get(Broadcast, broadcast_id, populate_existing=True)
                cohort = await session.get(Cohort, record.cohort_id) if record is not None else None
                if record is None or cohort is None:
                    continue
                await _queue(session, cohort.id, cohort.name, record, now)
                queued += record.recipients
                log.info("scheduled broadcast %d released to %d people", broadcast_id, record.recipients)
        return queued


def _waiting() -> ColumnElement[bool]:
    """A scheduled broadcast not yet released nor cancelled."""
    return and_(Broadcast.scheduled_at.is_not(None), Broadcast.released_at.is_(None), Broadcast.cancelled_at.is_(None))


async def _queue(session: AsyncSession, cohort_id: int, cohort_name: str, record: Broadcast, now: datetime) -> list[str]:
    """One outbox row per reachable person in the role, keyed per broadcast and person; the emails left without a chat."""
    people = await audience(session, cohort_id, record.role)
    chats = await reachable_chats(session, people)
    payload = MessageBuilder.notice(broadcast_title(cohort_name), record.text, record.sender)
    unreachable = []
    messages: list[Outgoing] = []
    for person_id, email in sorted(people.items()):
        chat = chats.get(person_id)
        if chat is None:
            unreachable.append(email)
            continue
        messages.append(Outgoing(f"broadcast/{record.id}/{person_id}", chat, payload, now, broadcast_id=record.id))
    await enqueue_all(session, messages)
    record.recipients = len(people) - len(unreachable)
    return unreachable
