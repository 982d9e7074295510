"""What the outbox holds: counts per state, the oldest waiting row, and what failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import Broadcast, Conversation, OutboxMessage, Person

STATES = ("pending", "sending", "sent", "dead", "unreachable")


@dataclass
class OutboxStatus:
    """A snapshot for `python -m bot outbox status`."""

    counts: dict[str, int]
    oldest_pending: datetime | None
    oldest_pending_key: str | None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The snapshot as `outbox status --json` prints it."""
        return {
            "counts": self.counts,
            "oldest_pending": self.oldest_pending.isoformat() if self.oldest_pending else None,
            "oldest_pending_key": self.oldest_pending_key,
            "problems": self.problems,
        }


async def outbox_status(db: Database, problem_limit: int = 50) -> OutboxStatus:
    """Counts per state and the oldest row still waiting to go out."""
    async with db.sessions() as session:
        counts = {state: 0 for state in STATES}
        for state, count in await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)):
            counts[state] = count
        oldest = (
            await session.execute(
                select(OutboxMessage.next_attempt_at, OutboxMessage.key)
                .where(OutboxMessage.status.in_(("pending", "sending")))
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
                .limit(1)
            )
        ).first()
        problems = [
            {"key": key, "status": status, "error": error, "recipient": email}
            for key, status, error, email in await session.execute(
                select(OutboxMessage.key, OutboxMessage.status, OutboxMessage.last_error, Person.email)
                .join(Conversation, Conversation.id == OutboxMessage.conversation_id)
                .outerjoin(Person, Person.id == Conversation.person_id)
                .where(OutboxMessage.status.in_(("dead", "unreachable")))
                .order_by(OutboxMessage.id.desc())
                .limit(problem_limit)
            )
        ]
    return OutboxStatus(counts, oldest[0] if oldest else None, oldest[1] if oldest else None, problems)


@dataclass(frozen=True)
class BroadcastProgress:
    """How far one broadcast's messages have come: counts per outbox state."""

    broadcast_id: int
    recipients: int
    counts: dict[str, int]

    @property
    def waiting(self) -> int:
        """Messages not yet sent or given up on (pending or being sent)."""
        return self.counts["pending"] + self.counts["sending"]

    def line(self) -> str:
        """One line for `outbox status --watch`."""
        c = self.counts
        return (
            f"broadcast {self.broadcast_id}: {c['sent']}/{self.recipients} sent, {self.waiting} waiting, "
            f"{c['dead']} dead, {c['unreachable']} unreachable"
        )


async def broadcast_progress(db: Database, broadcast_id: int | None = None) -> BroadcastProgress | None:
    """The progress of this broadcast (None: the newest one); None when there is no such broadcast."""
    async with db.sessions() as session:
        query = select(Broadcast.id, Broadcast.recipients)
        query = query.where(Broadcast.id == broadcast_id) if broadcast_id is not None else query.order_by(Broadcast.id.desc())
        found = (await session.execute(query.limit(1))).first()
        if found is None:
            return None
        counts = dict.fromkeys(STATES, 0)
        for state, count in await session.execute(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.broadcast_id == found[0]).group_by(OutboxMessage.status)
        ):
            counts[state] = count
    return BroadcastProgress(found[0], max(found[1], sum(counts.values())), counts)
