"""The plan table's writer: the difference between wanted and stored rows, found and written set-wise."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, insert, select, type_coerce, update
from sqlalchemy.engine import Dialect

from bot.domain.plan import PlanItem
from bot.storage.bulk import DriverStatement
from bot.storage.models import PlannedDelivery, utcnow

MANAGED_KINDS = ("material", "reminder", "nudge", "survey")
NO_LONGER_PLANNED = "no longer planned"
CHUNK = 2000  # rows per statement: bounded parameter lists, and no statement near SQLite's variable limit
PLAN = PlannedDelivery.__table__
# Only the columns the comparison needs, as plain rows: no ORM object per plan row is built or kept. The
# moments and the data are read as the driver gives them (type_coerce to String: no per-value result
# processing, most of the time a comparison took); StoredForm compares the moments in that form and
# decodes the data itself.
_STORED = select(
    PLAN.c.id,
    PLAN.c.key,
    PLAN.c.kind,
    PLAN.c.status,
    PLAN.c.status_reason,
    type_coerce(PLAN.c.due_at, String),
    type_coerce(PLAN.c.not_after, String),
    PLAN.c.seq,
    type_coerce(PLAN.c.data, String),
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

    form: StoredForm
    new: list[PlanItem] = field(default_factory=list)
    moved: list[tuple[int, PlanItem]] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    kept: int = 0

    def summary(self) -> ReplanSummary:
        return ReplanSummary(len(self.new), len(self.moved), len(self.dropped), self.kept)

    def compare(self, wanted: Mapping[str, PlanItem], stored: Iterable[Any], missing: set[str]) -> None:
        """Sort some stored rows (as _STORED reads them) into moved, dropped and kept; their keys leave `missing`."""
        form = self.form
        for row_id, key, kind, status, reason, due_at, not_after, seq, data in stored:
            missing.discard(key)
            item = wanted.get(key)
            if item is None:
                # snoozes and reminders are children of a sent row, not of the calendar: leave them
                if status == "planned" and kind in MANAGED_KINDS and not (form.read_data(data) or {}).get("parent"):
                    self.dropped.append(row_id)
            elif status == "planned" or (status == "skipped" and reason == NO_LONGER_PLANNED):
                same = seq == item.seq and form.same(due_at, not_after, data, item)
                if same and status == "planned":
                    self.kept += 1
                else:
                    self.moved.append((row_id, item))
            else:
                self.kept += 1  # sent rows are never resent


class StoredForm:
    """A dialect's stored form of the compared plan columns: wanted values put in it, stored ones read from it."""

    def __init__(self, dialect: Dialect) -> None:
        moment = PLAN.c.due_at.type.dialect_impl(dialect)
        data = PLAN.c.data.type.dialect_impl(dialect)
        self._bind_moment = moment.bind_processor(dialect) or _as_is
        self._read_moment = moment.result_processor(dialect, None) or _as_is
        self._read_data = data.result_processor(dialect, None) or _as_is
        self._moments: dict[datetime, Any] = {}  # a cohort's rows share a few hundred moments: each bound once

    def read_data(self, stored: Any) -> Any:
        """A stored data value as the plan row's dict (or None)."""
        return None if stored is None else self._read_data(stored)

    def _moment(self, value: datetime | None) -> Any:
        if value is None:
            return None
        bound = self._moments.get(value)
        if bound is None:
            bound = self._moments[value] = self._bind_moment(value)
        return bound

    def same(self, due_at: Any, not_after: Any, data: Any, item: PlanItem) -> bool:
        """Whether the stored moments and data are the item's: moments compared as stored, read back only where they differ."""
        # another stored form may still be the same moment (an older datetime format): read back before it counts
        # as moved. The data is read back always: decoding a small JSON object is faster than encoding one.
        if due_at != self._moment(item.due_at) and self._read_moment(due_at) != item.due_at:
            return False
        if not_after != self._moment(item.not_after) and (not_after is None or self._read_moment(not_after) != item.not_after):
            return False
        return bool(self.read_data(data) == item.data)


def _as_is(value: Any) -> Any:
    return value


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
    dialect = (await session.connection()).dialect
    diff, missing = PlanDiff(StoredForm(dialect)), set(wanted)
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
    # new and moved rows through the driver's executemany, new ones on PostgreSQL as one COPY (bot/storage/bulk.py):
    # the same values SQLAlchemy would bind, without its per-row parameter dicts and per-value type processing
    adding = DriverStatement.compile(_INSERT, dialect, _NEW_FIELDS)
    await adding.run_batches(session, ([_new_row(cohort_id, item, now) for item in batch] for batch in _chunks(diff.new)))
    moving = DriverStatement.compile(_MOVE, dialect, _MOVE_FIELDS)
    await moving.run_batches(
        session,
        ([(row_id, item.due_at, item.not_after, item.seq, item.data, now) for row_id, item in batch] for batch in _chunks(diff.moved)),
    )
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
