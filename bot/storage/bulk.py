"""Bulk writes through the driver's own executemany: a statement compiled once, its parameters bound column-wise."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement, Insert
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
    # PostgreSQL (asyncpg) and an INSERT of bound columns only: (table, columns) for a binary COPY instead
    copy: tuple[str, tuple[str, ...]] | None = None

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
        return cls(compiled.string, tuple(slots), _copy_target(statement, dialect, order, slots))

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

    async def run_batches(self, session: AsyncSession, batches: Iterable[Sequence[tuple[Any, ...]]]) -> None:
        """Execute for every row of every batch in the session's transaction: a driver call per batch, or one COPY.

        The COPY binds each batch as it goes, so the server stores one batch while the next is bound."""
        pending = (rows for rows in batches if rows)
        first = next(pending, None)
        if first is None:
            return
        conn = await session.connection()
        if self.copy is not None:
            driver = (await conn.get_raw_connection()).driver_connection
            # only inside the transaction SQLAlchemy began: on its own a COPY would commit at once
            if driver is not None and driver.is_in_transaction():
                records = (record for rows in chain([first], pending) for record in self.bind(rows))
                await _copy_rows(driver, *self.copy, records)
                return
        for rows in chain([first], pending):
            await conn.exec_driver_sql(self.sql, self.bind(rows))


def _copy_target(
    statement: ClauseElement, dialect: Dialect, order: Sequence[str], slots: Sequence[_Slot]
) -> tuple[str, tuple[str, ...]] | None:
    """(table, columns) when `statement` can run as asyncpg's binary COPY: an INSERT whose every value is a bound column."""
    # PostgreSQL spends a third less on a COPY of a first roster import's 84 200 plan rows than on as many INSERTs
    if dialect.driver != "asyncpg" or not isinstance(statement, Insert) or statement.table.schema is not None:
        return None
    columns = statement.table.c
    if any(slot.field is None for slot in slots) or any(name not in columns for name in order):
        return None
    return statement.table.name, tuple(order)


async def _copy_rows(driver: Any, table: str, columns: tuple[str, ...], records: Iterator[tuple[Any, ...]]) -> None:
    """COPY the bound rows into `table`; the driver's errors raised as SQLAlchemy's, as an INSERT's would be."""
    import asyncpg  # only on PostgreSQL, where it is the driver

    try:
        await driver.copy_records_to_table(table, records=records, columns=columns)
    except asyncpg.IntegrityConstraintViolationError as error:
        raise IntegrityError(f"COPY {table}", None, error) from error
    except asyncpg.PostgresError as error:
        raise DBAPIError(f"COPY {table}", None, error) from error
