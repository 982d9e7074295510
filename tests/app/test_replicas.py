"""Several replicas on one PostgreSQL: migrations one at a time, one shared rate, nothing lost to kill -9.

PostgreSQL only (TEST_DATABASE_URL; `make test-pg` provides one); skipped with a message
without it, and failing instead under CI=true.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.config import REPO_ROOT
from bot.outbox.sender import utcnow
from bot.outbox.shared_rate import Reservation, SharedRate
from bot.services.broadcasts import Broadcaster
from bot.storage.db import MIGRATION_LOCK, Database
from bot.storage.models import OutboxMessage
from tests.fakes.limited_connector import LimitedConnector, ProcessConnector
from tests.support import pgdb
from tests.support.clock import FakeTime
from tests.support.replica_procs import Replica, max_in_window

pytestmark = pytest.mark.postgres

TALENTS = 2000
RATE = 100.0  # the configured global limit, requests per second
LEASE = 5.0  # SEND_LEASE_SECONDS of the replicas


@pytest.fixture
def pg() -> str:
    return pgdb.require_pg()


async def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from bot.storage.db import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


async def _versions(url: str) -> list[str]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return list((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await db.dispose()


async def test_migrations_wait_for_the_advisory_lock(pg: str) -> None:
    url = pgdb.empty_database(pg)
    holder, replica = Database(url), Database(url)
    try:
        async with holder.engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            upgrade = asyncio.create_task(replica.upgrade())
            await asyncio.sleep(1.0)
            assert not upgrade.done(), "the upgrade ran although another replica held the migration lock"
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            await asyncio.wait_for(upgrade, 60)
    finally:
        await holder.dispose()
        await replica.dispose()
    assert await _versions(url) == [await _head_revision()]


async def test_two_replicas_migrating_a_fresh_database_at_once_both_succeed(pg: str) -> None:
    url = pgdb.empty_database(pg)
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "upgrade"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    outcomes = [await asyncio.to_thread(p.communicate, timeout=120) for p in procs]
    for proc, (_, err) in zip(procs, outcomes, strict=False):
        assert proc.returncode == 0, err.decode()[-2000:]
    assert await _versions(url) == [await _head_revision()]


async def _set_next_slot(db: Database, name: str, seconds_from_now: float) -> None:
    """Put the shared pace's next free slot this far from the database's now (negative: behind it)."""
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO rate_slots (name, next_at) VALUES (:name, extract(epoch from clock_timestamp())::float8 + :s) "
                "ON CONFLICT (name) DO UPDATE SET next_at = excluded.next_at"
            ),
            {"name": name, "s": seconds_from_now},
        )


async def _reservations(rates: list[SharedRate], each: int) -> list[list[Reservation]]:
    """Every replica reserving `each` batches as fast as it can, all at once; each one's reservations."""

    async def take(rate: SharedRate) -> list[Reservation]:
        return [await rate.reserve_batch() for _ in range(each)]

    return list(await asyncio.gather(*(take(r) for r in rates)))


async def test_shared_rate_spaces_slots_across_replicas(pg: str) -> None:
    # Asserted on the slots the database hands out (its clock, not ours), so the machine's load
    # cannot change the outcome. Three replicas reserve at once while the next free slot is far
    # ahead of the database's now (so every reservation has to queue behind the one before):
    # the batches must then follow on exactly, whoever got which, with nothing given out twice.
    url = pgdb.fresh_database(pg)
    handles = [Database(url) for _ in range(3)]
    rates = [SharedRate(d, RATE, name="replicas") for d in handles]
    try:
        await _set_next_slot(handles[0], "replicas", 3600.0)
        mine = await _reservations(rates, 20)
    finally:
        for d in handles:
            await d.dispose()
    batch, interval = rates[0].batch, rates[0].interval
    assert batch == RATE / 10 and interval == pytest.approx(1 / (0.94 * RATE))  # ~0.1 s of slots per round trip, at 94 %
    assert [len(m) for m in mine] == [20, 20, 20] and all(r.round_trips == 20 for r in rates)
    chain = sorted((r for m in mine for r in m), key=lambda r: r.first)
    assert all(r.count == batch and r.first > r.db_now + 3000 for r in chain)  # each round trip: a whole batch, an hour ahead
    for before, after in itertools.pairwise(chain):
        assert after.first == pytest.approx(before.end, abs=1e-5)  # back to back: no overlap, no gap
    slots = sorted(t for r in chain for t in r.slots())
    assert len(slots) == len(set(slots)) == 60 * batch
    assert min(b - a for a, b in itertools.pairwise(slots)) == pytest.approx(interval, abs=1e-5)
    assert 94 <= max_in_window(slots) <= 95  # the pace: 94 a second (95 when both ends fall in), under the limit of 100


