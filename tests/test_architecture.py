"""The dependency rule: the domain is pure, botbuilder stays in bot/teams/."""
from __future__ import annotations

import ast
from pathlib import Path

from bot.config import REPO_ROOT

FORBIDDEN_IN_DOMAIN = ("botbuilder", "botframework", "aiohttp", "jinja2", "sqlalchemy", "apscheduler", "alembic")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_imports_no_framework() -> None:
    for path in (REPO_ROOT / "bot" / "domain").rglob("*.py"):
        for name in _imports(path):
            assert not name.split(".")[0] in FORBIDDEN_IN_DOMAIN, f"{path.name} imports {name}"


def test_only_the_teams_edge_imports_botbuilder() -> None:
    allowed = {REPO_ROOT / "app.py"}
    for path in list((REPO_ROOT / "bot").rglob("*.py")) + list((REPO_ROOT / "scheduler").rglob("*.py")):
        if "teams" in path.relative_to(REPO_ROOT).parts or path in allowed:
            continue
        for name in _imports(path):
            assert name.split(".")[0] not in ("botbuilder", "botframework"), f"{path} imports {name}"


def test_services_return_replies_and_only_the_outbox_builder_renders_cards() -> None:
    # rendering happens at the edges: the turn, the invoke answer, the outbox message builder
    for path in (REPO_ROOT / "bot" / "services").rglob("*.py"):
        if path.parent.name == "messages" and path.name == "render.py":
            continue
        assert "cards" not in _imports(path), f"{path.name} renders cards itself"


def test_no_teams_module_reaches_into_the_activity_handler() -> None:
    for path in (REPO_ROOT / "bot" / "teams").rglob("*.py"):
        assert "bot.teams.handler" not in _imports(path), f"{path.name} imports the handler"
