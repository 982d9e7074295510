"""Scale benchmark: LEAD's operations on one cohort of 100 / 1 000 / 5 000 talents, on SQLite and PostgreSQL.

    .venv/bin/python bench/scale.py [--sizes 100,1000,5000] [--backends sqlite,postgresql] [--database URL]

Per size and backend, a fresh database gets the example cohort's calendar (content/demo/cohort-example.yaml)
and a generated roster with the real programme's shape: N talents, N/5 leaders (five talents each),
N/10 mentors (every second talent has one), 4 instructors and 2 admins. Then each command runs as
its own `python -m bot …` process, as LEAD runs it, and the wall time and peak resident memory of
that process are printed:

    roster import   the roster file into the cohort (people, memberships and the re-plan, first time)
    re-import       the same file again (nothing changes)
    calendar move   `cohort import` with one module's two days a week later (the re-plan it triggers)
    buddies suggest pair the talents and store the groups (and the re-plan for the buddy intros)
    one-row import  `roster import` of the same file with one talent's nearest leader changed (the re-plan it triggers)
    roster set      `roster set` of one talent's mentor: the preview and the write, each with its re-plan
    plan --json     the whole plan as JSON (to /dev/null)
    report          the steering group's headline figures (`python -m bot report`)
    report page     the HTML report as the running server serves it (the signed link or the console's
                    report LEAD opens), median of 5 GETs: no process start in it

`startup` is `python -m bot content check`: the process start and imports every command pays.
`--help` is the command line's own start (no database, no content), and `server start` the time
from starting app.py to its first `GET /healthz` answering 200 (its CPU and peak RSS up to then).
After the sizes, a growth table per backend sets the largest size against 1 000 talents: CPU and
peak RSS at both, their ratio, and the ratio net of start-up; growth no faster than linear keeps
the net ratio at or below the size ratio (the exponent k in time ~ size^k at or below 1).
Commands run with compiled bytecode (PYTHONDONTWRITEBYTECODE is dropped), as an installed service does.
PostgreSQL comes from --database (a server URL; one database per size is created there), else
TEST_DATABASE_URL, else scripts/pg.sh starts a throwaway cluster; when none can start the
PostgreSQL rows are skipped with one line saying so.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the report page's signed link is made with the product's own signer
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
COHORT = "hold-2027"
CALENDAR = ROOT / "content" / "demo" / "cohort-example.yaml"
LEVELS = ("leder-af-medarbejdere", "leder-af-ledere")
ORGS = (
    *tuple(
        f"{name} Kommune"
        for name in (
            "Aalborg",
            "Hjørring",
            "Frederikshavn",
            "Brønderslev",
            "Jammerbugt",
            "Mariagerfjord",
            "Rebild",
            "Thisted",
            "Vesthimmerland",
            "Morsø",
            "Læsø",
        )
    ),
    "Region Nordjylland",
)


def write_roster(path: Path, talents: int) -> None:
    """The roster CSV: leaders, mentors, instructors and admins first, then the talents."""
    leaders = max(1, talents // 5)
    mentors = max(1, talents // 10)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["email", "name", "role", "organisation", "level", "leader_email", "mentor_email"])
        for i in range(leaders):
            out.writerow([f"leder{i}@bench.example", f"Leder {i}", "leader", ORGS[i % len(ORGS)], "", "", ""])
        for i in range(mentors):
            out.writerow([f"mentor{i}@bench.example", f"Mentor {i}", "mentor", ORGS[(i + 3) % len(ORGS)], "", "", ""])
        for i in range(4):
            out.writerow([f"underviser{i}@lead.example", f"Underviser {i}", "instructor", "LEAD", "", "", ""])
        for i in range(2):
            out.writerow([f"admin{i}@lead.example", f"Admin {i}", "admin", "LEAD", "", "", ""])
        for i in range(talents):
            leader = i // 5 % leaders
            mentor = f"mentor{i // 2 % mentors}@bench.example" if i % 2 == 0 else ""
            out.writerow(
                [
                    f"talent{i}@bench.example",
                    f"Talent {i}",
                    "talent",
                    ORGS[leader % len(ORGS)],
                    LEVELS[i % 2],
                    f"leder{leader}@bench.example",
                    mentor,
                ]
            )


def moved_calendar(path: Path) -> None:
    """The example calendar with module 3's two days a week later (a calendar change of one module)."""
    text = CALENDAR.read_text(encoding="utf-8")
    text = text.replace("2027-04-20T", "2027-04-27T").replace("2027-05-18T", "2027-05-25T")
    path.write_text(text, encoding="utf-8")


