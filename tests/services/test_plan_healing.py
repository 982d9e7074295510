"""An import and its re-plan: a re-plan lost to a kill is redone by the next tick; concurrent imports all end planned."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import cli
from bot.config import REPO_ROOT, Settings
from bot.content.cohort import parse_cohort
from bot.content.programme import load_programme
from bot.content.yamlfile import load_yaml_file
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import CalendarSession, Membership, PlannedDelivery
from tests.support import EXAMPLE, pgdb, shifted_cohort


async def _kickoff(url: str) -> tuple[object, set[object]]:
    """The kick-off's start in the calendar, and the not_after of its unsent plan rows."""
    db = Database(url)
    async with db.sessions() as s:
        start = await s.scalar(select(CalendarSession.starts_at).where(CalendarSession.activity_key == "kickoff"))
        bounds = set(
            await s.scalars(
                select(PlannedDelivery.not_after).where(
                    PlannedDelivery.activity_key == "kickoff", PlannedDelivery.status == "planned", PlannedDelivery.kind == "material"
                )
            )
        )
    await db.dispose()
    return start, bounds


async def _import_without_replan(url: str, path: Path) -> None:
    """What `cohort import` commits before its re-plan: the process is killed right after this."""
    spec = parse_cohort(load_yaml_file(path), str(path), load_programme(REPO_ROOT / "content"))
    db = Database(url)
    await RosterService(db).import_cohort(spec)
    await db.dispose()


def test_a_tick_repairs_the_plan_of_an_import_killed_before_its_replan(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = settings.database_url
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    first = tmp_path / "first"
    first.mkdir()
    assert cli.main(["cohort", "import", str(shifted_cohort(first, 60))]) == 0
    assert cli.main(["roster", "import", str(EXAMPLE / "roster.csv"), "--cohort", "hold-2027"]) == 0
    start, bounds = asyncio.run(_kickoff(url))
    assert bounds == {start}

    moved = tmp_path / "moved"
    moved.mkdir()
    asyncio.run(_import_without_replan(url, shifted_cohort(moved, 67)))  # the kick-off a week later; killed here
    start, bounds = asyncio.run(_kickoff(url))
    assert bounds != {start}  # the plan is still on the old dates

    assert cli.main(["tick"]) == 0  # the next tick (the bot does one at start and every few seconds)
    start, bounds = asyncio.run(_kickoff(url))
    assert bounds == {start}


def _roster(path: Path, prefix: str, talents: int) -> Path:
    """A self-contained roster: one leader and their talents, emails unique to `prefix`."""
    leader = f"{prefix}.leder@example.dk"
    lines = ["email,name,role,organisation,level,leader_email,mentor_email", f"{leader},Leder {prefix},leader,Kommune {prefix},,,"]
    lines += [
        f"{prefix}.talent{i}@example.dk,Talent {prefix} {i},talent,Kommune {prefix},leder-af-medarbejdere,{leader}," for i in range(talents)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def _unplanned(url: str) -> tuple[int, int]:
    """(people on the roster, of them with no plan row)."""
    db = Database(url)
    async with db.sessions() as s:
        people = set(await s.scalars(select(Membership.person_id)))
        planned = set(await s.scalars(select(PlannedDelivery.person_id).group_by(PlannedDelivery.person_id)))
        total = await s.scalar(select(func.count()).select_from(PlannedDelivery))
    await db.dispose()
    assert total
    return len(people), len(people - planned)


@pytest.mark.postgres
def test_two_disjoint_roster_imports_at_once_leave_everyone_planned(settings: Settings, tmp_path: Path) -> None:
    pgdb.require_pg()
    url = settings.database_url
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("MicrosoftAppId", None)

    def run(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args], cwd=REPO_ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    cohort = run("cohort", "import", str(shifted_cohort(tmp_path, 60)))
    assert cohort.wait(120) == 0, cohort.communicate()[1]
    for attempt in range(3):  # the race is a matter of timing: try it a few times
        files = [_roster(tmp_path / f"r{attempt}{p}.csv", f"r{attempt}{p}", 150) for p in "ab"]
        procs = [run("roster", "import", str(f), "--cohort", "hold-2027") for f in files]
        for proc in procs:
            _out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0 and "Traceback" not in err and "IntegrityError" not in err, err
        people, unplanned = asyncio.run(_unplanned(url))
        assert people == (attempt + 1) * 2 * 151 and unplanned == 0
