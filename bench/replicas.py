"""Replica benchmarks on PostgreSQL (run through `bench/fanout.py --replicas 1,2,3 --database postgresql://…`).

Fan-out: for each replica count N, a fresh database on the given cluster gets --talents talents
with a chat each; N real `python app.py` processes (local mode, TEAMS_RATE_PER_SECOND = --rate)
drain one broadcast to all of them through a fake Bot Connector in its own process that enforces
the global rate (429 above it). Prints delivered messages per second, its ratio to the limit (the
target: ≥ 0.9, never > 1.0), the most requests the fake saw in any one second, duplicates and
losses.

Inbound: one vs two replicas answering bench/inbound.py's load (the recorded Teams message
"næste" from a rostered talent, --inbound-messages POSTs at --inbound-concurrency), the load
split evenly over the replicas as a load balancer would; prints turns/s and p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from bot.config import normalise_database_url
from bot.outbox.sender import utcnow
from bot.services.broadcasts import Broadcaster
from bot.storage.db import Database
from tests.fakes.connector import FakeConnector
from tests.fakes.limited_connector import LimitedConnector, ProcessConnector
from tests.support.replica_procs import Replica, max_in_window


class Databases:
    """Fresh databases on one PostgreSQL cluster, dropped at the end."""

    def __init__(self, url: str) -> None:
        self.url = normalise_database_url(url)
        self.admin = make_url(self.url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        self.names: list[str] = []

    async def fresh(self, tag: str) -> str:
        name = f"bench_replicas_{tag}"
        conn = await asyncpg.connect(self.admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.names.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        conn = await asyncpg.connect(self.admin)
        try:
            for name in self.names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def _pending(db: Database) -> int:
    from sqlalchemy import func, select

    from bot.storage.models import OutboxMessage

    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))) or 0)


async def fanout(n: int, args: argparse.Namespace, dbs: Databases, logs: Path) -> dict[str, float]:
    """One broadcast drained by n replicas; the figures."""
    from bench.fanout import COHORT, seed

    fake = LimitedConnector(rate=args.rate, seed=args.seed)
    server = ProcessConnector(fake)
    url = await dbs.fresh(f"fanout{n}")
    db = Database(url)
    replicas: list[Replica] = []
    try:
        await db.upgrade()
        await seed(db, args.talents, server.start())
        replicas = [Replica(url, logs / f"fanout{n}-{i}.log", TEAMS_RATE_PER_SECOND=f"{args.rate:g}", TICK_SECONDS="1") for i in range(n)]
        await asyncio.gather(*(r.healthy() for r in replicas))
        queued = (await Broadcaster(db, utcnow).broadcast(COHORT, "Husk workshoppen i morgen kl. 9.", "talent", "Bench")).queued
        start = time.monotonic()
        while await _pending(db):
            if time.monotonic() - start > args.timeout:
                print(f"  {n} replica(s): TIMED OUT after {args.timeout:g} s")
                break
            await asyncio.sleep(0.25)
    finally:
        for r in replicas:
            r.stop()
        server.stop()
        await db.dispose()
    keys = Counter(a.key for a in fake.accepted)
    first = min(a.at for a in fake.answers)
    last = max(a.at for a in fake.accepted)
    rate = len(keys) / max(last - first, 1e-9)
    return {
        "replicas": n,
        "delivered": len(keys),
        "queued": queued,
        "duplicates": sum(v - 1 for v in keys.values()),
        "rate": rate,
        "ratio": rate / args.rate,
        "max_1s": max_in_window([a.at for a in fake.answers]),
        "pacing_429": fake.pacing_429s,
    }


async def inbound(n: int, args: argparse.Namespace, dbs: Databases, logs: Path) -> dict[str, float]:
    """bench/inbound.py's load against n replicas behind an even split; turns/s and latencies."""
    from bench import inbound as load

    template = json.loads(load.PAYLOAD.read_text(encoding="utf-8"))
    connector = FakeConnector()
    await connector.start()
    connector.know(template["from"], load.ANNA)
    url = await dbs.fresh(f"inbound{n}")
    await load.seed(url)
    replicas = [Replica(url, logs / f"inbound{n}-{i}.log") for i in range(n)]
    try:
        await asyncio.gather(*(r.healthy() for r in replicas))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.inbound_concurrency)) as http:
            for r in replicas:  # link the talent, warm up
                await load.drive(http, f"{r.url}/api/messages", load.bodies(template, connector.url, 20, f"warm{r.port}"), 5)
            share = args.inbound_messages // n
            t0 = time.perf_counter()
            runs = await asyncio.gather(
                *(
                    load.drive(
                        http,
                        f"{r.url}/api/messages",
                        load.bodies(template, connector.url, share, f"m{r.port}"),
                        max(1, args.inbound_concurrency // n),
                    )
                    for r in replicas
                )
            )
            wall = time.perf_counter() - t0
    finally:
        for r in replicas:
            r.stop()
        await connector.stop()
    latencies = [x for run in runs for x in run.latencies]
    bad = sum(c for run in runs for s, c in run.statuses.items() if not 200 <= s < 300) + sum(run.errors for run in runs)
    return {
        "replicas": n,
        "turns": len(latencies),
        "rate": len(latencies) / wall,
        "failed": bad,
        "p50": statistics.median(latencies) * 1000,
        "p99": load.pct(latencies, 0.99),
    }


async def main(args: argparse.Namespace) -> int:
    counts = [int(x) for x in str(args.replicas).split(",")]
    dbs = Databases(args.database)
    ok = True
    with tempfile.TemporaryDirectory(prefix="replicas-bench-") as tmp:
        try:
            print(f"fan-out: {args.talents} talents, global limit {args.rate:g}/s, PostgreSQL, replicas {counts}", flush=True)
            for n in counts:
                f = await fanout(n, args, dbs, Path(tmp))
                good = f["delivered"] == f["queued"] and f["ratio"] >= 0.9 and f["max_1s"] <= args.rate
                ok &= good
                print(
                    f"  {n} replica(s): delivered {f['delivered']:.0f}/{f['queued']:.0f} at {f['rate']:.1f}/s = "
                    f"{f['ratio']:.3f} of the limit; most requests in any 1 s {f['max_1s']:.0f}; "
                    f"duplicates {f['duplicates']:.0f}; 429s for pacing {f['pacing_429']:.0f}"
                    f"{'' if good else '  <- TARGET MISSED'}",
                    flush=True,
                )
            if not args.no_inbound:
                print(f"inbound: {args.inbound_messages} turns at concurrency {args.inbound_concurrency}, split over the replicas")
                base = None
                for n in (1, 2):
                    r = await inbound(n, args, dbs, Path(tmp))
                    base = base or r["rate"]
                    ok &= r["failed"] == 0
                    print(
                        f"  {n} replica(s): {r['rate']:.0f} turns/s ({r['rate'] / base:.2f}× one), p50 {r['p50']:.0f} ms, "
                        f"p99 {r['p99']:.0f} ms, failed {r['failed']:.0f}",
                        flush=True,
                    )
        finally:
            await dbs.drop_all()
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1
