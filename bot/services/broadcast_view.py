"""A broadcast before and after: the card text and audience before sending, delivery per person afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.outbox.writer import reachable_chats
from bot.services.broadcasts import audience, broadcast_title, checked_text
from bot.services.cohorts import get_cohort
from bot.services.messages.builder import MessageBuilder
from bot.storage.db import Database
from bot.storage.models import Broadcast, Conversation, OutboxMessage, Person

STATUS_DA = {
    "sent": "Leveret",
    "dead": "Fejlede",
    "unreachable": "Kan ikke nås",
    "pending": "I kø",
    "sending": "Sendes nu",
    "no-chat": "Ikke nået (ingen chat med botten)",
}


def card_texts(payload: dict[str, Any]) -> list[str]:
    """Every text of the Adaptive Card(s) in a message, in order: what the recipient reads."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for attachment in payload.get("attachments", []):
        walk(attachment.get("content", {}).get("body", []))
    return out


@dataclass
class BroadcastPreview:
    """What a broadcast would look like and whom it would reach."""

    texts: list[str]
    recipients: int
    unreachable: list[str] = field(default_factory=list)  # names


@dataclass(frozen=True)
class Delivery:
    """One recipient's outcome of a broadcast."""

    name: str
    email: str
    status: str
    status_da: str
    error: str = ""


@dataclass
class BroadcastDeliveries:
    """A sent broadcast and each recipient's state, from its outbox rows."""

    broadcast_id: int
    text: str
    role: str
    created_at: datetime
    rows: list[Delivery]
    scheduled_at: datetime | None = None
    released_at: datetime | None = None
    cancelled_at: datetime | None = None

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def state(self) -> str:
        """sent, waiting (scheduled, not gone yet) or cancelled."""
        return broadcast_state(self.scheduled_at, self.released_at, self.cancelled_at)

    @property
    def sent_at(self) -> datetime:
        """When it went (or goes): the release, else the scheduled time, else when it was written."""
        return self.released_at or self.scheduled_at or self.created_at


def broadcast_state(scheduled_at: datetime | None, released_at: datetime | None, cancelled_at: datetime | None) -> str:
    """sent, waiting or cancelled, from a broadcast's row (one sent at once has no scheduled time)."""
    if cancelled_at is not None:
        return "cancelled"
    return "waiting" if scheduled_at is not None and released_at is None else "sent"


@dataclass(frozen=True)
class BroadcastItem:
    """One broadcast in the console's list: when, to whom, how many, and whether it can still be cancelled."""

    id: int
    text: str
    role: str
    at: datetime
    state: str  # waiting, sent, cancelled
    people: int  # waiting: who the role covers and can be reached now; sent: those it was queued for


async def preview_broadcast(db: Database, cohort_key: str, text: str, role: str, sender: str) -> BroadcastPreview:
    """The card's text and the audience, checked as broadcast() checks them; writes nothing."""
    text = checked_text(text, role)
    async with db.sessions() as session:
        cohort = await get_cohort(session, cohort_key)
        people = await audience(session, cohort.id, role)
        chats = await reachable_chats(session, people)
        names = dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(people)))).all())
        title = broadcast_title(cohort.name)
    payload = MessageBuilder.notice(title, text, sender)
    lost = sorted(names[pid] for pid in people if pid not in chats)
    return BroadcastPreview(card_texts(payload), len(people) - len(lost), lost)


async def broadcast_deliveries(db: Database, cohort_key: str, broadcast_id: int) -> BroadcastDeliveries | None:
    """Delivered, failed, queued or unreachable per person; None when the broadcast is not this cohort's."""
    async with db.sessions() as session:
        cohort = await get_cohort(session, cohort_key)
        record = await session.get(Broadcast, broadcast_id)
        if record is None or record.cohort_id != cohort.id:
            return None
        people = await audience(session, cohort.id, record.role)
        rows = (
            await session.execute(
                select(Conversation.person_id, OutboxMessage.status, OutboxMessage.last_error)
                .join(Conversation, Conversation.id == OutboxMessage.conversation_id)
                .where(OutboxMessage.broadcast_id == record.id)
            )
        ).all()
        named = dict(
            (await session.execute(select(Person.id, Person.name).where(Person.id.in_(set(people) | {r[0] for r in rows if r[0]})))).all()
        )
        emails = dict((await session.execute(select(Person.id, Person.email).where(Person.id.in_(named)))).all())
    outcome = {pid: (status, error or "") for pid, status, error in rows if pid is not None}
    deliveries = []
    for pid in sorted(named, key=lambda p: named[p]):
        status, error = outcome.get(pid, ("no-chat", ""))
        deliveries.append(Delivery(named[pid], emails.get(pid, ""), status, STATUS_DA.get(status, status), error[:120]))
    return BroadcastDeliveries(
        record.id, record.text, record.role, record.created_at, deliveries, record.scheduled_at, record.released_at, record.cancelled_at
    )


async def scheduled_and_recent(db: Database, cohort_key: str, *, recent: int = 5) -> list[BroadcastItem]:
    """The cohort's broadcasts waiting for their time (soonest first), then the last few that went or were cancelled."""
    async with db.sessions() as session:
        cohort = await get_cohort(session, cohort_key)
        waiting = list(
            await session.scalars(
                select(Broadcast)
                .where(Broadcast.cohort_id == cohort.id, Broadcast.scheduled_at.is_not(None))
                .where(Broadcast.released_at.is_(None), Broadcast.cancelled_at.is_(None))
                .order_by(Broadcast.scheduled_at, Broadcast.id)
            )
        )
        gone = list(
            await session.scalars(
                select(Broadcast)
                .where(Broadcast.cohort_id == cohort.id, Broadcast.id.not_in([b.id for b in waiting]))
                .order_by(Broadcast.id.desc())
                .limit(recent)
            )
        )
        reach: dict[str, int] = {}
        for role in {b.role for b in waiting}:
            people = await audience(session, cohort.id, role)
            reach[role] = len(await reachable_chats(session, people))
    items = [BroadcastItem(b.id, b.text, b.role, b.scheduled_at or b.created_at, "waiting", reach[b.role]) for b in waiting]
    for b in gone:
        at = b.released_at or b.scheduled_at or b.created_at
        items.append(BroadcastItem(b.id, b.text, b.role, at, broadcast_state(b.scheduled_at, b.released_at, b.cancelled_at), b.recipients))
    return items
