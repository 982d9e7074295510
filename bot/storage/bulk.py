"""Bulk writes through the driver's own executemany: a statement compiled once, its parameters bound column-wise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from bot.storage.base import UTCDateTime

Process = Callable[[Any], Any]


@dataclass(frozen=True)
class _Slot:
    """One placeholder of the compiled statement: which field of a row fills it (or a fixed value), and how it is bound."""

    field: int | None  # index into the caller's row tuple; None: the statement's own fixed value
    value: Any  # the fixed value, already bound (when field is None)
    process: Process | None  # the column type's bind processor for this dialect
    by_value: bool  # equal values bind equally (UTC datetimes): bound once per distinct value


@dataclass(frozen=True)
class DriverStatement:
    """A Core statement compiled for one dialect, run with plain tuples as the driver's executemany.

    SQLAlchemy's own executemany builds a parameter dict per row and runs every value through its
    type's processor one by one; at tens of thousands of plan rows that is most of a re-plan's time.
    Here the same processors (so the same stored text and values) run once per column, and once per
    distinct moment for datetime columns, whose values repeat across a cohort's rows."""

    sql: str
    slots: tuple[_Slot, ...]

    @classmethod
    def compile(cls, statement: ClauseElement, dialect: Dialect, fields: Sequence[str]) -> DriverStatement:
        """Compile `statement` whose bind parameters are `fields` (in the rows' order) plus fixed values."""
        # for_executemany: no implicit RETURNING of the new ids (PostgreSQL's INSERT had one per row, each sent
        # back and thrown away: 1.1 s of a first roster import of 1 000 talents)
        compiled = statement.compile(dialect=dialect, for_executemany=True)
        # an INSERT or UPDATE compiles to an SQLCompiler (typed as the base Compiled, which has no binds)
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            raise ValueError(f"{type(statement).__name__} does not compile to positional SQL on {dialect.name}")
        order = compiled.positiontup
        slots = []
        for name in order:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            by_value = isinstance(bind.type, UTCDateTime)  # normalised to UTC first: equal instants bind to one value
            if name in fields:
                slots.append(_Slot(fields.index(name), None, process, by_value))
            else:
                value = bind.effective_value  # the statement's own value (e.g. status='planned')
                slots.append(_Slot(None, process(value) if process else value, None, False))
        missing = set(fields) - set(order)
        if missing:
            raise ValueError(f"fields not in the statement: {sorted(missing)}")
        return cls(compiled.string, tuple(slots))

    def bind(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The driver's parameter tuples for `rows` (tuples in the order of `fields`)."""
        if not rows:
            return []
        columns = list(zip(*rows, strict=True))
        bound: list[Any] = []
        for slot in self.slots:
            if slot.field is None:
                bound.append(repeat(slot.value, len(rows)))
                continue
            column = columns[slot.field]
            if slot.process is None:
                bound.append(column)
            elif slot.by_value:
                once = {value: slot.process(value) for value in set(column)}
                bound.append(map(once.__getitem__, column))
            else:
                # None bound once: half a cohort's plan rows carry no data, each of which JSON would encode as 'null'
                process, none = slot.process, slot.process(None)
                bound.append([none if value is None else process(value) for value in column])
        return list(zip(*bound, strict=True))

    async def run(self, session: AsyncSession, rows: Sequence[tuple[Any, ...]]) -> None:
        """Execute for every row in the session's transaction (one driver call)."""
        if not rows:
            return
        conn = await session.connection()
        await conn.exec_driver_sql(self.sql, self.bind(rows))
