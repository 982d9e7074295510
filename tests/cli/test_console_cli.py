"""The console's twins on the command line: `cohort check` and `roster import` of .xlsx and ';'/cp1252 CSV."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from bot.config import Settings
from bot.services.core import build_core
from bot.storage.db import Database
from tests.support import EXAMPLE_COHORT, EXAMPLE_ROSTER, run_cli, seed


def test_cohort_check_fails_until_ready_and_roster_import_reads_excel_and_danish_csv(cli_env: Settings, tmp_path: Path) -> None:
    assert run_cli(["cohort", "import", str(EXAMPLE_COHORT)], cli_env).returncode == 0
    roster = EXAMPLE_ROSTER.read_text(encoding="utf-8")
    danish = tmp_path / "liste.csv"
    danish.write_bytes(roster.replace(",", ";").encode("cp1252"))
    done = run_cli(["roster", "import", str(danish), "--cohort", "hold-2027"], cli_env)
    assert done.returncode == 0, done.stderr
    book = Workbook()
    for line in roster.splitlines():
        book.active.append(line.split(","))
    excel = tmp_path / "liste.xlsx"
    book.save(excel)
    again = run_cli(["roster", "import", str(excel), "--cohort", "hold-2027", "--dry-run"], cli_env)
    assert again.returncode == 0, again.stderr
    assert "0 created, 0 updated, 0 removed" in again.stderr and again.stdout == ""  # the same people, ø intact

    check = run_cli(["cohort", "check", "--cohort", "hold-2027", "--json"], cli_env)
    assert check.returncode == 1
    report = json.loads(check.stdout)
    codes = {item["code"]: item for item in report["items"]}
    assert report["ready"] is False and codes["unreachable"]["urgent"] and codes["no-buddy-group"]["urgent"]
    assert "roster sync" in codes["unreachable"]["todo"]


async def test_far_from_the_start_nothing_blocks_and_close_to_it_the_same_items_do(
    db: Database, programme: Any, settings: Settings
) -> None:
    await seed(db, programme)
    core = build_core(db, settings, lambda: datetime(2026, 6, 1, tzinfo=UTC))
    far = await core.health.check("hold-2027", datetime(2026, 6, 1, tzinfo=UTC))
    assert far.ready and {i.code for i in far.items} >= {"unreachable", "no-buddy-group", "no-instructor-channel"}
    near = await core.health.check("hold-2027", datetime(2027, 1, 4, tzinfo=UTC))
    assert not near.ready
    placeholders = next(i for i in near.items if i.code == "placeholder-materials")
    assert placeholders.urgent and any("Kick-off" in d for d in placeholders.details)
