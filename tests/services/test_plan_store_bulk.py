"""write_plan's driver-level writes store exactly what SQLAlchemy's own executemany stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.domain.plan import PlanItem
from bot.services.plan_store import PLAN, write_plan
from bot.storage.db import Database
from bot.storage.models import Cohort, Person

CET = timezone(timedelta(hours=1))


def _items(prefix: str, person_id: int, shift: timedelta) -> dict[str, PlanItem]:
    """Rows with an aware non-UTC moment, a moment with microseconds, no data and nested data."""
    items = [
        PlanItem(f"{prefix}/a", person_id, "material", "m1", "intro", 0, datetime(2027, 1, 4, 8, 30, tzinfo=CET) + shift, None),
        PlanItem(
            f"{prefix}/b",
            person_id,
            "nudge",
            None,
            "buddy",
            2,
            datetime(2027, 3, 1, 6, 0, 0, 123456, tzinfo=UTC) + shift,
            datetime(2027, 3, 8, 9, 0, tzinfo=CET),
            {"n": 1, "note": "Blå æske", "with": [3, 4], "anchor": None},
        ),
    ]
    return {item.key: item for item in items}


async def _raw(db: Database, prefix: str) -> list[tuple[Any, ...]]:
    """The stored values as the driver gives them back (SQLite: the text in the file), keys without the prefix."""
    async with db.sessions() as s:
        rows = await s.execute(
            text("SELECT key, kind, activity_key, topic, seq, due_at, not_after, status, status_reason, data FROM plan ORDER BY key")
        )
        return [(row[0].removeprefix(prefix), *row[1:]) for row in rows if row[0].startswith(prefix)]


async def _cohort_and_person(db: Database) -> tuple[int, int]:
    """The seeded cohort's id and the first person's."""
    async with db.sessions() as s:
        cohort_id = await s.scalar(select(Cohort.id).where(Cohort.key == "hold-2027"))
        person_id = await s.scalar(select(Person.id).order_by(Person.id).limit(1))
    assert cohort_id is not None and person_id is not None
    return cohort_id, person_id


async def test_new_and_moved_rows_are_stored_as_sqlalchemy_would_store_them(seeded: Database) -> None:
    db = seeded
    cohort_id, person_id = await _cohort_and_person(db)
    now = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)

    # the same rows through SQLAlchemy's executemany: the reference
    async with db.sessions() as s, s.begin():
        reference = _items("ref", person_id, timedelta(0))
        await s.execute(
            insert(PLAN),
            [
                {
                    "key": i.key,
                    "cohort_id": cohort_id,
                    "person_id": i.person_id,
                    "kind": i.kind,
                    "activity_key": i.activity_key,
                    "topic": i.topic,
                    "seq": i.seq,
                    "due_at": i.due_at,
                    "not_after": i.not_after,
                    "status": "planned",
                    "data": i.data,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in reference.values()
            ],
        )
    async with db.sessions() as s, s.begin():
        summary = await write_plan(s, cohort_id, {**reference, **_items("ours", person_id, timedelta(0))})
    assert (summary.added, summary.kept) == (2, 2)
    assert await _raw(db, "ours") == await _raw(db, "ref")

    # moved a day later: through _MOVE, and through a plain ORM-free update for the reference
    later = timedelta(days=1)
    async with db.sessions() as s, s.begin():
        for item in _items("ref", person_id, later).values():
            await s.execute(
                update(PLAN)
                .where(PLAN.c.key == item.key)
                .values(due_at=item.due_at, not_after=item.not_after, seq=item.seq, data=item.data, status="planned", status_reason=None)
            )
    async with db.sessions() as s, s.begin():
        summary = await write_plan(s, cohort_id, {**_items("ref", person_id, later), **_items("ours", person_id, later)})
    assert (summary.moved, summary.kept) == (2, 2)
    ours = await _raw(db, "ours")
    assert ours == await _raw(db, "ref")
    if db.is_sqlite:  # no data is the text 'null' there, as SQLAlchemy writes it (asyncpg gets SQL NULL both ways)
        assert ours[0][-1] == "null"

    # and read back through the ORM's types: aware UTC moments, the data as given
    async with db.sessions() as s:
        due = dict((await s.execute(select(PLAN.c.key, PLAN.c.due_at).where(PLAN.c.key.like("ours/%")))).all())
    assert due["ours/a"] == datetime(2027, 1, 5, 7, 30, tzinfo=UTC) and due["ours/a"].tzinfo == UTC


async def test_a_stored_row_in_another_form_of_the_same_values_is_kept_and_a_changed_value_moved(seeded: Database) -> None:
    # write_plan compares moments and data in their stored form first; another text of the same value
    # (keys in another order, a moment written without microseconds) must still count as unchanged
    db = seeded
    cohort_id, person_id = await _cohort_and_person(db)
    wanted = _items("form", person_id, timedelta(0))
    async with db.sessions() as s, s.begin():
        assert (await write_plan(s, cohort_id, wanted)).added == 2
    reordered = '{"with": [3, 4], "anchor": null, "note": "Blå æske", "n": 1}'
    async with db.sessions() as s, s.begin():
        if db.is_sqlite:
            await s.execute(text("UPDATE plan SET due_at = '2027-01-04 07:30:00' WHERE key = 'form/a'"))
        await s.execute(text("UPDATE plan SET data = :data WHERE key = 'form/b'"), {"data": reordered})
    if db.is_sqlite:  # the text in the file differs from what write_plan would write (asyncpg gives the data decoded)
        raw = {row[0]: row[-1] for row in await _raw(db, "")}
        assert raw["form/b"] == reordered
    async with db.sessions() as s, s.begin():
        summary = await write_plan(s, cohort_id, wanted)
    assert (summary.added, summary.moved, summary.kept) == (0, 0, 2)

    changed = {**wanted, "form/b": wanted["form/b"]._replace(data={**(wanted["form/b"].data or {}), "n": 2})}
    async with db.sessions() as s, s.begin():
        summary = await write_plan(s, cohort_id, changed)
    assert (summary.moved, summary.kept) == (1, 1)
    async with db.sessions() as s:
        data = await s.scalar(select(PLAN.c.data).where(PLAN.c.key == "form/b"))
    assert data == {"n": 2, "note": "Blå æske", "with": [3, 4], "anchor": None}


def test_the_bulk_insert_asks_for_no_ids_back_on_either_database() -> None:
    # an executemany of an INSERT … RETURNING makes PostgreSQL send every new id back, for nothing
    from sqlalchemy.dialects.postgresql import asyncpg
    from sqlalchemy.dialects.sqlite import aiosqlite

    from bot.services.plan_store import _INSERT, _NEW_FIELDS
    from bot.storage.bulk import DriverStatement

    for dialect in (asyncpg.dialect(), aiosqlite.dialect()):
        sql = DriverStatement.compile(_INSERT, dialect, _NEW_FIELDS).sql
        assert sql.startswith("INSERT INTO") and "RETURNING" not in sql.upper()


def test_only_a_postgresql_insert_of_bound_columns_runs_as_a_copy() -> None:
    from sqlalchemy.dialects.postgresql import asyncpg
    from sqlalchemy.dialects.sqlite import aiosqlite

    from bot.services.plan_store import _INSERT, _MOVE, _MOVE_FIELDS, _NEW_FIELDS
    from bot.storage.bulk import DriverStatement

    pg, lite = asyncpg.dialect(), aiosqlite.dialect()
    assert DriverStatement.compile(_INSERT, pg, _NEW_FIELDS).copy == ("plan", _NEW_FIELDS)
    assert DriverStatement.compile(_INSERT, lite, _NEW_FIELDS).copy is None
    assert DriverStatement.compile(_MOVE, pg, _MOVE_FIELDS).copy is None
    # a fixed value in the statement is not a column COPY could be given: the INSERT stays
    fixed = insert(PLAN).values({**{name: bindparam(name) for name in _NEW_FIELDS if name != "status"}, "status": "planned"})
    assert DriverStatement.compile(fixed, pg, [n for n in _NEW_FIELDS if n != "status"]).copy is None


async def test_new_rows_in_several_batches_are_all_stored_and_a_duplicate_rolls_every_batch_back(
    seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # on PostgreSQL one COPY streams every batch; a failure in the last batch must leave none of them
    from bot.services import plan_store

    monkeypatch.setattr(plan_store, "CHUNK", 3)
    db = seeded
    cohort_id, person_id = await _cohort_and_person(db)
    start = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    wanted = {
        f"many/{n:02}": PlanItem(f"many/{n:02}", person_id, "nudge", None, "buddy", n, start + timedelta(hours=n), None, {"n": n})
        for n in range(8)
    }
    async with db.sessions() as s, s.begin():
        assert (await write_plan(s, cohort_id, wanted)).added == 8
    stored = await _raw(db, "many/")
    assert [row[0] for row in stored] == [f"{n:02}" for n in range(8)] and stored[7][4] == 7

    # a key twice, in the last batch: IntegrityError as from an INSERT, and the earlier batches go too
    from bot.services.plan_store import _INSERT, _NEW_FIELDS, _new_row
    from bot.storage.bulk import DriverStatement

    rows = [_new_row(cohort_id, item._replace(key=item.key.replace("many", "more")), start) for item in wanted.values()]
    with pytest.raises(IntegrityError):
        async with db.sessions() as s, s.begin():
            await s.execute(text("SELECT 1"))  # the transaction begun, as write_plan's read of the stored rows begins it
            statement = DriverStatement.compile(_INSERT, (await s.connection()).dialect, _NEW_FIELDS)
            await statement.run_batches(s, [rows[:3], rows[3:6], [rows[6], rows[0]]])
    assert await _raw(db, "more/") == []


async def test_a_copy_outside_a_begun_transaction_is_not_committed_on_its_own(seeded: Database) -> None:
    # the driver has no transaction open until SQLAlchemy's first statement: the rows then go through
    # the INSERT, which begins it, and a rollback still takes them away
    from bot.services.plan_store import _INSERT, _NEW_FIELDS, _new_row
    from bot.storage.bulk import DriverStatement

    db = seeded
    cohort_id, person_id = await _cohort_and_person(db)
    now = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
    item = PlanItem("fresh/a", person_id, "material", "m1", "intro", 0, now, None)
    async with db.sessions() as s:
        conn = await s.connection()
        statement = DriverStatement.compile(_INSERT, conn.dialect, _NEW_FIELDS)
        await statement.run_batches(s, [[_new_row(cohort_id, item, now)]])
        await s.rollback()
    assert await _raw(db, "fresh/") == []
