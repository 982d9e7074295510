"""A command imports only what it needs: `--help` no SQLAlchemy, `report` no plans, cards, holidays or question index."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy import func, select

from bot.config import REPO_ROOT, Settings
from bot.storage.db import Database
from bot.storage.models import Material

EXAMPLE_COHORT = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"
# What the report's figures never touch; each was 20–90 ms of every `report` before.
NOT_FOR_THE_REPORT = (
    "holidays",  # working days: only where a plan is computed
    "jinja2",  # cards and the HTML page (loaded for --html only)
    "bot.qa",  # the question index
    "bot.services.growth.plans",  # development plans and readiness (the report reads attendance alone)
    "bot.services.learning",  # publishing: only on a database where nothing is published yet
    "bot.services.planning",
    "bot.outbox.writer",
)


def imported(args: list[str], settings: Settings) -> set[str]:
    """The modules `python -m bot ARGS` imports, read from -X importtime; the command must succeed."""
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}


def test_help_imports_no_database_layer(settings: Settings) -> None:
    modules = imported(["--help"], settings)
    assert "argparse" in modules
    assert not {m for m in modules if m.split(".")[0] == "sqlalchemy" or m.startswith(("bot.storage", "bot.services"))}


def test_report_imports_only_what_its_figures_need_and_first_use_still_publishes(settings: Settings) -> None:
    first = imported(["cohort", "import", str(EXAMPLE_COHORT)], settings)
    assert "bot.services.learning" in first  # a database with nothing published: the first command publishes

    async def published() -> int:
        db = Database(settings.database_url)
        try:
            async with db.sessions() as session:
                return int(await session.scalar(select(func.count()).select_from(Material)) or 0)
        finally:
            await db.dispose()

    assert asyncio.run(published()) > 0
    modules = imported(["report", "--cohort", "hold-2027"], settings)
    assert "bot.report.reports" in modules
    assert sorted(m for m in NOT_FOR_THE_REPORT if m in modules) == []


# What a re-plan never touches: each was 20-50 ms of every `cohort import` and `roster import`.
NOT_FOR_A_REPLAN = (
    "jinja2",  # cards: built where due rows are released
    "bot.services.messages.builder",
    "prometheus_client",  # metrics: counted by what sends
    "holidays",  # working days by rule (bot/domain/workdays.py)
)


def test_a_calendar_import_builds_no_card_and_loads_no_metrics_or_other_dialect(settings: Settings) -> None:
    imported(["cohort", "import", str(EXAMPLE_COHORT)], settings)  # the first: publishes the materials
    modules = imported(["cohort", "import", str(EXAMPLE_COHORT)], settings)
    assert "bot.services.planning" in modules
    other = "sqlalchemy.dialects.sqlite" if settings.database_url.startswith("postgresql") else "sqlalchemy.dialects.postgresql"
    assert sorted(m for m in (*NOT_FOR_A_REPLAN, other) if m in modules) == []