def one_row_changed(source: Path, path: Path, talents: int) -> None:
    """The roster with one talent's nearest leader changed: a one-person roster change."""
    leaders = max(1, talents // 5)
    talent, old = talents // 2, talents // 2 // 5 % leaders
    text = source.read_text(encoding="utf-8")
    row = f"talent{talent}@bench.example,Talent {talent},talent,"
    start = text.index(row)
    end = text.index("\n", start)
    line = text[start:end].replace(f"leder{old}@bench.example", f"leder{(old + 1) % leaders}@bench.example")
    path.write_text(text[:start] + line + text[end:], encoding="utf-8")


def run(env: dict[str, str], *args: str) -> tuple[float, float, float, str]:
    """Run `python -m bot ARGS` once: (wall seconds, CPU seconds, peak resident MB, stderr); exit on failure."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen([PYTHON, "-m", "bot", *args], cwd=ROOT, env=env, stdout=devnull, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"`python -m bot {' '.join(args)}` failed ({proc.returncode}):\n{err}")
    # CPU time too: on a shared machine the wall time also measures the neighbours
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, err  # ru_maxrss is in KiB on Linux


def plan_rows(err: str) -> str:
    """The plan row count from a re-plan's summary line (added + moved + kept)."""
    match = re.search(r"plan: (\d+) added, (\d+) moved, (\d+) dropped, (\d+) unchanged", err)
    if not match:
        return "?"
    added, moved, _dropped, kept = (int(g) for g in match.groups())
    return str(added + moved + kept)


def bench_one(url: str, talents: int, work: Path) -> list[tuple[str, float, float, float, str]]:
    """Seed a cohort of `talents` on `url` and time each command; rows of (step, wall s, CPU s, MB, note)."""
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "GRAPH_ENABLED": "0"}
    env.pop("DEMO_COHORT", None)
    roster = work / f"roster-{talents}.csv"
    write_roster(roster, talents)
    moved = work / "cohort-moved.yaml"
    moved_calendar(moved)
    results: list[tuple[str, float, float, float, str]] = []
    env_info = {**env, "LOG_LEVEL": "INFO"}
    s, cpu, mb, _ = run(env, "content", "check")
    results.append(("startup", s, cpu, mb, ""))
    run(env, "cohort", "import", str(CALENDAR))
    s, cpu, mb, err = run(env_info, "roster", "import", str(roster), "--cohort", COHORT)
    results.append(("roster import", s, cpu, mb, f"{plan_rows(err)} plan rows"))
    s, cpu, mb, err = run(env_info, "roster", "import", str(roster), "--cohort", COHORT)
    match = re.search(r"roster \S+: (.*)", err)
    results.append(("re-import", s, cpu, mb, match.group(1) if match else ""))
    s, cpu, mb, err = run(env_info, "cohort", "import", str(moved))
    match = re.search(r"plan: (.*)", err)
    results.append(("calendar move", s, cpu, mb, match.group(1) if match else ""))
    s, cpu, mb, _ = run(env, "buddies", "suggest", "--cohort", COHORT)
    results.append(("buddies suggest", s, cpu, mb, ""))
    one_row = work / f"roster-{talents}-one-row.csv"
    one_row_changed(roster, one_row, talents)
    s, cpu, mb, err = run(env_info, "roster", "import", str(one_row), "--cohort", COHORT)
    match = re.search(r"roster \S+: .*plan: (.*)", err)
    results.append(("one-row import", s, cpu, mb, match.group(1) if match else ""))
    mentor = f"mentor{(talents // 4) % max(1, talents // 10)}@bench.example"
    s, cpu, mb, err = run(
        env_info, "roster", "set", "--cohort", COHORT, "--email", f"talent{talents // 2 + 1}@bench.example", "--mentor", mentor
    )
    match = re.search(r"roster set \S+: .*plan: (.*)", err)
    results.append(("roster set", s, cpu, mb, match.group(1) if match else ""))
    s, cpu, mb, _ = run(env, "plan", "--cohort", COHORT, "--json")
    results.append(("plan --json", s, cpu, mb, ""))
    s, cpu, mb, _ = run(env, "report", "--cohort", COHORT)
    results.append(("report", s, cpu, mb, ""))
    return results


