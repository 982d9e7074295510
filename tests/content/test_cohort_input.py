"""Issue #16: cohort files — unquoted times, and a tenant for every cohort of a MultiTenant bot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.content.cohort import load_cohort
from bot.content.programme import load_programme
from bot.content.yamlfile import load_yaml_text

EXAMPLE = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"
MULTI = {
    "MicrosoftAppType": "MultiTenant",
    "MicrosoftAppId": "00000000-0000-0000-0000-000000000001",
    "MicrosoftAppPassword": "pw-for-tests",
}


def cohort_file(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "cohort.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize("written, meant", [("10:30", "10:30"), ("08:30", "08:30"), ('"10:30"', "10:30"), ("15:59", "15:59")])
def test_send_time_is_read_as_a_time_quoted_or_not(tmp_path: Path, written: str, meant: str) -> None:
    spec = load_cohort(cohort_file(tmp_path, f"send_time: {written}\n"), load_programme(REPO_ROOT / "content"))
    assert spec.plan_settings == {"send_time": meant}


def test_yaml_numbers_other_than_base_60_are_unchanged() -> None:
    assert load_yaml_text("a: 630\nb: 1.5\nc: 0x1f\nd: 1:30\n", "x") == {"a": 630, "b": 1.5, "c": 31, "d": "1:30"}


def run(tmp_path: Path, argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    base = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", **env}
    for name in ("MicrosoftAppType", "MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppTenantId"):
        if name not in env:
            base.pop(name, None)
    return subprocess.run([sys.executable, *argv], cwd=REPO_ROOT, env=base, capture_output=True, text=True, timeout=120)


def test_a_multitenant_bot_refuses_to_import_a_cohort_without_tenant(tmp_path: Path) -> None:
    result = run(tmp_path, ["-m", "bot", "cohort", "import", str(EXAMPLE)], **MULTI)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{EXAMPLE}:" in result.stderr and "tenant" in result.stderr and "MultiTenant" in result.stderr
    ok = run(tmp_path, ["-m", "bot", "cohort", "import", str(EXAMPLE), "--tenant", "t-1"], **MULTI)
    assert ok.returncode == 0, ok.stderr


def test_a_multitenant_bot_will_not_start_with_a_cohort_without_tenant(tmp_path: Path) -> None:
    assert run(tmp_path, ["-m", "bot", "cohort", "import", str(EXAMPLE)]).returncode == 0  # imported single-tenant
    result = run(tmp_path, ["app.py"], PORT="39917", **MULTI)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("Cannot start:"))
    assert "hold-2027" in line and "tenant" in line


def test_yaml_escapes_cannot_smuggle_control_characters() -> None:
    data = load_yaml_text('title: "Kick\\0-off\\x07"\nvenue: "Aalborg\\e"\n', "cohort.yaml")
    assert (data["title"], data["venue"]) == ("Kick-off", "Aalborg")
