"""The monotonic clock the outbox paces by: the real one in production, a virtual one in tests."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Seconds on a monotonic clock, and a sleep measured on that same clock."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    """time.monotonic and asyncio.sleep (asyncio's loop keeps time with time.monotonic too)."""

    def monotonic(self) -> float:
        """Seconds on the machine's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the event loop for this many real seconds."""
        await asyncio.sleep(seconds)


REAL_CLOCK = RealClock()