def start_pg() -> tuple[str | None, str | None, str]:
    """A PostgreSQL server URL (without database) and the cluster dir to stop, or (None, None, why not)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        return url.rsplit("/", 1)[0], None, ""
    # pg.sh makes its own directory: as root the cluster belongs to `postgres`, who cannot enter our temp dir
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "start"], capture_output=True, text=True)
    if proc.returncode != 0:
        return None, None, (proc.stderr.strip().splitlines() or ["scripts/pg.sh failed"])[-1]
    found = dict(re.findall(r"export (\w+)=(\S+)", proc.stdout))
    return found["TEST_DATABASE_URL"].rsplit("/", 1)[0], found["PGDATA_DIR"], ""


def create_pg_database(server: str, name: str) -> str:
    """A fresh empty database on the server; its URL."""
    import asyncio

    import asyncpg  # the driver the product uses on PostgreSQL

    async def create() -> None:
        conn = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return f"{server}/{name}"


def bench_env(url: str) -> dict[str, str]:
    """The environment every command of a run gets (as bench_one builds it)."""
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "GRAPH_ENABLED": "0"}
    env.pop("DEMO_COHORT", None)
    return env


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_figures(pid: int) -> tuple[float, float]:
    """A running process's CPU seconds (user + system) and peak resident MB, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime, fields 14 and 15
    peak = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmHWM:"))
    return cpu, int(peak.split()[1]) / 1024


REPORT_SECRET = "bench-only-report-secret"  # signs the report link the benchmark opens; never a real secret
REPORT_FETCHES = 5


def report_page(port: int) -> tuple[float, float]:
    """GET the cohort's HTML report from the running server REPORT_FETCHES times: (median s, first s)."""
    import urllib.request
    from datetime import UTC, datetime

    from bot.report.links import report_path

    path, _ = report_path(REPORT_SECRET, COHORT, datetime.now(UTC))
    times = []
    for _ in range(REPORT_FETCHES):
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
            body = response.read()
            if response.status != 200 or b"<html" not in body[:500].lower():
                sys.exit(f"GET the report page answered {response.status}")
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2], times[0]


def settle(pid: int, idle: float = 0.05, timeout: float = 60.0) -> None:
    """Wait until the server's start-up work in the background (the question index, the first tick) is done:
    less than `idle` CPU seconds in half a second, so the report page is timed on a server at rest."""
    deadline = time.perf_counter() + timeout
    before = proc_figures(pid)[0]
    while time.perf_counter() < deadline:
        time.sleep(0.5)
        now = proc_figures(pid)[0]
        if now - before < idle:
            return
        before = now


