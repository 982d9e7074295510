"""`tick --now` later than the real clock: what the tick would release or skip by then, without writing anything.

Releasing is an operation done now: a row released "at" a future moment would be stamped to go out
then (a running bot sends nothing until that moment) and rows whose moment had only "passed" on the
simulated clock would be skipped for good. So a future --now is a dry run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from bot.storage.db import Database
from bot.storage.models import Conversation, Person, PlannedDelivery

# --now a little ahead of this machine's clock (a copied timestamp, clock skew) still counts as now
FUTURE_TOLERANCE = timedelta(seconds=60)


def is_simulated_future(moment: datetime, real_now: datetime) -> bool:
    """Whether --now lies beyond the real clock (plus the tolerance)."""
    return moment > real_now + FUTURE_TOLERANCE


@dataclass
class TickPreview:
    """The rows a tick at `moment` would touch: (due, outcome, kind, topic, recipient email)."""

    moment: datetime
    rows: list[tuple[datetime, str, str, str, str]] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row[1] == outcome)


async def preview_release(db: Database, moment: datetime) -> TickPreview:
    """Mirror Planner.release_due(moment) read-only: 'skip' when the activity started, 'release' or 'held'."""
    reachable = exists().where(
        Conversation.person_id == PlannedDelivery.person_id,
        Conversation.kind == "personal",
        Conversation.unreachable_at.is_(None),
    )
    preview = TickPreview(moment)
    async with db.sessions() as session:
        found = await session.execute(
            select(PlannedDelivery, Person.email, reachable.label("reachable"))
            .join(Person, Person.id == PlannedDelivery.person_id)
            .where(PlannedDelivery.status == "planned", PlannedDelivery.due_at <= moment)
            .order_by(PlannedDelivery.due_at, PlannedDelivery.seq, PlannedDelivery.id)
        )
        for row, email, can_reach in found.all():
            outcome = "skip" if row.not_after is not None and row.not_after <= moment else "release" if can_reach else "held"
            preview.rows.append((row.due_at, outcome, row.kind, row.topic, email))
    return preview
