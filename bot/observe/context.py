"""What a log line is about: the correlation id, cohort and person id of the work under way (contextvars)."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

# Each aiohttp request, sender row and scheduler job runs in its own asyncio task, and a task starts
# with a copy of its creator's context: a value set here stays with the work that set it.
_correlation: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_cohort: ContextVar[str | None] = ContextVar("cohort", default=None)
_person: ContextVar[int | None] = ContextVar("person_id", default=None)
_turn: ContextVar[TurnRecord | None] = ContextVar("turn", default=None)

MAX_ID = 120  # an activity id is short; anything longer is cut so a crafted one cannot flood the logs


@dataclass
class TurnRecord:
    """What one incoming activity did, filled in as the turn goes: its route and whether it failed."""

    route: str = ""  # the message or card table's entry that answered
    kind: str = ""  # the activity type, for turns no table answered
    failed: bool = False


def new_correlation_id(prefix: str = "") -> str:
    """A fresh id for work that did not come with one (a CLI run, a scheduler tick, an activity without id)."""
    return f"{prefix}{uuid.uuid4().hex}"


def correlation_id() -> str | None:
    """The correlation id of the work under way, or None outside any."""
    return _correlation.get()


def set_correlation_id(value: str | None) -> None:
    """Tie this task's later log lines (and outbox rows it queues) to `value`."""
    _correlation.set(value[:MAX_ID] if value else None)


def set_subject(*, cohort: str | None = None, person_id: int | None = None) -> None:
    """Name the cohort and person this work concerns, where known (ids only: never emails or names)."""
    if cohort is not None:
        _cohort.set(cohort)
    if person_id is not None:
        _person.set(person_id)


@contextlib.contextmanager
def bound(correlation: str | None, *, cohort: str | None = None, person_id: int | None = None) -> Iterator[None]:
    """Within the block, log lines carry this correlation id (and cohort, person); restored after."""
    tokens = (_correlation.set(correlation[:MAX_ID] if correlation else None), _cohort.set(cohort), _person.set(person_id))
    try:
        yield
    finally:
        _person.reset(tokens[2])
        _cohort.reset(tokens[1])
        _correlation.reset(tokens[0])


def begin_turn() -> TurnRecord:
    """Start recording a turn in this task; the record the deeper layers fill in."""
    record = TurnRecord()
    _turn.set(record)
    return record


def current_turn() -> TurnRecord | None:
    """The turn being recorded in this task, or None outside a turn."""
    return _turn.get()


def note_route(route: str) -> None:
    """Say which route of the message or card table answered this turn (a fixed name, for metrics)."""
    record = _turn.get()
    if record is not None and not record.route:
        record.route = route


def note_failure() -> None:
    """Say that this turn failed after it began (the person got the apology)."""
    record = _turn.get()
    if record is not None:
        record.failed = True


class ContextFilter(logging.Filter):
    """Puts correlation_id, cohort and person_id on every record, from the context of the code that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the fields (None where unknown); never drops a record."""
        record.correlation_id = _correlation.get()
        record.cohort = _cohort.get()
        record.person_id = _person.get()
        return True