async def test_shared_rate_behind_the_clock_starts_at_now_not_in_the_past(pg: str) -> None:
    # A pace nobody used for a while has its next slot in the past: a reservation then starts at the
    # database's now (slots in the past would be a burst), and the others queue behind it.
    url = pgdb.fresh_database(pg)
    handles = [Database(url) for _ in range(3)]
    rates = [SharedRate(d, RATE, name="replicas") for d in handles]
    try:
        await _set_next_slot(handles[0], "replicas", -60.0)
        async with handles[0].engine.connect() as conn:
            before = (await conn.execute(text("SELECT extract(epoch from clock_timestamp())::float8"))).scalar_one()
        mine = await _reservations(rates, 3)
    finally:
        for d in handles:
            await d.dispose()
    chain = sorted((r for m in mine for r in m), key=lambda r: r.first)
    assert before <= chain[0].first <= chain[0].db_now  # the first starts at the database's now
    for earlier, later in itertools.pairwise(chain):
        # back to back, or (the row fell behind again between two round trips) at that moment's now
        assert later.first == pytest.approx(earlier.end, abs=1e-5) or earlier.end < later.first <= later.db_now


# ---- kill -9 in the middle of a broadcast ---------------------------------------------------------


async def _counts(db: Database) -> Counter:
    async with db.sessions() as session:
        rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return Counter(dict(rows.all()))


async def test_three_replicas_deliver_a_broadcast_once_despite_kill_9(pg: str, tmp_path: Path) -> None:
    from bench.fanout import COHORT, seed  # the benchmark's bulk seeding of talents with chats

    fake = LimitedConnector(rate=RATE)
    server = ProcessConnector(fake)
    url = pgdb.fresh_database(pg)
    db = Database(url)
    replicas: list[Replica] = []
    try:
        await seed(db, TALENTS, server.start())
        replicas = [
            Replica(url, tmp_path / f"replica{i}.log", TICK_SECONDS="1", SEND_LEASE_SECONDS=f"{LEASE:g}", TEAMS_RATE_PER_SECOND=f"{RATE:g}")
            for i in range(3)
        ]
        await asyncio.gather(*(r.healthy() for r in replicas))
        queued = (await Broadcaster(db, utcnow).broadcast(COHORT, "Husk workshoppen i morgen kl. 9.", "talent", "Test")).queued
        assert queued == TALENTS
        started = time.monotonic()

        victim = replicas[1]
        while (await _counts(db))["sent"] < TALENTS // 3:
            assert time.monotonic() - started < 40, "the broadcast did not get going"
            await asyncio.sleep(0.05)
        victim.kill()
        async with db.sessions() as session:
            # rows the dead replica held: on the wire, or sent but not yet recorded; only these may go twice
            in_flight = await session.scalar(
                select(func.count()).where(OutboxMessage.status == "sending", OutboxMessage.claimed_by.like(f"%:{victim.proc.pid}:%"))
            )
        killed_at = time.monotonic() - started

        while True:
            counts = await _counts(db)
            if counts["pending"] + counts["sending"] == 0:
                break
            assert time.monotonic() - started < 60, f"not drained in time: {dict(counts)}"
            await asyncio.sleep(0.2)
        drained = time.monotonic() - started
    finally:
        for r in replicas:
            r.stop()
        server.stop()
        await db.dispose()

    assert counts == Counter({"sent": TALENTS}), dict(counts)
    delivered = Counter(a.key for a in fake.accepted)
    duplicates = sum(n - 1 for n in delivered.values())
    arrivals = [a.at for a in fake.answers]  # every request that reached the fake, refused or not
    print(
        f"\nkilled replica at {killed_at:.1f} s holding {in_flight} rows; drained at {drained:.1f} s; "
        f"{duplicates} duplicates; most requests in 1 s: {max_in_window(arrivals)} (limit {RATE:g}); "
        f"429s for pacing: {fake.pacing_429s}"
    )
    assert len(delivered) == TALENTS  # every talent got it
    assert duplicates <= in_flight
    assert max_in_window(arrivals) <= RATE  # the three replicas together never broke the global limit
    assert fake.pacing_global == 0


async def test_a_send_loop_that_always_wakes_late_still_sends_after_max_late_slots(pg: str) -> None:
    # Dropping a slot woken too late for keeps sends from bunching; a loop that is late for every
    # slot must still send (after max_late of them) instead of reserving and dropping for ever.
    url = pgdb.fresh_database(pg)
    db = Database(url)
    rate = SharedRate(db, RATE, name="late", max_late=7, clock=FakeTime(oversleep=0.5))
    try:
        await _set_next_slot(db, "late", 2.0)  # every slot ahead: each is slept for, and overslept
        await asyncio.wait_for(rate.acquire(), timeout=30)
        late_ones = rate.dropped
        await _set_next_slot(db, "late", 0.0)
        on_time = SharedRate(db, RATE, name="late")
        await asyncio.wait_for(on_time.acquire(), timeout=30)
    finally:
        await db.dispose()
    assert late_ones >= 7 and rate.round_trips >= 1
    assert on_time.dropped == 0  # the real clock, on time: nothing dropped
