"""Time in tests: one fixed "now" and a clock the test moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
