"""One cohort lookup, one error: every service and command says the same thing about an unknown cohort."""

from __future__ import annotations

import ast
from datetime import UTC
from pathlib import Path

import pytest

from bot import cli
from bot.config import REPO_ROOT, Settings
from bot.services.cohorts import UnknownCohort, get_cohort
from bot.services.errors import ActionError
from bot.storage.db import Database
from bot.storage.models import Cohort


async def test_get_cohort_finds_the_row_or_raises_unknown_cohort(db: Database) -> None:
    async with db.sessions() as session, session.begin():
        session.add(Cohort(key="hold-2027", name="Hold 2027", timezone="Europe/Copenhagen"))
    async with db.sessions() as session:
        assert (await get_cohort(session, "hold-2027")).name == "Hold 2027"
        with pytest.raises(UnknownCohort) as raised:
            await get_cohort(session, "nope")
    error = raised.value
    assert isinstance(error, ActionError) and error.key == "nope"
    assert str(error) == "Der findes intet hold med nøglen 'nope'."  # the Danish text a Teams user saw before
    assert error.operator_text == "no cohort with key 'nope'"


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--cohort", "nope"],
        ["attendance", "show", "--cohort", "nope"],
        ["buddies", "show", "--cohort", "nope"],
        ["broadcast", "--cohort", "nope", "--text", "Hej"],
        [
            "channel",
            "instructors",
            "--cohort",
            "nope",
            "--conversation-id",
            "19:abc@thread.tacv2",
            "--service-url",
            "https://smba.trafficmanager.net/emea/",
        ],
    ],
)
def test_every_command_reports_an_unknown_cohort_the_same_way(
    argv: list[str], settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "Error: no cohort with key 'nope'" in err and "Traceback" not in err


def _cli_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.cli"):
            names.add(node.module)
            if node.module == "bot.cli":
                names.update(f"bot.cli.{alias.name}" for alias in node.names)
    return names


def test_cli_groups_import_only_the_common_helpers() -> None:
    # no cycles: bot/cli/__init__.py imports the groups, a group imports at most common (and nothing imports back)
    package = REPO_ROOT / "bot" / "cli"
    groups = sorted(p for p in package.glob("*.py") if p.name not in ("__init__.py", "common.py"))
    assert len(groups) >= 10
    for path in groups:
        assert _cli_imports(path) <= {"bot.cli.common"}, path.name
    assert _cli_imports(package / "common.py") == set()
    registered = {f"bot.cli.{name}" for name in cli.COMMAND_GROUPS}
    assert registered == {f"bot.cli.{p.stem}" for p in groups}  # every group module is on the command tree


def test_no_service_is_reached_through_the_planner() -> None:
    for path in (REPO_ROOT / "bot").rglob("*.py"):
        assert "planner.db" not in path.read_text(encoding="utf-8"), path


async def test_services_fall_back_to_the_configured_time_zone(db: Database, settings: Settings) -> None:
    # a person or cohort row that is gone: the zone is BOT_TIMEZONE's, not a second hard-coded default
    from dataclasses import replace
    from datetime import datetime

    from bot.services.core import build_core

    core = build_core(db, replace(settings, timezone="Atlantic/Reykjavik"), lambda: datetime.now(UTC))
    async with db.sessions() as session:
        assert (await core.learning._timezone(session, 999)).key == "Atlantic/Reykjavik"
        assert (await core.growth._tz(session, 999)).key == "Atlantic/Reykjavik"
    assert core.nudging.timezone == core.desk.tz.key == "Atlantic/Reykjavik"
