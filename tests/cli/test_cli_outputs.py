"""Issue #16: an output file in a missing folder is one line and exit 1, before anything is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import REPO_ROOT


def run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run([sys.executable, "-m", "bot", *argv], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--cohort", "demo", "--csv", "{ok}", "--html", "{missing}"],
        ["plan", "--cohort", "demo", "--ics", "{missing}"],
        ["privacy", "export", "--email", "a@b.dk", "--out", "{missing}"],
        ["report", "--cohort", "demo", "--html", "{afile}"],
    ],
)
def test_an_output_into_a_missing_folder_is_one_line_and_nothing_is_written(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "plain").write_text("x")
    paths = {
        "ok": str(tmp_path / "ok.csv"),
        "missing": str(tmp_path / "no" / "such" / "out.x"),
        "afile": str(tmp_path / "plain" / "r.html"),
    }
    result = run(tmp_path, *[arg.format(**paths) for arg in argv])
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --") and "folder" in lines[0], lines
    assert not Path(paths["ok"]).exists()
    assert not (tmp_path / "cli.db").exists()  # refused before the database was even opened
