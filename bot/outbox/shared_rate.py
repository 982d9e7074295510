"""The global Teams rate shared by every replica through PostgreSQL: time slots handed out by one row.

Design. Teams limits requests per second per bot and tenant, whatever the number of replicas,
so the pace must be one pace. PacedRate (one process) spaces slots 1/rate apart from an
in-memory `next` moment; SharedRate keeps that moment in the database instead, in the row
`rate_slots(name)` holding `next_at` in epoch seconds **on the database's clock**.

* A replica that needs slots reserves k consecutive ones in one statement:
  `INSERT … ON CONFLICT (name) DO UPDATE SET next_at = GREATEST(next_at, now) + k·interval
  RETURNING next_at, now`. The upsert takes the row lock for the length of that one statement,
  so reservations from all replicas are serialised and never overlap; there is no lock held
  across a network send and no coordinator process.
* Slots are returned relative to the database's `clock_timestamp()` (slot − db_now), and turned
  into the replica's own monotonic time on arrival; clocks of different machines never meet,
  and the round trip only ever makes a slot later, never earlier.
* k is about 0.1 s of slots (rate/10, at least 1): at 50/s that is one round trip per 5 sends
  per replica, ~10 small updates per second in all. Slots a replica reserved but did not use
  in time (it ran out of rows, or its loop woke late) are dropped, never used late: a wasted
  slot lowers throughput a little, a late one could put one send too many into a second.
* The slots are spaced at `pace`·rate (0.94 by default) to leave room for the jitter between a
  slot and the moment the request reaches Teams, which no replica can see for the others.

SQLite serves one machine and one process, so there the sender keeps the in-process PacedRate.
`reserve_batch()` is the cross-replica part on its own: tests/app/test_replicas.py asserts on the
reservations it returns (the database's clock), so a loaded machine cannot change what they see.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass

from sqlalchemy import text

from bot.outbox.clock import REAL_CLOCK, Clock
from bot.storage.db import Database

log = logging.getLogger(__name__)

RESERVE = text(
    "INSERT INTO rate_slots (name, next_at) "
    "VALUES (:name, extract(epoch from clock_timestamp())::float8 + :span) "
    "ON CONFLICT (name) DO UPDATE "
    "SET next_at = GREATEST(rate_slots.next_at, extract(epoch from clock_timestamp())::float8) + :span "
    "RETURNING next_at, extract(epoch from clock_timestamp())::float8"
)


@dataclass(frozen=True)
class Reservation:
    """One round trip's slots, in epoch seconds on the database's clock: `count` slots from `first`, `interval` apart."""

    first: float
    interval: float
    count: int
    db_now: float  # the database's clock when the reservation was made

    @property
    def end(self) -> float:
        """Where the next reservation (of any replica) starts at the earliest."""
        return self.first + self.count * self.interval

    def slots(self) -> list[float]:
        """Each slot's moment, on the database's clock."""
        return [self.first + i * self.interval for i in range(self.count)]


class SharedRate:
    """Send slots spaced 1/(pace·rate) apart across every replica on one PostgreSQL database."""

    def __init__(
        self,
        db: Database,
        per_second: float,
        *,
        name: str = "teams",
        pace: float = 0.94,
        batch: int | None = None,
        late: float = 0.01,
        max_late: int = 50,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        if per_second <= 0:
            raise ValueError("rate must be positive")
        if db.is_sqlite:
            raise ValueError("a shared rate needs PostgreSQL; on SQLite use PacedRate")
        self.db = db
        self.name = name
        self.interval = 1.0 / (per_second * pace)
        self.batch = batch or max(1, int(per_second / 10))
        self.late = late  # a slot missed by more than this is dropped
        self.max_late = max_late  # ... but after this many in a row, the last one is used late
        self._clock = clock
        self._slots: deque[float] = deque()  # reserved slots in our monotonic time
        self._lock = asyncio.Lock()
        self.round_trips = 0
        self.dropped = 0

    async def reserve(self) -> float:
        """Reserve the next slot; the seconds until it comes (0 when it is now)."""
        async with self._lock:
            while True:
                now = self._clock.monotonic()
                while self._slots and self._slots[0] < now - self.late:
                    self._slots.popleft()
                    self.dropped += 1
                if self._slots:
                    return max(0.0, self._slots.popleft() - now)
                await self._fetch()

    async def acquire(self) -> None:
        """Wait for this caller's slot; a slot our loop woke too late for is dropped for the next one.

        A loop that wakes too late for `max_late` slots in a row (a starved CPU) sends on the last one
        anyway: it has wasted every slot before, so its own pace is far below the limit, and a sender
        that never sends would hold the whole outbox back."""
        for _ in range(self.max_late):
            delay = await self.reserve()
            target = self._clock.monotonic() + delay
            if delay > 0:
                await self._clock.sleep(delay)
            if self._clock.monotonic() - target <= self.late:
                return
            self.dropped += 1
        log.warning("the send loop woke too late for %d shared rate slots in a row; sending on the last one", self.max_late)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the injected clock (tests run it in virtual time)."""
        await self._clock.sleep(seconds)

    async def reserve_batch(self) -> Reservation:
        """Reserve the next `batch` slots of the shared pace in one round trip (no replica gets the same ones)."""
        span = self.batch * self.interval
        async with self.db.engine.begin() as conn:
            end, db_now = (await conn.execute(RESERVE, {"name": self.name, "span": span})).one()
        self.round_trips += 1
        return Reservation(end - span, self.interval, self.batch, db_now)

    async def _fetch(self) -> None:
        reservation = await self.reserve_batch()
        here = self._clock.monotonic()
        ahead = reservation.first - reservation.db_now  # seconds from the database's now to our first slot
        self._slots.extend(here + ahead + i * self.interval for i in range(reservation.count))
