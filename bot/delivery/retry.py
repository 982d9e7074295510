"""The retry arithmetic every outbound HTTP caller shares: jittered exponential backoff and Retry-After."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime

# A Retry-After beyond a day is a broken header, not advice; without a bound an absurd value
# (or "inf") would overflow the datetime arithmetic of whoever schedules the retry.
MAX_RETRY_AFTER = 86400.0


def backoff(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 300.0,
    jitter: bool = True,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number `attempt`: up to base·2^attempt, capped; full jitter unless jitter=False."""
    # min() before the power would overflow: 2**attempt is exact for any int, the product may not be
    ceiling = cap if attempt >= 1024 else min(cap, base * (2 ** max(0, attempt)))
    return rand() * ceiling if jitter else ceiling


def parse_retry_after(value: str | None, *, cap: float = MAX_RETRY_AFTER, now: Callable[[], float] = time.time) -> float | None:
    """A Retry-After header (delta-seconds or an HTTP-date) as seconds in [0, cap]; None when absent or garbage."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment is None:  # some Python versions return None instead of raising
            return None
        if moment.tzinfo is None:  # "-0000": UTC by RFC 5322, not the machine's local time
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp() - now()
    if math.isnan(seconds):
        return None
    return min(cap, max(0.0, seconds))
