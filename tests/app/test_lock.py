"""The locks: generated from pyproject.toml, runtime inside dev at the same versions, hashed; the check against pip freeze."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from bot.config import REPO_ROOT


def _check_lock() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_lock", REPO_ROOT / "scripts" / "check_lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_lock = _check_lock()
RUNTIME = check_lock.locked(REPO_ROOT / "requirements.lock")
DEV = check_lock.locked(REPO_ROOT / "requirements-dev.lock")
PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _name(requirement: str) -> str:
    return check_lock.normalise(re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0])


def test_every_dependency_in_pyproject_is_pinned_in_the_locks() -> None:
    runtime = {_name(r) for r in PROJECT["dependencies"]}
    dev = {_name(r) for r in PROJECT["optional-dependencies"]["dev"]}
    assert runtime <= set(RUNTIME), f"not in requirements.lock (run make lock): {runtime - set(RUNTIME)}"
    assert runtime | dev <= set(DEV), f"not in requirements-dev.lock (run make lock): {(runtime | dev) - set(DEV)}"
    assert {"tzdata", "prometheus-client", "python-json-logger"} <= runtime
    assert "pillow" in dev and "pillow" not in RUNTIME  # icons are drawn by developers only


def test_the_runtime_lock_is_the_dev_lock_without_the_dev_tools() -> None:
    assert {name: DEV[name] for name in RUNTIME} == RUNTIME


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_pin_has_hashes(lock: str) -> None:
    text = (REPO_ROOT / lock).read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[a-z0-9])", text.split("\n", 6)[-1])
    pinned = [b for b in blocks if "==" in b.split("\n", 1)[0]]
    assert pinned and all("--hash=sha256:" in b for b in pinned)


def test_differences_name_missing_extra_and_wrong_versions() -> None:
    lock = {"aiohttp": "3.14.5", "tzdata": "2026.6", "jinja2": "3.1.6"}
    have = {"aiohttp": "3.14.5", "jinja2": "3.1.5", "left-over": "1.0"}
    assert check_lock.differences(lock, have) == [
        "missing: tzdata==2026.6",
        "not in the lock: left-over 1.0",
        "wrong version: jinja2 3.1.5 (lock: 3.1.6)",
    ]
    assert check_lock.differences(lock, dict(lock)) == []
    assert check_lock.normalise("Jinja2") == check_lock.normalise("jinja2") and check_lock.normalise("et_xmlfile") == "et-xmlfile"


def test_the_lock_parser_reads_pins_and_skips_hashes_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    path.write_text("# header\nJinja2==3.1.6 \\\n    --hash=sha256:abc\n    # via x\nsix==1.17.0 ; python_version >= '3'\n")
    assert check_lock.locked(path) == {"jinja2": "3.1.6", "six": "1.17.0"}


@pytest.mark.skipif(
    not (REPO_ROOT / ".venv" / ".installed").exists() or Path(sys.prefix) != (REPO_ROOT / ".venv").resolve(),
    reason="runs in the .venv `make` installed from the lock",
)
def test_this_venv_holds_exactly_the_dev_lock() -> None:
    assert check_lock.differences(DEV, check_lock.installed(sys.executable)) == []
