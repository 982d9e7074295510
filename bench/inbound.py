"""Inbound benchmark: this bot against a bare botbuilder echo bot under the same load.

    .venv/bin/python bench/inbound.py [--messages 2000 --concurrency 20] [--rounds 4] [--one-process]
                                      [--profile DIR] [--patch NAME ...] [--strict] [--timeout 300]

Starts on 127.0.0.1:
  * in this process and one event loop, a bare botbuilder echo bot (CloudAdapter +
    ConfigurationBotFrameworkAuthentication, anonymous) and this bot (create_app(settings) on a temp
    SQLite file with the example cohort and roster, a fixed clock before the kick-off, so "næste"
    gets the next-activity card, and no background tasks);
  * in a driver child process, the load and a loopback fake Bot Connector
    (tests/fakes/connector.FakeConnector) that both bots reply to. In production the bot's process
    serves only the bot; the load generator and the Bot Connector live elsewhere, so their CPU must
    not queue behind the bot's turns (with --one-process they share this process, as they did
    before: both bots then look slower, the echo bot less so, being slower to begin with).
Each bot gets one turn alone (it links the talent via the member lookup) and 50 concurrent warm-up
turns; then --messages POSTs of the recorded Teams personal-chat message (text "næste", from the
rostered talent) at --concurrency through one aiohttp ClientSession (connection limit = concurrency),
split into --rounds interleaved rounds (echo, bot, bot, echo, ...) so load from elsewhere on the
machine falls on both alike. Prints turns/s, p50/p99/max latency, the bots' process CPU ms per turn,
and the ratio this/echo. Every reply is checked (echo text / next-activity card) and ERROR log
records are counted. Exit 1 when a request is not 2xx, a reply is missing or wrong, or an error was
logged; 2 when the reference payload is missing or the global --timeout hits; with --strict also 1
when a target is missed (ratio >= 1.5x, p99 < 250 ms).
--profile DIR: cProfile of the measured rounds (DIR/echo.prof, DIR/bot.prof), top functions and own
time per package; figures measured under the profiler are slower.
--patch NAME: apply an experiment from bench/inbound_patches.py (a private monkeypatch of the bot;
its files are untouched). NB gc_freeze/gc_stats are process-wide and affect the echo bot too.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext  # noqa: E402
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication  # noqa: E402

from tests.fakes.connector import FakeConnector  # noqa: E402

PAYLOAD = REPO_ROOT.parent / "shared" / "reference" / "teams-activities" / "message-personal-chat-recorded.json"
EXAMPLE_COHORT = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"
EXAMPLE_ROSTER = REPO_ROOT / "content" / "demo" / "roster.csv"
ANNA = "anna.talent@aalborg.example"
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # as tests/conftest.NOW: 8 days before kick-off
TEXT = "næste"
WARMUP = 50
TARGET_RATIO = 1.5
TARGET_P99_MS = 250.0


# --- (a) the bare echo bot ----------------------------------------------------------------------


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        text = turn_context.activity.text
        await turn_context.send_activity(MessageFactory.text(f"Echo: {text}"))


def echo_app() -> web.Application:
    config = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await adapter.process(request, bot)
        return response if response is not None else web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


# --- (b) this bot --------------------------------------------------------------------------------


async def seed(database_url: str) -> None:
    """The example cohort (kick-off 12 Jan 2027) with the demo roster, as tests.support.seed."""
    from bot.content.cohort import parse_cohort
    from bot.content.programme import load_programme
    from bot.content.yamlfile import load_yaml_file
    from bot.domain.roster import parse_roster
    from bot.services.roster import RosterService
    from bot.storage.db import Database

    programme = load_programme(REPO_ROOT / "content")
    db = Database(database_url)
    try:
        await db.upgrade()
        service = RosterService(db)
        await service.import_cohort(parse_cohort(load_yaml_file(EXAMPLE_COHORT), str(EXAMPLE_COHORT), programme))
        rows = parse_roster(EXAMPLE_ROSTER.read_text(encoding="utf-8"), str(EXAMPLE_ROSTER))
        await service.import_roster("hold-2027", rows, str(EXAMPLE_ROSTER))
    finally:
        await db.dispose()


def bot_app(database_url: str) -> web.Application:
    import inspect

    from app import create_app
    from bot.config import Settings

    settings = replace(Settings.from_env({}), database_url=database_url)
    kwargs: dict[str, Any] = {"clock": lambda: NOW}
    if "background" in inspect.signature(create_app).parameters:
        kwargs["background"] = False  # no scheduler/outbox sender: only inbound turns reach the connector
    return create_app(settings, **kwargs)


class ErrorCount(logging.Handler):
    """Counts ERROR records (e.g. the app's "error in turn") instead of printing their tracebacks."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        out = [f"{r.name}: {r.getMessage()}" + (f" [{type(r.exc_info[1]).__name__}]" if r.exc_info else "") for r in self.records]
        self.records.clear()
        return out


ERRORS = ErrorCount()


# --- serving and driving ---------------------------------------------------------------------------


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/api/messages"


def bodies(template: dict[str, Any], service_url: str, count: int, tag: str) -> list[bytes]:
    """`count` JSON bodies of the recorded message, each with its own activity id."""
    out = []
    for i in range(count):
        activity = dict(template, text=TEXT, serviceUrl=service_url, id=f"{tag}-{i}")
        out.append(json.dumps(activity, ensure_ascii=False).encode("utf-8"))
    return out


class Run(SimpleNamespace):
    latencies: list[float]
    statuses: dict[int, int]
    errors: int
    wall: float


async def drive(http: aiohttp.ClientSession, url: str, payloads: list[bytes], concurrency: int) -> Run:
    """POST every payload with `concurrency` workers; per-request latency and the wall time."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    queue = iter(payloads)
    headers = {"Content-Type": "application/json"}

    async def worker() -> None:
        nonlocal errors
        for body in queue:  # a shared iterator: each payload is sent exactly once
            t0 = time.perf_counter()
            try:
                async with http.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (TimeoutError, aiohttp.ClientError):
                errors += 1
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run(latencies=latencies, statuses=statuses, errors=errors, wall=time.perf_counter() - start)


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1), nearest rank, in ms."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


def area(filename: str) -> str:
    """A profile entry's package: site-packages/<pkg>, the repo's top folder, or stdlib/builtin."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if filename.startswith(str(REPO_ROOT)):
        rel = Path(filename).relative_to(REPO_ROOT).parts
        return "/".join(rel[:2]) if rel[0] == "bot" else rel[0]
    return "builtin" if filename == "~" else "stdlib:" + Path(filename).stem


def by_area(profile: cProfile.Profile, limit: int = 12) -> str:
    """Own time summed per package (cProfile's tottime), largest first."""
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        key = area(filename)
        totals[key] = totals.get(key, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    rows = sorted(totals.items(), key=lambda kv: -kv[1])[:limit]
    return "\n".join(f"  {share / whole:6.1%}  {share:7.2f} s  {key}" for key, share in rows)


def top_functions(profile: cProfile.Profile, limit: int = 18) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(limit)
    text = out.getvalue()
    return text[text.find("   ncalls") :] if "   ncalls" in text else text


class Target:
    """One bot under load: its URL and what the rounds measured."""

    def __init__(self, name: str, url: str, profile: bool) -> None:
        self.name, self.url = name, url
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0
        self.wall = 0.0
        self.cpu = 0.0
        self.replies = 0
        self.profiler = cProfile.Profile() if profile else None

    def add(self, run: dict[str, Any], cpu: float) -> None:
        self.latencies += run["latencies"]
        for status, n in run["statuses"].items():
            self.statuses[int(status)] = self.statuses.get(int(status), 0) + n
        self.errors += run["errors"]
        self.wall += run["wall"]
        self.cpu += cpu
        self.replies += run["replies"]

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def check_echo(connector: FakeConnector) -> str | None:
    wrong = [t for t in connector.texts() if t != f"Echo: {TEXT}"]
    return f"{len(wrong)} replies are not the echo, e.g. {wrong[0][:120]!r}" if wrong else None


def check_bot(connector: FakeConnector) -> str | None:
    wrong = [t for t in connector.texts() if "Kick-off" not in t or "tirsdag 12. januar 2027" not in t]
    return f"{len(wrong)} replies are not the next-activity card, e.g. {wrong[0][:120]!r}" if wrong else None


CHECKS: dict[str, Callable[[FakeConnector], str | None]] = {"echo": check_echo, "bot": check_bot}


class Driver:
    """The load and the fake Bot Connector: runs a round against a bot and checks its replies."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.template = json.loads(PAYLOAD.read_text(encoding="utf-8"))
        self.connector = FakeConnector()
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        await self.connector.start()
        self.connector.know(self.template["from"], ANNA)
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.concurrency), timeout=aiohttp.ClientTimeout(total=30))

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.connector.stop()

    async def round(self, name: str, url: str, size: int, tag: str, concurrency: int) -> dict[str, Any]:
        """POST `size` messages to `url`; latencies, statuses, replies received and what was wrong."""
        assert self.http is not None
        self.connector.clear()
        run = await drive(self.http, url, bodies(self.template, self.connector.url, size, tag), concurrency)
        result = {
            "latencies": run.latencies,
            "statuses": run.statuses,
            "errors": run.errors,
            "wall": run.wall,
            "replies": len(self.connector.sent),
            "wrong": CHECKS[name](self.connector),
        }
        self.connector.clear()
        return result


class ChildDriver:
    """A Driver in a child process (`inbound.py --driver`), spoken to in JSON lines over its pipes."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).resolve()),
            "--driver",
            "--concurrency",
            str(self.concurrency),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**24,
        )
        await self._call({"op": "ping"})

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            await self.proc.wait()

    async def round(self, name: str, url: str, size: int, tag: str, concurrency: int) -> dict[str, Any]:
        return await self._call({"op": "round", "name": name, "url": url, "size": size, "tag": tag, "concurrency": concurrency})

    async def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the driver process ended (exit {await self.proc.wait()})")
        return json.loads(line)


async def driver_main(concurrency: int) -> int:
    """The child's side of ChildDriver: one JSON request per stdin line, one JSON answer per line."""
    driver = Driver(concurrency)
    await driver.start()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := await reader.readline():
            request = json.loads(line)
            answer = (
                {}
                if request["op"] == "ping"
                else await driver.round(request["name"], request["url"], request["size"], request["tag"], request["concurrency"])
            )
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        await driver.stop()
    return 0


def problems_of(name: str, what: str, run: dict[str, Any], expected: int) -> list[str]:
    """What went wrong in one round: non-2xx, transport errors, missing or wrong replies, logged errors."""
    problems = []
    non2xx = sum(n for s, n in run["statuses"].items() if not 200 <= int(s) < 300)
    if run["errors"] or non2xx:
        problems.append(f"{name} {what}: {non2xx} non-2xx responses {run['statuses']}, {run['errors']} transport errors")
    if run["replies"] != expected:
        problems.append(f"{name} {what}: {run['replies']} replies for {expected} messages")
    if run["wrong"] is not None:
        problems.append(f"{name} {what}: {run['wrong']}")
    if errors := ERRORS.take():
        problems.append(f"{name} {what}: {len(errors)} errors logged, e.g. {errors[0]}")
    return problems


async def warm_up(target: Target, driver: Driver | ChildDriver, concurrency: int) -> list[str]:
    """One turn alone (it links the talent through the member lookup), then WARMUP concurrent ones."""
    ERRORS.take()
    first = await driver.round(target.name, target.url, 1, f"{target.name}-first", 1)
    warm = await driver.round(target.name, target.url, WARMUP, f"{target.name}-warm", concurrency)
    return problems_of(target.name, "first turn", first, 1) + problems_of(target.name, "warm-up", warm, WARMUP)


async def measured_round(target: Target, driver: Driver | ChildDriver, size: int, tag: str, concurrency: int) -> list[str]:
    cpu0 = time.process_time()
    if target.profiler:
        target.profiler.enable()
    run = await driver.round(target.name, target.url, size, tag, concurrency)
    if target.profiler:
        target.profiler.disable()
    target.add(run, time.process_time() - cpu0)
    return problems_of(target.name, tag, run, size)


async def main(args: argparse.Namespace) -> int:
    driver: Driver | ChildDriver = Driver(args.concurrency) if args.one_process else ChildDriver(args.concurrency)
    await driver.start()
    runners: list[web.AppRunner] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="inbound-bench-") as tmp:
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await seed(database_url)
        try:
            echo_runner, echo_url = await serve(echo_app())
            runners.append(echo_runner)
            for name in args.patch:
                import inbound_patches  # bench/inbound_patches.py

                inbound_patches.apply(name)
            bot_runner, bot_url = await serve(bot_app(database_url))
            runners.append(bot_runner)
            echo = Target("echo", echo_url, bool(args.profile))
            bot = Target("bot", bot_url, bool(args.profile))
            for target in (echo, bot):
                problems += await warm_up(target, driver, args.concurrency)
            # Interleaved rounds (echo, bot, bot, echo, ...) so that load from elsewhere on the
            # machine falls on both alike; the ratio comes from the summed wall times.
            sizes = [args.messages // args.rounds + (1 if r < args.messages % args.rounds else 0) for r in range(args.rounds)]
            for r, size in enumerate(sizes):
                for target in (echo, bot) if r % 2 == 0 else (bot, echo):
                    problems += await measured_round(target, driver, size, f"{target.name}-{r}", args.concurrency)
        finally:
            for runner in reversed(runners):
                await runner.cleanup()
            await driver.stop()

    print(
        f"\n{args.messages} messages at concurrency {args.concurrency} in {args.rounds} interleaved rounds "
        f"(after {WARMUP + 1} warm-up each), load and fake connector "
        f"{'IN THIS PROCESS' if args.one_process else 'in a driver process'}"
        f"{', patches: ' + ', '.join(args.patch) if args.patch else ''}"
        f"{', UNDER cProfile' if args.profile else ''}"
    )
    print(f"{'bot':<6}{'turns/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'cpu ms/turn':>12}{'wall s':>8}{'2xx':>7}{'replies':>9}")
    for t in (echo, bot):
        print(
            f"{t.name:<6}{t.rate:>9.1f}{pct(t.latencies, 0.5):>9.1f}{pct(t.latencies, 0.99):>9.1f}"
            f"{max(t.latencies, default=0) * 1000:>9.1f}{t.cpu * 1000 / max(1, len(t.latencies)):>12.2f}"
            f"{t.wall:>8.2f}{t.ok:>7}{t.replies:>9}"
        )
        if t.ok != args.messages or t.replies != args.messages:
            problems.append(f"{t.name}: {t.ok} 2xx and {t.replies} replies for {args.messages} messages")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        for t in (echo, bot):
            assert t.profiler is not None
            t.profiler.dump_stats(str(args.profile / f"{t.name}.prof"))
            print(f"\n--- {t.name}: top functions by own time (cProfile, {args.profile / (t.name + '.prof')}) ---")
            print(top_functions(t.profiler))
            print(f"own time by package:\n{by_area(t.profiler)}")
    ratio = bot.rate / echo.rate if echo.rate else 0.0
    cpu_ratio = (echo.cpu / len(echo.latencies)) / (bot.cpu / len(bot.latencies)) if bot.cpu and bot.latencies else 0.0
    p99 = pct(bot.latencies, 0.99)
    for p in problems:
        print(f"PROBLEM: {p}")
    met = ratio >= TARGET_RATIO and p99 < TARGET_P99_MS
    print(f"(cpu-time ratio echo/bot per turn: {cpu_ratio:.2f}x)")
    print(
        f"ratio {ratio:.2f}x (target >= {TARGET_RATIO}x), p99 {p99:.0f} ms (target < {TARGET_P99_MS:.0f} ms)"
        f"{'' if met else '  -- TARGET MISSED'}"
    )
    if problems:
        return 1
    return 1 if args.strict and not met else 0


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved measuring rounds per bot")
    parser.add_argument("--timeout", type=float, default=300.0, help="global limit in seconds")
    parser.add_argument("--one-process", action="store_true", help="run the load and the fake connector in the bots' process (the old way)")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR")
    parser.add_argument("--patch", action="append", default=[], metavar="NAME")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.messages < 1 or args.concurrency < 1 or not 1 <= args.rounds <= args.messages:
        parser.error("--messages, --concurrency and --rounds must be at least 1 (rounds <= messages)")
    if not PAYLOAD.exists():
        print(
            f"error: the recorded Teams payload is missing: {PAYLOAD}\n(it lives in ../shared/reference beside the repo)", file=sys.stderr
        )
        return 2
    if args.driver:
        return asyncio.run(driver_main(args.concurrency))
    if args.profile is not None and args.profile.exists() and not args.profile.is_dir():
        parser.error(f"--profile {args.profile}: exists and is not a directory")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    logging.getLogger().addHandler(ERRORS)  # counted and summarised, not printed
    logging.getLogger().setLevel(logging.ERROR)  # the app's LOCAL MODE warning is expected
    try:
        return asyncio.run(asyncio.wait_for(main(args), args.timeout))
    except TimeoutError:
        print(f"error: gave up after the global timeout of {args.timeout:.0f} s", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(cli())
