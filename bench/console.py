"""Console benchmark: LEAD-konsol's page size and server time for one cohort of N talents (bench/scale.py's roster).

    .venv/bin/python bench/console.py [--talents 1000] [--requests 10]

Builds a temp SQLite database with the example calendar and bench/scale.py's generated roster (N talents,
N/5 leaders, N/10 mentors, 4 instructors, 2 admins), planned and with buddy groups, then serves create_app on
127.0.0.1 and requests the console as admin0 --requests times per URL, one at a time: the whole page, a
search in Deltagere, the role filter and a later page. Printed per URL: the body's size (whole page and the
Deltagere part alone), the number of <form>s, and the handler's own time (median and max; a middleware
around it) with the CPU time of the event loop's thread in it. Both include rendering the template.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
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
sys.path.insert(0, str(REPO_ROOT / "bench"))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from scale import CALENDAR, COHORT, write_roster  # noqa: E402

DUMP = os.environ.get("BENCH_DUMP", "")
ADMIN = "admin0@lead.example"
URLS = (
    ("whole page", ""),
    ("search 'Talent 99'", "&q=Talent+99#deltagere"),
    ("role = leader", "&rolle=leader#deltagere"),
    ("page 10", "&side=10#deltagere"),
)


async def seed(database_url: str, roster: Path) -> None:
    """The cohort's calendar and roster imported, its buddy groups stored and its plan written."""
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
    core = build_core(db, settings, lambda: datetime.now(UTC))
    try:
        service = RosterService(db)
        await service.import_cohort(parse_cohort(load_yaml_file(CALENDAR), str(CALENDAR), programme))
        await service.import_roster(COHORT, parse_roster(roster.read_text(encoding="utf-8"), "bench"), "bench")
        await core.buddies.suggest(COHORT)
        await core.planner.replan(COHORT)
    finally:
        await db.dispose()


def people_part(html: str) -> str:
    """The Deltagere person list (from its heading to the section's end)."""
    start = html.find('id="h-people"')
    end = html.find("</section>", start)
    return html[start:end] if start >= 0 else ""


async def measure(database_url: str, requests: int) -> None:
    """Serve the app and time each URL; print size, forms and server time."""
    from app import create_app
    from bot.config import Settings

    settings = replace(Settings.from_env({}), database_url=database_url)
    app = create_app(settings, background=False)
    times: list[float] = []
    cpu: list[float] = []

    @web.middleware
    async def timing(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        start, thread = time.perf_counter(), time.thread_time()
        try:
            return await handler(request)
        finally:  # CPU time of the loop's thread too: on a shared machine the wall time also measures the neighbours
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - thread) * 1000)

    app.middlewares.insert(0, timing)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/console?as={ADMIN}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base) as resp:  # warm-up: templates compiled, services built
                await resp.read()
            for label, tail in URLS:
                times.clear()
                cpu.clear()
                body = ""
                for _ in range(requests):
                    async with http.get(base + tail.split("#")[0]) as resp:
                        body = await resp.text()
                    if resp.status != 200:
                        raise SystemExit(f"{label}: HTTP {resp.status}")
                size = len(body.encode("utf-8"))
                if DUMP:  # BENCH_DUMP=DIR keeps each page, to look at what makes it large
                    Path(DUMP).joinpath(label.split()[0] + ".html").write_text(body, encoding="utf-8")
                people = people_part(body)
                heading = re.search(r'id="h-people">([^<]*)<', body)
                print(
                    f"  {label:<20} {size / 1024:8.0f} KB page, {len(people.encode('utf-8')) / 1024:6.0f} KB Deltagere list, "
                    f"{body.count('<form'):5d} forms | server p50 {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms"
                    f"  CPU p50 {statistics.median(cpu):7.1f} ms"
                    f" | {heading.group(1).strip() if heading else '?'}"
                )
    finally:
        await runner.cleanup()


async def main() -> int:
    """Seed, then measure."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--talents", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("talentnord").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        write_roster(roster, args.talents)
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        await seed(url, roster)
        print(f"seeded 1 cohort × {args.talents} talents in {time.perf_counter() - started:.1f} s")
        await measure(url, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
