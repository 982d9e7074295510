"""A background loop's failure: logged once with its traceback, then quiet with a growing pause."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

FIRST_PAUSE = 1.0
MAX_PAUSE = 60.0


class Trouble:
    """One loop's run of failures: the first is logged, later ones only counted; success says so once."""

    def __init__(self, what: str, log: logging.Logger, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.log = log
        self.clock = clock
        self.failures = 0
        self.pause = 0.0
        self._until = 0.0

    def failed(self, exc: BaseException) -> float:
        """Record a failure; the seconds to wait before the next try (doubling up to a minute)."""
        self.failures += 1
        if self.failures == 1:
            self.log.error("%s failed; retrying with back-off, quiet until it recovers", self.what, exc_info=exc)
        else:
            self.log.debug("%s failed again (%d in a row): %s", self.what, self.failures, type(exc).__name__)
        self.pause = min(MAX_PAUSE, FIRST_PAUSE * 2 ** (self.failures - 1))
        self._until = self.clock() + self.pause
        return self.pause

    def ok(self) -> None:
        """Record a success; a recovery after failures is logged once."""
        if self.failures:
            self.log.warning("%s works again after %d failure(s)", self.what, self.failures)
        self.failures, self.pause, self._until = 0, 0.0, 0.0

    @property
    def waiting(self) -> float:
        """Seconds left of the current pause (0 when a try is due)."""
        return max(0.0, self._until - self.clock()) if self.failures else 0.0
