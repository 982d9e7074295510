"""`python -m bot files add|list|remove`: the console's Filer from a terminal, through the same service."""

from __future__ import annotations

import json
from pathlib import Path

from bot.config import Settings
from bot.storage.db import Database
from tests.support import run_cli, seed
from tests.support.files import HTML_AS_PDF, office


async def test_add_list_remove(db: Database, cli_env: Settings, tmp_path: Path) -> None:
    await seed(db)
    good = tmp_path / "Lederguide.docx"
    good.write_bytes(office("docx"))
    added = run_cli(["files", "add", str(good), "--cohort", "hold-2027", "--nudge", "leader-conversation", "--json"], cli_env)
    assert added.returncode == 0, added.stderr
    info = json.loads(added.stdout)
    assert info["kind"] == "docx" and info["nudge"] == "leader-conversation" and info["filename"] == "Lederguide.docx"
    listed = run_cli(["files", "list", "--cohort", "hold-2027", "--json"], cli_env)
    assert [f["id"] for f in json.loads(listed.stdout)] == [info["id"]]
    removed = run_cli(["files", "remove", "--cohort", "hold-2027", "--id", str(info["id"])], cli_env)
    assert removed.returncode == 0
    assert json.loads(run_cli(["files", "list", "--cohort", "hold-2027", "--json"], cli_env).stdout) == []


async def test_a_wrong_kind_is_refused_and_nothing_stored(db: Database, cli_env: Settings, tmp_path: Path) -> None:
    await seed(db)
    bad = tmp_path / "slides.pdf"
    bad.write_bytes(HTML_AS_PDF)
    result = run_cli(["files", "add", str(bad), "--cohort", "hold-2027", "--activity", "m1.intro"], cli_env)
    assert result.returncode == 1 and "Filtypen er ikke tilladt" in result.stderr
    good = tmp_path / "ok.xlsx"
    good.write_bytes(office("xlsx"))
    unknown = run_cli(["files", "add", str(good), "--cohort", "hold-2027", "--activity", "m9"], cli_env)
    assert unknown.returncode == 1 and "m9" in unknown.stderr
    assert json.loads(run_cli(["files", "list", "--cohort", "hold-2027", "--json"], cli_env).stdout) == []
