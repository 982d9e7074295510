"""Tab benchmark: the server time of a talent's 'Mit forløb' page, small and large database, against /healthz.

    .venv/bin/python bench/tab.py [--requests 200] [--cohorts 100] [--talents 30] [--strict]

Builds a temp SQLite database with one cohort of --talents talents (the example calendar, leaders,
buddy groups, the full plan), serves create_app on 127.0.0.1 with a fixed clock in the middle of
module 1 (some preparation seen, a nudge held, a plan saved), and requests /tab?as=<talent> and
/healthz --requests times each, interleaved, one at a time. Then adds cohorts up to --cohorts
(× --talents talents, all planned) and measures again. Server time is the handler's own time,
taken by a middleware around it; the client's loopback round-trip is printed beside it. Every page
is checked for the talent's timeline. Targets: median page < 50 ms with one cohort, < 100 ms with
all; --strict exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

EXAMPLE_COHORT = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"
NOW = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)  # between day 1 and day 2 of module 1
LEADERS_PER_COHORT = 10


def roster_csv(n: int, talents: int) -> str:
    """A roster of `talents` talents on both levels and their leaders, emails unique to cohort n."""
    lines = ["email,name,role,organisation,level,leader_email,mentor_email"]
    for j in range(LEADERS_PER_COHORT):
        lines.append(f"leder{j}.h{n}@bench.example,Leder {j} Hold {n},leader,Kommune {j},,,")
    for i in range(talents):
        level = "leder-af-medarbejdere" if i % 2 == 0 else "leder-af-ledere"
        lines.append(
            f"talent{i}.h{n}@bench.example,Talent {i} Hold {n},talent,Kommune {i % LEADERS_PER_COHORT},{level},"
            f"leder{i % LEADERS_PER_COHORT}.h{n}@bench.example,"
        )
    return "\n".join(lines) + "\n"


async def add_cohorts(database_url: str, first: int, last: int, talents: int) -> None:
    """Cohorts first..last-1 with the example calendar (shifted a week per cohort), roster, buddies and plan."""
    from bot.config import Settings
    from bot.content.cohort import parse_cohort
    from bot.content.programme import load_programme
    from bot.content.yamlfile import load_yaml_file
    from bot.domain.roster import parse_roster
    from bot.services.core import build_core
    from bot.services.roster import RosterService
    from bot.storage.db import Database

    programme = load_programme(REPO_ROOT / "content")
    settings = replace(Settings.from_env({}), database_url=database_url)
    db = Database(database_url)
    await db.upgrade()
    core = build_core(db, settings, lambda: NOW)
    await core.learning.ensure_published()
    service = RosterService(db)
    try:
        for n in range(first, last):
            data = load_yaml_file(EXAMPLE_COHORT)  # a LineDict, as the parser wants
            data["key"], data["name"] = f"hold-{n}", f"Hold {n}"
            await service.import_cohort(parse_cohort(data, str(EXAMPLE_COHORT), programme))
            await service.import_roster(f"hold-{n}", parse_roster(roster_csv(n, talents), "bench"), "bench")
            await core.buddies.suggest(f"hold-{n}")
            await core.planner.replan(f"hold-{n}")
    finally:
        await db.dispose()


async def activity(app: web.Application, email: str) -> None:
    """Some history for the measured talent: preparation seen, a nudge held, a plan saved."""
    from sqlalchemy import select

    from app import CORE
    from bot.storage.models import Person, PlannedDelivery

    core = app[CORE]
    async with core.learning.db.sessions() as s:
        pid = await s.scalar(select(Person.id).where(Person.email == email))
        nudge = await s.scalar(
            select(PlannedDelivery.id).where(
                PlannedDelivery.person_id == pid, PlannedDelivery.topic == "leader-conversation", PlannedDelivery.seq == 1
            )
        )
    for activity_key, topic in (("kickoff", "intro"), ("kickoff", "article"), ("m1", "intro")):
        await core.learning.mark_seen(pid, activity_key, topic)
    await core.nudging.done(pid, nudge)
    await core.growth.save_plan(pid, {"aim": "vertical", "individual": "Lede ledere", "team": "Retning", "organisation": "", "notes": ""})


class Timing:
    """Handler time per path, taken by a middleware."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        start = time.perf_counter()
        try:
            return await handler(request)
        finally:
            self.ms.setdefault(request.path, []).append((time.perf_counter() - start) * 1000)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(database_url: str, email: str, requests: int, label: str) -> dict[str, float]:
    """Serve the app, warm it up, then time the page and /healthz interleaved."""
    from app import create_app
    from bot.config import Settings

    settings = replace(Settings.from_env({}), database_url=database_url)
    app = create_app(settings, clock=lambda: NOW, background=False)
    timing = Timing()
    app.middlewares.insert(0, timing.middleware)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    client: dict[str, list[float]] = {"/tab": [], "/healthz": []}
    try:
        if label == "1 cohort":
            await activity(app, email)
        async with aiohttp.ClientSession() as http:
            for _ in range(20):  # warm-up: templates compiled, statements cached, pool filled
                async with http.get(f"{base}/tab?as={email}") as resp:
                    await resp.read()
            timing.ms.clear()
            for _ in range(requests):
                for path in (f"/tab?as={email}", "/healthz"):
                    start = time.perf_counter()
                    async with http.get(base + path) as resp:
                        body = await resp.text()
                    client[path.split("?")[0]].append((time.perf_counter() - start) * 1000)
                    if resp.status != 200 or (path.startswith("/tab") and "Du er her" not in body):
                        raise SystemExit(f"{path}: HTTP {resp.status} or no timeline")
    finally:
        await runner.cleanup()
    page, health = timing.ms["/tab"], timing.ms["/healthz"]
    out = {
        "page_p50": statistics.median(page),
        "page_p95": pct(page, 0.95),
        "health_p50": statistics.median(health),
        "health_p95": pct(health, 0.95),
        "client_p50": statistics.median(client["/tab"]),
        "client_p95": pct(client["/tab"], 0.95),
    }
    print(
        f"{label:>22}: page server p50 {out['page_p50']:6.1f} ms  p95 {out['page_p95']:6.1f} ms | "
        f"/healthz p50 {out['health_p50']:5.2f} ms  p95 {out['health_p95']:5.2f} ms | "
        f"ratio p50 {out['page_p50'] / out['health_p50']:5.1f}x | client round-trip p50 {out['client_p50']:6.1f} ms  "
        f"p95 {out['client_p95']:6.1f} ms  (n={len(page)})"
    )
    return out


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--cohorts", type=int, default=100)
    parser.add_argument("--talents", type=int, default=30)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("talentnord").setLevel(logging.ERROR)  # the local-mode warning once per start
    email = "talent0.h0@bench.example"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        await add_cohorts(url, 0, 1, args.talents)
        print(f"seeded 1 cohort × {args.talents} talents in {time.perf_counter() - started:.1f} s")
        small = await measure(url, email, args.requests, "1 cohort")
        started = time.perf_counter()
        await add_cohorts(url, 1, args.cohorts, args.talents)
        print(f"seeded {args.cohorts} cohorts × {args.talents} talents in {time.perf_counter() - started:.1f} s")
        large = await measure(url, email, args.requests, f"{args.cohorts} cohorts")
    missed = [
        name
        for name, value, target in (("1 cohort", small["page_p50"], 50), (f"{args.cohorts} cohorts", large["page_p50"], 100))
        if value >= target
    ]
    print("targets: page p50 < 50 ms (1 cohort), < 100 ms (all): " + ("met" if not missed else "MISSED for " + ", ".join(missed)))
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
