"""Teams' limits enforced on our side: a paced global rate and sliding windows per conversation."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Callable

# Teams' documented per-conversation limits for a bot: (window seconds, max messages).
CONVERSATION_WINDOWS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))

Clock = Callable[[], float]
Sleep = Callable[[float], "asyncio.Future[None] | object"]


class PacedRate:
    """Hands out send slots spaced 1/rate apart, so no one-second window holds more than `rate`."""

    def __init__(self, per_second: float, *, clock: Clock = time.monotonic, sleep: Callable = asyncio.sleep) -> None:
        if per_second <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._clock = clock
        self._sleep = sleep

    async def acquire(self) -> None:
        """Wait for this caller's slot (slots are reserved first come, first served)."""
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """Hold every later slot back (e.g. after the service said 429 to all of us)."""
        self._next = max(self._next, self._clock() + seconds)


class ConversationWindows:
    """Per-conversation sliding windows: 7/1 s, 8/2 s, 60/30 s, 1800/hour by default."""

    def __init__(
        self,
        windows: tuple[tuple[float, int], ...] = CONVERSATION_WINDOWS,
        *,
        clock: Clock = time.monotonic,
        sleep: Callable = asyncio.sleep,
    ) -> None:
        self.windows = windows
        self._longest = max(w for w, _ in windows)
        self._sent: dict[str, deque[float]] = {}
        self._clock = clock
        self._sleep = sleep

    def earliest(self, conversation: str, now: float) -> float:
        """The first moment a message to this conversation fits every window."""
        history = self._sent.get(conversation)
        if not history:
            return now
        while history and history[0] <= now - self._longest:
            history.popleft()
        moment = now
        for window, limit in self.windows:
            recent = [t for t in history if t > now - window] if len(history) >= limit else []
            if len(recent) >= limit:
                # the oldest of the last `limit` sends must leave the window first
                moment = max(moment, recent[-limit] + window)
        return moment

    async def acquire(self, conversation: str) -> None:
        """Wait until one more message fits, then count it."""
        while True:
            now = self._clock()
            moment = self.earliest(conversation, now)
            if moment <= now:
                self._sent.setdefault(conversation, deque()).append(now)
                return
            await self._sleep(moment - now + 0.001)

    def forget_idle(self) -> None:
        """Drop conversations with no sends in the longest window (memory stays bounded)."""
        cutoff = self._clock() - self._longest
        for key in [k for k, v in self._sent.items() if not v or v[-1] <= cutoff]:
            del self._sent[key]