def server_start(url: str, timeout: float = 120.0) -> tuple[float, float, float, tuple[float, float]]:
    """Start app.py on the database and time it until GET /healthz answers 200: (wall s, CPU s, peak MB then),
    and then the report page it serves (report_page)."""
    import urllib.request

    port = free_port()
    env = {**bench_env(url), "HOST": "127.0.0.1", "PORT": str(port), "REPORT_SECRET": REPORT_SECRET}
    started = time.perf_counter()
    proc = subprocess.Popen([PYTHON, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None:
                assert proc.stderr is not None
                sys.exit(f"app.py stopped before it answered ({proc.returncode}):\n{proc.stderr.read().decode('utf-8', 'replace')}")
            if time.perf_counter() - started > timeout:
                sys.exit(f"app.py did not answer /healthz within {timeout:.0f} s")
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        cpu, mb = proc_figures(proc.pid)
        settle(proc.pid)
        page = report_page(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return seconds, cpu, mb, page


def start_rows(url: str) -> list[tuple[str, float, float, float, str]]:
    """The two start-ups beside a run's commands: `--help` and the server until it answers."""
    s, cpu, mb, _ = run(bench_env(url), "--help")
    rows = [("--help", s, cpu, mb, "")]
    s, cpu, mb, (page, first) = server_start(url)
    rows.append(("server start", s, cpu, mb, "until /healthz answers 200"))
    # what LEAD opens: the signed report link (or the console's report), served by the running server
    rows.append(("report page", page, math.nan, math.nan, f"GET /report/… on the server, median of {REPORT_FETCHES} (first {first:.2f} s)"))
    return rows


Rows = list[tuple[str, float, float, float, str]]


def print_growth(backend: str, by_size: dict[int, Rows]) -> None:
    """The largest size against 1 000 talents (or the next smaller size): CPU and peak RSS, ratios, exponent."""
    sizes = sorted(by_size)
    if len(sizes) < 2:
        return
    big = sizes[-1]
    small = 1000 if 1000 in by_size and big != 1000 else sizes[-2]
    factor = big / small
    # a step measured from outside (the report page) has no CPU figure: its wall time stands in
    base = {n: {step: (wall if math.isnan(cpu) else cpu, mb) for step, wall, cpu, mb, _ in by_size[n]} for n in (small, big)}
    start = {n: base[n].get("startup", (0.0, 0.0))[0] for n in (small, big)}
    print(f"\n{backend}: growth from {small} to {big} talents (x{factor:g}; linear growth is a ratio of {factor:g}, net of start-up)")
    print(f"  {'step':<16} {'CPU ' + str(small):>10} {'CPU ' + str(big):>10} {'ratio':>7} {'net':>7} {'k':>6}  {'RSS ratio':>9}")
    for step, (cpu_small, mb_small) in base[small].items():
        if step not in base[big] or step in ("startup", "--help", "server start"):
            continue
        cpu_big, mb_big = base[big][step]
        served = math.isnan(mb_small)  # served by a running server: no process start-up in it
        net_small, net_big = (cpu_small, cpu_big) if served else (cpu_small - start[small], cpu_big - start[big])
        net = net_big / net_small if net_small > 0.05 else float("nan")  # a step that is all start-up has no growth to show
        k = math.log(net) / math.log(factor) if net > 0 else float("nan")
        verdict = "" if math.isnan(k) else "  linear or better" if k <= 1.1 else "  FASTER THAN LINEAR"
        net_text, k_text = ("–", "–") if math.isnan(k) else (f"{net:.2f}x", f"{k:.2f}")
        print(
            f"  {step:<16} {cpu_small:8.2f} s {cpu_big:8.2f} s {cpu_big / cpu_small:6.2f}x {net_text:>7} {k_text:>6}  "
            f"{'–' if served else f'{mb_big / mb_small:.2f}x':>9}{verdict}"
        )
    sys.stdout.flush()


def print_table(backend: str, talents: int, results: list[tuple[str, float, float, float, str]]) -> None:
    """One block per backend and size."""
    print(f"\n{backend}, {talents} talents")
    print(f"  {'step':<16} {'wall':>9}  {'CPU':>9}  {'peak RSS':>10}")
    for step, seconds, cpu, mb, note in results:
        if math.isnan(cpu):  # measured from outside the process: wall time only
            print(f"  {step:<16} {seconds:7.2f} s  {'–':>9}  {'–':>10}  {note}")
        else:
            print(f"  {step:<16} {seconds:7.2f} s  {cpu:7.2f} s  {mb:7.0f} MB  {note}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the sizes on the backends and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database", help="a PostgreSQL server URL, e.g. postgresql://user@host:5432 (no database)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = args.backends.split(",")
    # an installed service runs from compiled bytecode; without it every command recompiles ~70 modules (~0.3 s)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    def one(backend: str, url: str, n: int, by_size: dict[int, Rows]) -> None:
        by_size[n] = bench_one(url, n, work) + start_rows(url)
        print_table(backend, n, by_size[n])

    with tempfile.TemporaryDirectory(prefix="talentnord-scale-") as tmp:
        work = Path(tmp)
        if "sqlite" in backends:
            on_sqlite: dict[int, Rows] = {}
            for n in sizes:
                one("SQLite", f"sqlite:///{work / f'scale-{n}.db'}", n, on_sqlite)
            print_growth("SQLite", on_sqlite)
        if "postgresql" in backends:
            server, cluster, why = (args.database.rstrip("/"), None, "") if args.database else start_pg()
            if server is None:
                print(f"\nPostgreSQL: skipped ({why})")
                return 0
            try:
                on_pg: dict[int, Rows] = {}
                for n in sizes:
                    one("PostgreSQL", create_pg_database(server, f"scale_{n}"), n, on_pg)
                print_growth("PostgreSQL", on_pg)
            finally:
                if cluster:
                    subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop", cluster], capture_output=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
