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
            assert name.split(".")[0] not in FORBIDDEN_IN_DOMAIN, f"{path.name} imports {name}"


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


# ---- size, docstrings and import cycles of the product modules -------------------------------------

MAX_LINES = 450


def _product_modules(root: Path = REPO_ROOT) -> dict[str, Path]:
    """Module name -> file for bot/, cards/, scheduler/ and app.py (migrations aside)."""
    modules = {"app": root / "app.py"} if (root / "app.py").exists() else {}
    for top in ("bot", "cards", "scheduler"):
        for path in (root / top).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which product module imports which: `from pkg import mod` counts as mod, other names as the nearest
    module; a package's __init__ importing its own submodules is left out (that is how packages re-export)."""

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(known(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else known(base))
        own = f"{module}." if path.name == "__init__.py" else None
        graph[module] = {t for t in targets if t and t != module and not (own and t.startswith(own))}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan), each an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_product_module_is_short_and_says_what_it_is() -> None:
    for _module, path in _product_modules().items():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(REPO_ROOT).as_posix()
        assert ast.get_docstring(ast.parse(text)), f"{rel} has no module docstring"
        lines = len(text.splitlines())
        assert lines <= MAX_LINES, f"{rel} has {lines} lines (at most {MAX_LINES}): split it along its seams"


def test_no_import_cycle_between_product_modules() -> None:
    found = cycles(import_graph(_product_modules()))
    assert not found, f"import cycles: {[sorted(c) for c in found]}"


def test_the_cycle_finder_finds_a_known_cycle(tmp_path: Path) -> None:
    (tmp_path / "bot" / "pkg").mkdir(parents=True)
    (tmp_path / "bot" / "__init__.py").write_text('"""."""\n')
    (tmp_path / "bot" / "pkg" / "__init__.py").write_text("from bot.pkg import a, b  # re-exports: not a cycle\n")
    (tmp_path / "bot" / "pkg" / "a.py").write_text("from bot.pkg import b\n")
    (tmp_path / "bot" / "pkg" / "b.py").write_text("from . import c\n")
    (tmp_path / "bot" / "pkg" / "c.py").write_text("import bot.pkg.a\n")
    (tmp_path / "bot" / "alone.py").write_text("from bot.pkg.a import name\n")
    modules = _product_modules(tmp_path)
    assert set(modules) == {"bot", "bot.pkg", "bot.pkg.a", "bot.pkg.b", "bot.pkg.c", "bot.alone"}
    assert cycles(import_graph(modules)) == [{"bot.pkg.a", "bot.pkg.b", "bot.pkg.c"}]


def test_no_module_imports_another_modules_private_name() -> None:
    # A leading underscore says "only this module uses it"; a name another module needs is public.
    found = []
    for module, path in _product_modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
                found += [
                    f"{module} imports {node.module}.{a.name}" for a in node.names if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert not found, found
