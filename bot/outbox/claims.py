"""Claiming outbox rows: lease a batch of due rows (pending, or held by a sender that died), and when the next is due."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from bot.storage.db import Database
from bot.storage.models import Conversation, OutboxMessage


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    payload: dict
    attempts: int
    conversation_pk: int
    conversation_id: str
    service_url: str
    unreachable: bool = False
    correlation_id: str | None = None  # the turn or command that queued it
    person_id: int | None = None  # the chat's person (None for a channel)


class Claims:
    """The sender's claims on the outbox; a part of Sender (sender.py), which sets db, clock, batch, lease, worker_id."""

    db: Database
    clock: Callable[[], datetime]
    batch: int
    lease: timedelta
    worker_id: str

    def _due(self, now: datetime) -> ColumnElement[bool]:
        return or_(
            and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
        )

    async def claim(self, limit: int | None = None) -> list[Claimed]:
        """Lease a batch of due rows: pending ones, and 'sending' ones whose lease ran out (a crashed sender)."""
        now = self.clock()
        due = self._due(now)
        # Oldest message first (by id): a retry that has become due goes out before the rest of
        # a long backlog, instead of queueing behind every row that was due before it.
        pick = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit or self.batch)
        lease = {"status": "sending", "claimed_by": self.worker_id, "lease_until": now + self.lease}
        async with self.db.sessions() as session, session.begin():
            if self.db.is_sqlite:
                # one writer at a time (the file lock): picking inside the UPDATE is safe and one round trip
                claim = update(OutboxMessage).where(OutboxMessage.id.in_(pick.scalar_subquery()), due)
            else:
                # Picked in a statement of its own, never as a subquery of the UPDATE: PostgreSQL may
                # re-run a LIMIT … FOR UPDATE SKIP LOCKED subquery for each row it updates (a nested
                # loop), so one claim could take every due row, leaving the other senders none while
                # it works through them one batch's pace at a time (issue #21's "hang").
                picked = list(await session.scalars(pick.with_for_update(skip_locked=True)))
                if not picked:
                    return []
                claim = update(OutboxMessage).where(OutboxMessage.id.in_(picked), due)
            ids = list(await session.scalars(claim.values(**lease).returning(OutboxMessage.id)))
            if not ids:
                return []
            rows = await session.execute(
                select(OutboxMessage, Conversation)
                .join(Conversation, Conversation.id == OutboxMessage.conversation_id)
                .where(OutboxMessage.id.in_(ids))
                .order_by(OutboxMessage.id)
            )
            return [
                Claimed(
                    o.id,
                    o.key,
                    o.payload,
                    o.attempts,
                    c.id,
                    c.conversation_id,
                    c.service_url,
                    c.unreachable_at is not None,
                    o.correlation_id,
                    c.person_id,
                )
                for o, c in rows.all()
            ]

    async def next_due_in(self) -> float | None:
        """Seconds until the next row becomes due (a retry's time or an expired lease), None if none."""
        async with self.db.sessions() as session:
            pending = await session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "pending"))
            leased = await session.scalar(select(func.min(OutboxMessage.lease_until)).where(OutboxMessage.status == "sending"))
        moments = [m for m in (pending, leased) if m is not None]
        if not moments:
            return None
        moment = min(moments)
        if moment.tzinfo is None:  # SQLite's MIN() bypasses the column type
            moment = moment.replace(tzinfo=UTC)
        return (moment - self.clock()).total_seconds()
