"""The gauges read from the database at scrape time: outbox rows by state, the oldest pending row, open questions by age."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import generate_latest
from sqlalchemy import func, select

from bot.observe.metrics import (
    OUTBOX_OLDEST_PENDING,
    OUTBOX_ROWS,
    QUESTION_AGE_OLDEST,
    QUESTION_AGES,
    QUESTIONS_OPEN,
    REGISTRY,
    question_age,
)
from bot.outbox.status import STATES
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, Question


def _aware(moment: datetime) -> datetime:
    # SQLite's MIN() bypasses the column type and hands back a naive UTC datetime
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def read_gauges(db: Database, now: datetime) -> None:
    """Set the database gauges from one read (two small aggregate queries and the open questions' times)."""
    async with db.sessions() as session:
        counts = dict.fromkeys(STATES, 0)
        for state, count in await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)):
            counts[state] = count
        # Lateness, not age: a row queued for later (a snooze, a retry's backoff) is not late until it is
        # due, and a row held by a sender that died is due when its lease ran out.
        due = await session.scalar(
            select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        )
        stuck = await session.scalar(
            select(func.min(OutboxMessage.lease_until)).where(OutboxMessage.status == "sending", OutboxMessage.lease_until < now)
        )
        asked = list(await session.scalars(select(Question.created_at).where(Question.status == "open")))
    # Set together after the reads (no await in between), so a scrape never sees half of one read.
    for state, count in counts.items():
        OUTBOX_ROWS.labels(state).set(count)
    moments = [_aware(m) for m in (due, stuck) if m is not None]
    OUTBOX_OLDEST_PENDING.set(max(0.0, (now - min(moments)).total_seconds()) if moments else 0.0)
    ages = dict.fromkeys([label for label, _ in QUESTION_AGES] + [QUESTION_AGE_OLDEST], 0)
    for created in asked:
        ages[question_age((now - _aware(created)).total_seconds())] += 1
    for label, count in ages.items():
        QUESTIONS_OPEN.labels(label).set(count)


async def scrape(db: Database, now: datetime) -> bytes:
    """The whole exposition in Prometheus' text format, the database gauges read just now."""
    await read_gauges(db, now)
    return generate_latest(REGISTRY)
