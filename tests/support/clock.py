"""Time in tests: one fixed "now", a clock the test moves by hand, and virtual monotonic time for pacing."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Awaitable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

T = TypeVar("T")

# A fixed "now" for tests that depend on the calendar: Monday 4 January 2027, 10:00 in Copenhagen.
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand: set `now`, or `advance(seconds)`."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeTime:
    """A clock (bot/outbox/clock.py) whose sleep moves the virtual time at once, never the wall; with
    `oversleep`, every sleep wakes that many seconds late (a starved event loop)."""

    def __init__(self, oversleep: float = 0.0) -> None:
        self.now = 1000.0
        self.oversleep = oversleep

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds) + self.oversleep


class VirtualClock:
    """Monotonic time for the outbox's pacing (bot/outbox/clock.py) that moves only when the test lets it.

    Sleepers wake one at a time in the order of their targets, each at exactly its target moment.
    Time moves on to the next sleeper only while nothing is on the wire (`on_the_wire()` around
    each request): a message then reaches a fake that reads this clock at the virtual moment it
    left, however slowly the machine runs, and a loaded machine cannot bunch sends together. What
    the fake measures is what the pacing decided, and it fails as soon as the pacing is wrong.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._wire = 0  # requests on the wire
        self._changed: asyncio.Event | None = None

    def monotonic(self) -> float:
        """The virtual now, in seconds."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Wait until the driver (run()) brings virtual time to now + seconds."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._seq), future))
        self._poke()
        await future

    @contextlib.contextmanager
    def on_the_wire(self) -> Iterator[None]:
        """Hold virtual time still while a request travels (and while the fake answers it)."""
        self._wire += 1
        try:
            yield
        finally:
            self._wire -= 1
            self._poke()

    async def run(self, *work: Awaitable[T]) -> list[T]:
        """Run these together, moving time to the next sleeper whenever all wait; their results."""
        self._changed = asyncio.Event()
        tasks = [asyncio.ensure_future(w) for w in work]
        everything = asyncio.gather(*tasks)
        while not everything.done():
            for _ in range(10):  # everything runnable reaches its next wait (a sleep, the wire, the database)
                await asyncio.sleep(0)
            if self._wire == 0 and self._sleepers:
                moment, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, moment)
                if not future.done():
                    future.set_result(None)
                continue
            # a request on the wire or a database call: wait for it in real time, not for a timer
            self._changed.clear()
            changed = asyncio.ensure_future(self._changed.wait())
            await asyncio.wait([everything, changed], return_when=asyncio.FIRST_COMPLETED)
            changed.cancel()
        return await everything

    def _poke(self) -> None:
        if self._changed is not None:
            self._changed.set()
