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
    report          the steering group's headline figures

`startup` is `python -m bot content check`: the process start and imports every command pays.
PostgreSQL comes from --database (a server URL; one database per size is created there), else
TEST_DATABASE_URL, else scripts/pg.sh starts a throwaway cluster; when none can start the
PostgreSQL rows are skipped with one line saying so.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def print_table(backend: str, talents: int, results: list[tuple[str, float, float, float, str]]) -> None:
    """One block per backend and size."""
    print(f"\n{backend}, {talents} talents")
    print(f"  {'step':<16} {'wall':>9}  {'CPU':>9}  {'peak RSS':>10}")
    for step, seconds, cpu, mb, note in results:
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
    with tempfile.TemporaryDirectory(prefix="talentnord-scale-") as tmp:
        work = Path(tmp)
        if "sqlite" in backends:
            for n in sizes:
                print_table("SQLite", n, bench_one(f"sqlite:///{work / f'scale-{n}.db'}", n, work))
        if "postgresql" in backends:
            server, cluster, why = (args.database.rstrip("/"), None, "") if args.database else start_pg()
            if server is None:
                print(f"\nPostgreSQL: skipped ({why})")
                return 0
            try:
                for n in sizes:
                    print_table("PostgreSQL", n, bench_one(create_pg_database(server, f"scale_{n}"), n, work))
            finally:
                if cluster:
                    subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop", cluster], capture_output=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
