"""Teams' limits enforced on our side: a paced global rate and sliding windows per conversation."""

from __future__ import annotations

import bisect
from collections import deque

from bot.outbox.clock import REAL_CLOCK, Clock

# Teams' documented per-conversation limits for a bot: (window seconds, max messages).
CONVERSATION_WINDOWS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))


class PacedRate:
    """Hands out send slots spaced 1/rate apart, so no one-second window holds more than `rate`."""

    def __init__(self, per_second: float, *, clock: Clock = REAL_CLOCK) -> None:
        if per_second <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._clock = clock

    def reserve(self) -> float:
        """Reserve the next slot without waiting; the seconds until it comes (0 when free now)."""
        now = self._clock.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now

    async def acquire(self) -> None:
        """Wait for this caller's slot (slots are reserved first come, first served)."""
        delay = self.reserve()
        if delay > 0:
            await self._clock.sleep(delay)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the injected clock (tests run it in virtual time)."""
        await self._clock.sleep(seconds)

    def pause(self, seconds: float) -> None:
        """Hold every later slot back (e.g. after the service said 429 to all of us)."""
        self._next = max(self._next, self._clock.monotonic() + seconds)


class SlidingLimit:
    """At most `limit` events in any sliding window of `window` seconds, counted when they happen.

    PacedRate spaces the slots; this checks the moments sends really leave. A send that
    woke late and the next one on time would otherwise go out closer than the spacing, and
    such bunching is what pushes a one-second window over the limit.
    """

    def __init__(self, limit: int, window: float = 1.0, *, clock: Clock = REAL_CLOCK) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()
        self._clock = clock

    def wait_time(self) -> float:
        """Seconds until one more event fits (0: now)."""
        now = self._clock.monotonic()
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return self._times[-self.limit] + self.window - now

    async def acquire(self) -> None:
        """Wait until one more event fits, then count it (now)."""
        while (wait := self.wait_time()) > 0:
            await self._clock.sleep(wait)
        self._times.append(self._clock.monotonic())


class ConversationWindows:
    """Per-conversation sliding windows: 7/1 s, 8/2 s, 60/30 s, 1800/hour by default."""

    def __init__(
        self,
        windows: tuple[tuple[float, int], ...] = CONVERSATION_WINDOWS,
        *,
        clock: Clock = REAL_CLOCK,
        margin: float = 0.0,
    ) -> None:
        self.windows = windows
        # margin: extra seconds every window is held for, so jitter on the way to the service
        # (an early message delayed, a later one not) cannot squeeze one send too many into it
        self.margin = margin
        self._longest = max(w for w, _ in windows) + margin
        self._sent: dict[str, deque[float]] = {}
        self._clock = clock

    def earliest(self, conversation: str, now: float) -> float:
        """The first moment a message to this conversation fits every window."""
        history = self._sent.get(conversation)
        if not history:
            return now
        while history and history[0] <= now - self._longest:
            history.popleft()
        moment = now
        for window, limit in self.windows:
            window += self.margin
            recent = [t for t in history if t > now - window] if len(history) >= limit else []
            if len(recent) >= limit:
                # the oldest of the last `limit` sends must leave the window first
                moment = max(moment, recent[-limit] + window)
        return moment

    def wait_time(self, conversation: str) -> float:
        """Seconds until one more message to this conversation fits every window (0: now)."""
        now = self._clock.monotonic()
        return max(0.0, self.earliest(conversation, now) - now)

    def record(self, conversation: str, delay: float = 0.0) -> None:
        """Count one message that goes out `delay` seconds from now (0: it leaves now).

        Counting the moment it really leaves, not the moment it was let through, matters: a
        message that waits for its global slot after passing the window would otherwise be
        counted too early, and the window would let the next one through too soon. The sender
        records after every global wait, just before the request, so it passes no delay.
        """
        at = self._clock.monotonic() + max(0.0, delay)
        history = self._sent.setdefault(conversation, deque())
        if history and history[-1] > at:  # keep the history sorted
            history.insert(bisect.bisect_right(history, at), at)
        else:
            history.append(at)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the injected clock (tests run it in virtual time)."""
        await self._clock.sleep(seconds)

    async def acquire(self, conversation: str) -> None:
        """Wait until one more message fits, then count it."""
        while True:
            wait = self.wait_time(conversation)
            if wait <= 0:
                self.record(conversation)
                return
            await self._clock.sleep(wait + 0.001)

    def forget_idle(self) -> None:
        """Drop conversations with no sends in the longest window (memory stays bounded)."""
        cutoff = self._clock.monotonic() - self._longest
        for key in [k for k, v in self._sent.items() if not v or v[-1] <= cutoff]:
            del self._sent[key]
