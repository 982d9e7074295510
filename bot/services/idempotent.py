"""Unique-key races (a card clicked twice, two turns of a new chat): the loser runs again and finds the winner's row."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 3


async def retry_on_conflict(work: Callable[[], Awaitable[T]], what: str) -> T:
    """Run one transaction; on a unique-key conflict (a concurrent twin committed first) run it again.

    Each action reads before it writes, so the second run sees the twin's row, writes nothing new
    and returns the same refreshed card."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await work()
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            log.info("%s raced a twin (double-click); running it again", what)
    raise AssertionError("unreachable")
