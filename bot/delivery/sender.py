"""The sender: claims due outbox rows under a lease, sends them at Teams' pace, records the outcome."""
from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import and_, or_, select, update

from bot.delivery.connector import ConnectorClient, SendResult
from bot.delivery.ratelimit import ConversationWindows, PacedRate
from bot.storage.db import Database
from bot.storage.models import Conversation, OutboxMessage

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]

RETRY_STATUSES = {0, 412, 500, 502, 503, 504}
GONE_STATUSES = {403, 404}
MAX_THROTTLES = 20  # 429s per row before we give up on it


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class SenderStats:
    """Counters since start, for logs, status and benchmarks."""

    sent: int = 0
    retried: int = 0
    throttled: int = 0
    dead: int = 0
    unreachable: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


def backoff(attempt: int, *, base: float = 1.0, cap: float = 300.0, rand: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: a random wait up to base·2^attempt, capped."""
    return rand() * min(cap, base * (2 ** attempt))


@dataclass(frozen=True)
class _Claimed:
    id: int
    key: str
    payload: dict
    attempts: int
    conversation_pk: int
    conversation_id: str
    service_url: str


class Sender:
    """Drains the outbox: claim (lease) → pace → send → mark; safe to run in several processes."""

    def __init__(
        self,
        db: Database,
        client: ConnectorClient,
        *,
        rate_per_second: float = 50.0,
        concurrency: int = 16,
        max_attempts: int = 6,
        lease_seconds: float = 60.0,
        clock: Clock = utcnow,
        worker_id: str | None = None,
        rate: PacedRate | None = None,
        windows: ConversationWindows | None = None,
    ) -> None:
        self.db = db
        self.client = client
        # A small margin under the configured limit keeps jitter from ever crossing it.
        self.rate = rate or PacedRate(rate_per_second * 0.97)
        self.windows = windows or ConversationWindows()
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.batch = max(concurrency * 4, int(rate_per_second * 2))
        self.stats = SenderStats()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """New rows are waiting: skip the poll delay."""
        self._wake.set()

    async def claim(self) -> list[_Claimed]:
        """Lease a batch of due rows: pending ones, and 'sending' ones whose lease ran out (a crashed sender)."""
        now = self.clock()
        due = or_(
            and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
        )
        pick = select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(self.batch)
        if not self.db.is_sqlite:
            pick = pick.with_for_update(skip_locked=True)
        async with self.db.sessions() as session, session.begin():
            ids = list(
                await session.scalars(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(pick.scalar_subquery()), due)
                    .values(status="sending", claimed_by=self.worker_id, lease_until=now + self.lease)
                    .returning(OutboxMessage.id)
                )
            )
            if not ids:
                return []
            rows = await session.execute(
                select(OutboxMessage, Conversation)
                .join(Conversation, Conversation.id == OutboxMessage.conversation_id)
                .where(OutboxMessage.id.in_(ids))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            )
            return [
                _Claimed(o.id, o.key, o.payload, o.attempts, c.id, c.conversation_id, c.service_url)
                for o, c in rows.all()
            ]

    async def drain_once(self) -> int:
        """Claim one batch and send it; the number of rows handled."""
        claimed = await self.claim()
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self.concurrency)

        async def one(row: _Claimed) -> None:
            async with gate:
                await self._send(row)

        await asyncio.gather(*(one(row) for row in claimed))
        self.windows.forget_idle()
        return len(claimed)

    async def run(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        """Drain until stopped; sleep between empty polls unless woken."""
        log.info("sender %s started", self.worker_id)
        while not stop.is_set():
            try:
                handled = await self.drain_once()
            except Exception:
                log.exception("sender loop error; retrying shortly")
                handled = 0
            if handled:
                continue
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        log.info("sender %s stopped", self.worker_id)

    async def _send(self, row: _Claimed) -> None:
        await self.windows.acquire(row.conversation_id)
        await self.rate.acquire()
        result = await self.client.send(row.service_url, row.conversation_id, row.payload)
        self.stats.by_status[result.status] = self.stats.by_status.get(result.status, 0) + 1
        await self._record(row, result)

    async def _record(self, row: _Claimed, result: SendResult) -> None:
        now = self.clock()
        mine = and_(OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.worker_id)
        values: dict[str, object]
        if 200 <= result.status < 300:
            values = {"status": "sent", "sent_at": now, "activity_id": result.activity_id, "lease_until": None, "last_error": None}
            self.stats.sent += 1
        elif result.status == 429:
            self.stats.throttled += 1
            wait = result.retry_after if result.retry_after is not None else backoff(1)
            throttles = row.attempts + 1
            if throttles > MAX_THROTTLES + self.max_attempts:
                values = {"status": "dead", "last_error": "throttled too often", "lease_until": None}
                self.stats.dead += 1
            else:
                values = {"status": "pending", "attempts": throttles, "next_attempt_at": now + timedelta(seconds=wait),
                          "lease_until": None, "last_error": "429 Retry-After"}
        elif result.status in RETRY_STATUSES:
            attempts = row.attempts + 1
            if attempts >= self.max_attempts:
                values = {"status": "dead", "attempts": attempts, "lease_until": None,
                          "last_error": f"gave up after {attempts} attempts: {result.status} {result.error or ''}"[:500]}
                self.stats.dead += 1
                log.warning("outbox %s dead-lettered after %d attempts (last %s)", row.key, attempts, result.status)
            else:
                values = {"status": "pending", "attempts": attempts, "lease_until": None,
                          "next_attempt_at": now + timedelta(seconds=backoff(attempts)),
                          "last_error": f"{result.status} {result.error or ''}"[:500]}
                self.stats.retried += 1
        elif result.status in GONE_STATUSES:
            await self._unreachable(row, result, now)
            return
        else:
            if result.status == 413:
                log.error("BUG: outbox %s rejected as too large (413); the card must be made smaller", row.key)
            else:
                log.error("outbox %s rejected with %s; dead-lettered", row.key, result.status)
            values = {"status": "dead", "lease_until": None, "last_error": f"{result.status} {result.error or ''}"[:500]}
            self.stats.dead += 1
        async with self.db.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).where(mine).values(**values))

    async def _unreachable(self, row: _Claimed, result: SendResult, now: datetime) -> None:
        """403/404: the person removed or blocked the bot. Mark the chat, stop everything queued for it."""
        self.stats.unreachable += 1
        reason = f"{result.status} from Bot Connector"
        log.warning("conversation %d unreachable (%s); LEAD can see it in `outbox status`", row.conversation_pk, result.status)
        async with self.db.sessions() as session, session.begin():
            await session.execute(
                update(Conversation)
                .where(Conversation.id == row.conversation_pk, Conversation.unreachable_at.is_(None))
                .values(unreachable_at=now, unreachable_reason=reason)
            )
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.conversation_id == row.conversation_pk,
                    or_(OutboxMessage.id == row.id, OutboxMessage.status == "pending"),
                )
                .values(status="unreachable", lease_until=None, last_error=reason)
            )
