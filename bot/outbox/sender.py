"""The sender: claims due outbox rows under a lease (claims.py), sends them at Teams' pace, records the outcome (group_commit.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, or_, update

from bot.delivery.connector import ConnectorClient, SendResult
from bot.delivery.retry import backoff
from bot.observe.context import bound
from bot.observe.metrics import PACING_WAIT_SECONDS, PACING_WAITS, SENDS, send_outcome
from bot.outbox.claims import Claimed, Claims
from bot.outbox.clock import REAL_CLOCK
from bot.outbox.clock import Clock as Monotonic
from bot.outbox.group_commit import GroupCommit
from bot.outbox.pacing import ConversationWindows, PacedRate, SlidingLimit
from bot.outbox.shared_rate import SharedRate
from bot.outbox.updates import deliver
from bot.storage.db import Database
from bot.storage.models import Conversation, OutboxMessage
from bot.storage.trouble import Trouble

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
T = TypeVar("T")

RETRY_STATUSES = {0, 412, 500, 502, 503, 504}
GONE_STATUSES = {403, 404}
MAX_THROTTLES = 20  # 429s per row before we give up on it


def utcnow() -> datetime:
    """Now, in UTC (the sender's default clock)."""
    return datetime.now(UTC)


@dataclass
class SenderStats:
    """Counters since start, for logs, status and benchmarks."""

    sent: int = 0
    retried: int = 0
    throttled: int = 0
    dead: int = 0
    unreachable: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


class Sender(Claims):
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
        rate: PacedRate | SharedRate | None = None,
        windows: ConversationWindows | None = None,
        max_window_wait: float | None = None,
        ceiling: SlidingLimit | None = None,
        timer: Monotonic = REAL_CLOCK,
    ) -> None:
        self.db = db
        self.client = client
        # `clock` stamps the database (due, sent, lease); `timer` paces the sends and times their
        # deadlines. Parts passed in (rate, windows, ceiling) should keep time on the same timer.
        self.timer = timer
        # Slots spaced a little under the configured limit, and a hard cap on the moments sends
        # really leave: never more than the limit in any 1.02 s, so neither bunching on our side
        # nor 20 ms of jitter on the way can put more than the limit into one of Teams' seconds.
        # On PostgreSQL the slots come from the database, shared by every replica (shared_rate.py).
        self.rate = rate or (
            PacedRate(rate_per_second * 0.98, clock=timer) if db.is_sqlite else SharedRate(db, rate_per_second, clock=timer)
        )
        self.ceiling = ceiling or SlidingLimit(max(1, int(rate_per_second)), 1.02, clock=timer)
        # 50 ms on every conversation window for the same reason (jitter on the way there)
        self.windows = windows or ConversationWindows(margin=0.05, clock=timer)
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.batch = max(concurrency * 4, int(rate_per_second * 2))
        # run() claims the next batch when this few claimed rows still wait for their slot,
        # so the pace never stalls between batches
        self.low_water = max(concurrency, int(rate_per_second * 0.5))
        if isinstance(self.rate, SharedRate):
            # Replicas split the shared rate, so a batch sized for the whole rate would outlast the
            # lease here: hold about an eighth of a lease's worth of sends at the full rate.
            self.batch = min(self.batch, max(concurrency, int(rate_per_second * lease_seconds / 8)))
            self.low_water = min(self.low_water, self.batch // 2)
        # A row whose conversation window is full for longer than this goes back to the outbox
        # (due when the window frees) instead of holding its lease and blocking the batch.
        self.max_window_wait = max_window_wait if max_window_wait is not None else min(5.0, lease_seconds / 4)
        self.stats = SenderStats()
        self._wake = asyncio.Event()
        self._gate = asyncio.Semaphore(concurrency)  # requests on the wire
        self._writes = GroupCommit(db)  # outcomes, committed in groups
        self._lanes: dict[str, list] = {}  # conversation id -> [lock, users]
        self._gone: set[int] = set()  # conversations found unreachable by this sender
        self._queued = 0  # rows run() claimed that have not yet gone out
        self._room = asyncio.Event()  # set when _queued falls to low_water

    def wake(self) -> None:
        """New rows are waiting: skip the poll delay."""
        self._wake.set()

    async def drain_once(self) -> int:
        """Claim one batch and send it; the number of rows handled."""
        claimed = await self.claim()
        if not claimed:
            return 0
        await asyncio.gather(*(self._handle(row) for row in claimed))
        self.windows.forget_idle()
        return len(claimed)

    async def run(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        """Drain until stopped, claiming the next batch before the current one runs dry.

        Rows are sent by their own tasks; a new batch is claimed when few claimed rows are left
        waiting for their slot, so the pace does not pause between batches. When nothing is due
        it sleeps until the next row is (a retry, an expired lease), a wake-up or poll_seconds.
        On stop it finishes the rows it holds; if cancelled (a crash, in effect), the rows it
        holds keep their lease and are retaken by whoever runs next.
        """
        log.info("sender %s started", self.worker_id)
        tasks: set[asyncio.Task[None]] = set()
        trouble = Trouble(f"outbox sender {self.worker_id}", log)

        def done(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error("sending an outbox row failed", exc_info=task.exception())

        try:
            while not stop.is_set():
                if self._queued > self.low_water:
                    self._room.clear()
                    await _first(self._room.wait(), stop.wait())
                    continue
                try:
                    self._wake.clear()
                    claimed = await _detached(self.claim())
                    trouble.ok()
                except Exception as exc:  # the database is down or read-only: one log line, then back off
                    await _first(stop.wait(), timeout=trouble.failed(exc))
                    continue
                self._queued += len(claimed)
                for row in claimed:
                    task = asyncio.create_task(self._handle(row, queued=True))
                    tasks.add(task)
                    task.add_done_callback(done)
                if len(claimed) >= self.batch:
                    continue  # a full batch: more may be due
                self.windows.forget_idle()
                try:
                    due_in = await _detached(self.next_due_in())
                except Exception as exc:
                    await _first(stop.wait(), timeout=trouble.failed(exc))
                    continue
                # real time, not the timer: this wait only decides when to look at the database again
                timeout = poll_seconds if due_in is None else min(poll_seconds, max(0.01, due_in + 0.01))
                await _first(self._wake.wait(), stop.wait(), timeout=timeout)
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        log.info("sender %s stopped", self.worker_id)

    def _went_out(self, queued: bool) -> None:
        if queued:
            self._queued -= 1
            if self._queued <= self.low_water:
                self._room.set()

    @contextlib.asynccontextmanager
    async def _lane(self, conversation: str) -> AsyncIterator[None]:
        """One row at a time per conversation, in claim order: messages arrive in order, and
        after a 403/404 nothing more is sent there."""
        lane = self._lanes.setdefault(conversation, [asyncio.Lock(), 0])
        lane[1] += 1
        try:
            async with lane[0]:
                yield
        finally:
            lane[1] -= 1
            if lane[1] == 0:
                del self._lanes[conversation]

    async def _handle(self, row: Claimed, *, queued: bool = False) -> None:
        """Pace one claimed row, send it and record the outcome."""
        deadline = self.timer.monotonic() + self.lease.total_seconds() / 2
        # the send logs under the id of the turn or command that queued it (bot/observe/context.py)
        with bound(row.correlation_id, person_id=row.person_id):
            async with self._lane(row.conversation_id):
                result = await self._pace_and_send(row, queued, deadline)
                if result is not None:
                    self.stats.by_status[result.status] = self.stats.by_status.get(result.status, 0) + 1
                    SENDS.labels(send_outcome(result.status)).inc()
                    dead = self.stats.dead
                    await self._record(row, result)
                    if self.stats.dead > dead:
                        SENDS.labels("dead_lettered").inc()

    async def _pace_and_send(self, row: Claimed, queued: bool, deadline: float) -> SendResult | None:
        """Wait for the conversation's window and a global slot, then send; None if not sent."""
        out = False

        def went_out() -> None:
            nonlocal out
            if not out:
                out = True
                self._went_out(queued)

        try:
            while True:
                if row.unreachable or row.conversation_pk in self._gone:
                    went_out()
                    await self._skip_gone(row)
                    return None
                wait = self.windows.wait_time(row.conversation_id)
                if wait > self.max_window_wait or self.timer.monotonic() + wait > deadline:
                    # (also when it waited so long behind its conversation that its lease runs short)
                    went_out()
                    PACING_WAITS.labels("postponed").inc()
                    await self._postpone(row, wait)
                    return None
                if wait > 0:
                    _waited("conversation", wait)
                    await self.windows.sleep(wait + 0.001)
                    continue
                # The token before the slot: a row that took its slot and then waited for a token
                # renewal would leave late, in a burst with the others that waited (over the rate).
                await self.client.ready()
                async with self._gate:
                    if self.windows.wait_time(row.conversation_id) > 0:
                        continue  # another row for this conversation took the window meanwhile
                    if isinstance(self.rate, SharedRate):
                        # Other replicas share the pace, so this row may have queued at the gate for
                        # long: past half its lease it goes back rather than risk a second sender.
                        if self.timer.monotonic() > deadline:
                            went_out()
                            await self._postpone(row, 0.0)
                            return None
                        # the slot needs database round trips; the lane keeps this chat's other rows out
                        started = self.timer.monotonic()
                        await self.rate.acquire()
                        _waited("global", self.timer.monotonic() - started, floor=0.005)
                    else:
                        delay = self.rate.reserve()
                        if delay > 0:
                            _waited("global", delay)
                            await self.rate.sleep(delay)
                    if (ceiling_wait := self.ceiling.wait_time()) > 0:
                        _waited("global", ceiling_wait)
                    await self.ceiling.acquire()
                    # Counted now, when it leaves (no await until the request): counted before the
                    # global waits, a row the ceiling held back would open its window too early, and
                    # the chat's 8th message could follow the 7 inside one second. The window cannot
                    # fill meanwhile: this chat's next row waits for the lane.
                    self.windows.record(row.conversation_id)
                    went_out()
                    if row.conversation_pk in self._gone:
                        await self._skip_gone(row)
                        return None
                    try:
                        return await deliver(self.client, row.service_url, row.conversation_id, row.payload)
                    except Exception as exc:
                        # Not an answer from Teams (a bad service URL, a bug): count it as a failed
                        # attempt, so the row is retried and in the end dead-lettered; left
                        # 'sending', it would be retaken after every lease, forever.
                        log.exception("sending outbox %s failed before Teams answered", row.key)
                        return SendResult(0, error=f"{type(exc).__name__}: {exc}"[:300])
        finally:
            went_out()

    async def _record(self, row: Claimed, result: SendResult) -> None:
        now = self.clock()
        mine = and_(OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.worker_id)
        values: dict[str, object]
        if 200 <= result.status < 300:
            values = {"status": "sent", "sent_at": now, "activity_id": result.activity_id, "lease_until": None, "last_error": None}
            self.stats.sent += 1
            log.info("outbox %d sent (attempt %d)", row.id, row.attempts + 1)
        elif result.status == 429:
            self.stats.throttled += 1
            wait = result.retry_after if result.retry_after is not None else backoff(1)
            throttles = row.attempts + 1
            if throttles > MAX_THROTTLES + self.max_attempts:
                values = {"status": "dead", "last_error": "throttled too often", "lease_until": None}
                self.stats.dead += 1
                log.warning("outbox %s dead-lettered: throttled too often", row.key)
            else:
                values = {
                    "status": "pending",
                    "attempts": throttles,
                    "next_attempt_at": now + timedelta(seconds=wait),
                    "lease_until": None,
                    "last_error": "429 Retry-After",
                }
        elif result.status in RETRY_STATUSES:
            attempts = row.attempts + 1
            if attempts >= self.max_attempts:
                values = {
                    "status": "dead",
                    "attempts": attempts,
                    "lease_until": None,
                    "last_error": f"gave up after {attempts} attempts: {result.status} {result.error or ''}"[:500],
                }
                self.stats.dead += 1
                log.warning("outbox %s dead-lettered after %d attempts (last %s)", row.key, attempts, result.status)
            else:
                values = {
                    "status": "pending",
                    "attempts": attempts,
                    "lease_until": None,
                    "next_attempt_at": now + timedelta(seconds=backoff(attempts)),
                    "last_error": f"{result.status} {result.error or ''}"[:500],
                }
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
        await self._writes.write(update(OutboxMessage).where(mine).values(**values))

    async def _postpone(self, row: Claimed, wait: float) -> None:
        """The conversation's window is full for a while: give the row back, due when it frees."""
        await self._writes.write(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.worker_id)
            .values(status="pending", lease_until=None, next_attempt_at=self.clock() + timedelta(seconds=wait))
        )

    async def _skip_gone(self, row: Claimed) -> None:
        """A row for a conversation already known to be unreachable: never sent."""
        await self._writes.write(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.worker_id)
            .values(status="unreachable", lease_until=None, last_error="conversation unreachable")
        )

    async def _unreachable(self, row: Claimed, result: SendResult, now: datetime) -> None:
        """403/404: the person removed or blocked the bot. Mark the chat, stop everything queued for it."""
        self._gone.add(row.conversation_pk)
        self.stats.unreachable += 1
        reason = f"{result.status} from Bot Connector"
        log.warning("conversation %d unreachable (%s); LEAD can see it in `outbox status`", row.conversation_pk, result.status)
        await self._writes.write(
            update(Conversation)
            .where(Conversation.id == row.conversation_pk, Conversation.unreachable_at.is_(None))
            .values(unreachable_at=now, unreachable_reason=reason),
            update(OutboxMessage)
            .where(
                OutboxMessage.conversation_id == row.conversation_pk,
                or_(
                    OutboxMessage.id == row.id,
                    OutboxMessage.status == "pending",
                    # rows of this chat this sender holds in the same batch
                    and_(OutboxMessage.status == "sending", OutboxMessage.claimed_by == self.worker_id),
                ),
            )
            .values(status="unreachable", lease_until=None, last_error=reason),
        )


def _waited(limit: str, seconds: float, *, floor: float = 0.0) -> None:
    """Count one wait for Teams' limits (`global` rate or a `conversation` window) of this many seconds."""
    if seconds > floor:
        PACING_WAITS.labels(limit).inc()
        PACING_WAIT_SECONDS.labels(limit).inc(seconds)


async def _detached(work: Awaitable[T]) -> T:
    """Await a database call in its own task: cancelling the caller takes effect at once, and
    the call itself finishes cleanly in the background. (Cancelled half-way, a SQLite call can
    take long to unwind while it waits on the lock, and can leave its connection holding it.)"""
    return await asyncio.shield(asyncio.ensure_future(work))


async def _first(*waits: Awaitable[object], timeout: float | None = None) -> None:
    """Wait until the first of these finishes (or timeout seconds), cancel the rest."""
    futures = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(futures, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in futures:
            future.cancel()
