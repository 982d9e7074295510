"""The shared retry arithmetic: jittered exponential backoff and Retry-After in seconds or as an HTTP-date."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from bot.delivery.retry import MAX_RETRY_AFTER, backoff, parse_retry_after

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def at_now() -> float:
    return NOW.timestamp()


def test_backoff_doubles_from_base_up_to_the_cap() -> None:
    top = [backoff(n, base=1.0, cap=300.0, rand=lambda: 1.0) for n in range(12)]
    assert top[:9] == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert top[9:] == [300.0, 300.0, 300.0]
    assert backoff(3, base=0.25, cap=60.0, rand=lambda: 0.0) == 0.0


def test_backoff_jitter_spreads_the_wait_over_zero_to_the_ceiling() -> None:
    rng = random.Random(7)
    waits = [backoff(4, base=1.0, cap=300.0, rand=rng.random) for _ in range(2000)]
    assert all(0.0 <= w <= 16.0 for w in waits)
    assert min(waits) < 1.0 and max(waits) > 15.0  # full jitter, not a fixed wait


def test_backoff_without_jitter_is_the_ceiling_itself() -> None:
    assert [backoff(n, base=0.25, cap=4.0, jitter=False) for n in range(6)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]


def test_backoff_never_overflows_for_absurd_attempts() -> None:
    assert backoff(10_000, base=1.0, cap=300.0, rand=lambda: 1.0) == 300.0
    assert backoff(1023, base=10.0, cap=60.0, jitter=False) == 60.0
    assert backoff(-3, base=2.0, cap=60.0, jitter=False) == 2.0


@pytest.mark.parametrize("value, seconds", [("3", 3.0), (" 120 ", 120.0), ("1.5", 1.5), ("0", 0.0), ("-1", 0.0)])
def test_retry_after_in_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value) == seconds


def test_retry_after_as_an_http_date_is_seconds_from_now() -> None:
    in_90 = format_datetime(datetime(2027, 1, 4, 9, 1, 30, tzinfo=UTC), usegmt=True)
    assert in_90 == "Mon, 04 Jan 2027 09:01:30 GMT"
    assert parse_retry_after(in_90, now=at_now) == 90.0
    # "-0000" is UTC too (RFC 5322), whatever the machine's local time zone
    assert parse_retry_after("Mon, 04 Jan 2027 09:01:30 -0000", now=at_now) == 90.0
    assert parse_retry_after("Mon, 04 Jan 2027 10:01:30 +0100", now=at_now) == 90.0


def test_retry_after_in_the_past_means_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=at_now) == 0.0


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "nan", "0x10", "Mon, 99 Foo 2027", "3 seconds"])
def test_retry_after_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_retry_after_is_bounded() -> None:
    assert parse_retry_after("1e9") == MAX_RETRY_AFTER
    assert parse_retry_after("inf") == MAX_RETRY_AFTER
    assert parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now=at_now) == MAX_RETRY_AFTER
    assert parse_retry_after("900", cap=600.0) == 600.0  # the Graph client's own bound
    assert parse_retry_after("30", cap=600.0) == 30.0
