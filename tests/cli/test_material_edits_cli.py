"""`python -m bot content edit|edits`: the console's Materialer from a terminal, through the same service and publish."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Material
from tests.support import run_cli, seed

NEW_URL = "https://lead.dk/materialer/m1-artikel"


async def _published(db: Database) -> tuple[str, int]:
    async with db.sessions() as s:
        row = (
            await s.execute(select(Material.url, Material.minutes).where(Material.activity_key == "m1", Material.topic == "article"))
        ).one()
    return str(row[0]), int(row[1])


async def test_edit_dry_run_then_publish_then_list_and_revert(db: Database, cli_env: Settings) -> None:
    await seed(db)
    run_cli(["content", "publish"], cli_env)
    file_version = await _published(db)
    dry = run_cli(["content", "edit", "--activity", "m1", "--step", "article", "--url", NEW_URL, "--minutes", "12", "--dry-run"], cli_env)
    assert dry.returncode == 0, dry.stderr
    assert NEW_URL in dry.stderr and "dry run: nothing stored" in dry.stderr
    assert await _published(db) == file_version
    done = run_cli(["content", "edit", "--activity", "m1", "--step", "article", "--url", NEW_URL, "--minutes", "12"], cli_env)
    assert done.returncode == 0 and "published: 0 new, 1 changed" in done.stderr
    assert await _published(db) == (NEW_URL, 12)
    again = run_cli(["content", "publish"], cli_env)  # the file again: the edit wins
    assert again.returncode == 0 and "0 changed" in again.stderr and await _published(db) == (NEW_URL, 12)
    listed = json.loads(run_cli(["content", "edits", "--json"], cli_env).stdout)
    assert [(e["activity"], e["step"], e["fields"]) for e in listed] == [("m1", "article", {"url": NEW_URL, "minutes": 12})]
    reverted = run_cli(["content", "edits", "--revert", "m1.article"], cli_env)
    assert reverted.returncode == 0, reverted.stderr
    assert await _published(db) == file_version
    assert json.loads(run_cli(["content", "edits", "--json"], cli_env).stdout) == []
    async with db.sessions() as s:
        actions = [a for a in await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("content.edit%")))]
    assert actions.count("content.edit") == 2 and "content.edits" in actions


async def test_a_bad_value_is_refused_in_danish_and_nothing_changes(db: Database, cli_env: Settings) -> None:
    await seed(db)
    run_cli(["content", "publish"], cli_env)
    before = await _published(db)
    bad = run_cli(["content", "edit", "--activity", "m1", "--step", "article", "--url", "http://x.dk", "--minutes", "ti"], cli_env)
    assert bad.returncode == 1
    assert "Linket skal begynde med https://" in bad.stderr and "helt antal minutter" in bad.stderr
    unknown = run_cli(["content", "edit", "--activity", "m9", "--step", "article", "--title", "x"], cli_env)
    assert unknown.returncode == 1 and "Vælg en aktivitet og et trin" in unknown.stderr
    assert await _published(db) == before
