"""The plan table's writer: the difference between wanted and stored rows, found and written set-wise."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from bot.domain.plan import PlanItem
from bot.storage.bulk import DriverStatement
from bot.storage.models import PlannedDelivery, utcnow

MANAGED_KINDS = ("material", "reminder", "nudge", "survey")
NO_LONGER_PLANNED = "no longer planned"
CHUNK = 2000  # rows per statement: bounded parameter lists, and no statement near SQLite's variable limit
PLAN = PlannedDelivery.__table__
# Only the columns the comparison needs, as plain rows: no ORM object per plan row is built or kept.
_STORED = select(
    PLAN.c.id,
    PLAN.c.key,
    PLAN.c.kind,
    PLAN.c.status,
    PLAN.c.status_reason,
    PLAN.c.due_at,
    PLAN.c.not_after,
    PLAN.c.seq,
    PLAN.c.data,
)
# The columns a new row gets, in the order _new_row gives them (the rest have no default: NULL).
_NEW_FIELDS = (
    "key",
    "cohort_id",
    "person_id",
    "kind",
    "activity_key",
    "topic",
    "seq",
    "due_at",
    "not_after",
    "status",
    "data",
    "created_at",
    "updated_at",
)
_INSERT = insert(PLAN).values({name: bindparam(name) for name in _NEW_FIELDS})
_MOVE_FIELDS = ("row_id", "new_due", "new_not_after", "new_seq", "new_data", "now")
_MOVE = (
    update(PLAN)
    .where(PLAN.c.id == bindparam("row_id"))
    .values(
        due_at=bindparam("new_due"),
        not_after=bindparam("new_not_after"),
        seq=bindparam("new_seq"),
        data=bindparam("new_data"),
        status="planned",
        status_reason=None,
        updated_at=bindparam("now"),
    )
)


@dataclass
class ReplanSummary:
    """What a re-plan changed."""

    added: int = 0
    moved: int = 0
    dropped: int = 0
    kept: int = 0

    def __str__(self) -> str:
        return f"{self.added} added, {self.moved} moved, {self.dropped} dropped, {self.kept} unchanged"


@dataclass
class PlanDiff:
    """The writes a re-plan needs: new items, stored rows to move (id, item) and to drop (ids)."""

    new: list[PlanItem] = field(default_factory=list)
    moved: list[tuple[int, PlanItem]] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    kept: int = 0

    def summary(self) -> ReplanSummary:
        return ReplanSummary(len(self.new), len(self.moved), len(self.dropped), self.kept)

    def compare(self, wanted: Mapping[str, PlanItem], stored: Iterable[Any], missing: set[str]) -> None:
        """Sort some stored rows into moved, dropped and kept; their keys leave `missing` (wanted, not stored)."""
        for row_id, key, kind, status, reason, due_at, not_after, seq, data in stored:
            missing.discard(key)
            item = wanted.get(key)
            if item is None:
                # snoozes and reminders are children of a sent row, not of the calendar: leave them
                if status == "planned" and kind in MANAGED_KINDS and not (data or {}).get("parent"):
                    self.dropped.append(row_id)
            elif status == "planned" or (status == "skipped" and reason == NO_LONGER_PLANNED):
                same = due_at == item.due_at and not_after == item.not_after and seq == item.seq and data == item.data
                if same and status == "planned":
                    self.kept += 1
                else:
                    self.moved.append((row_id, item))
            else:
                self.kept += 1  # sent rows are never resent


def diff_plan(wanted: Mapping[str, PlanItem], stored: Iterable[Any]) -> PlanDiff:
    """Compare the stored rows (as _STORED reads them) with the wanted items; sent rows are never touched."""
    diff, missing = PlanDiff(), set(wanted)
    diff.compare(wanted, stored, missing)
    diff.new = [item for key, item in wanted.items() if key in missing]
    return diff


def _chunks(rows: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


async def write_plan(session: Any, cohort_id: int, wanted: Mapping[str, PlanItem], scope: Any = None) -> ReplanSummary:
    """Bring the cohort's stored plan rows in line with `wanted` in the caller's transaction, in bulk statements.

    With `scope` (a WHERE clause, bot/services/plan_scope.py) only the stored rows it selects are compared:
    `wanted` is then the scope's rows, and every other row of the cohort is left as it is."""
    diff, missing = PlanDiff(), set(wanted)
    stored = _STORED.where(PLAN.c.cohort_id == cohort_id)
    # streamed a chunk at a time: the stored rows are compared and let go, never all held at once
    result = await session.stream((stored if scope is None else stored.where(scope)).execution_options(yield_per=CHUNK))
    async for rows in result.partitions():
        diff.compare(wanted, rows, missing)
    if scope is not None and missing:
        # a wanted key stored outside the scope (its anchor moved to another activity) is that row, not a new one
        for batch in _chunks(sorted(missing)):
            diff.compare(wanted, (await session.execute(stored.where(PLAN.c.key.in_(batch)))).all(), missing)
    diff.new = [item for key, item in wanted.items() if key in missing]
    del missing
    now = utcnow()
    # new and moved rows through the driver's executemany (bot/storage/bulk.py): the same values
    # SQLAlchemy would bind, without its per-row parameter dicts and per-value type processing
    dialect = (await session.connection()).dialect
    adding = DriverStatement.compile(_INSERT, dialect, _NEW_FIELDS)
    for batch in _chunks(diff.new):
        await adding.run(session, [_new_row(cohort_id, item, now) for item in batch])
    moving = DriverStatement.compile(_MOVE, dialect, _MOVE_FIELDS)
    for batch in _chunks(diff.moved):
        await moving.run(session, [(row_id, item.due_at, item.not_after, item.seq, item.data, now) for row_id, item in batch])
    for batch in _chunks(diff.dropped):
        await session.execute(
            update(PLAN).where(PLAN.c.id.in_(batch)).values(status="skipped", status_reason=NO_LONGER_PLANNED, updated_at=now)
        )
    return diff.summary()


def _new_row(cohort_id: int, item: PlanItem, now: datetime) -> tuple[Any, ...]:
    """A new plan row's values in the order of _NEW_FIELDS."""
    return (
        item.key,
        cohort_id,
        item.person_id,
        item.kind,
        item.activity_key,
        item.topic,
        item.seq,
        item.due_at,
        item.not_after,
        "planned",
        item.data,
        now,
        now,
    )
