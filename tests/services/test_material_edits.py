"""MaterialEditor and publish: edits stored with the publish that carries them, laid over the file, refused all or nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.services.core import build_core
from bot.services.link_guard import PlaceholderLinks
from bot.services.material_edits import MaterialEditor
from bot.storage.db import Database
from bot.storage.models import Material, MaterialEdit
from tests.support import NOW, seed

APP_ID = "11111111-2222-3333-4444-555555555555"
NEW_URL = "https://lead.dk/materialer/kickoff-intro"


async def _edits(db: Database) -> int:
    async with db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(MaterialEdit)) or 0)


async def test_azure_mode_refuses_while_other_links_are_examples_and_stores_nothing(db: Database, settings: Any, programme: Any) -> None:
    await seed(db, programme)
    local = build_core(db, settings, lambda: NOW)
    await local.learning.publish()
    core = build_core(db, replace(settings, app_id=APP_ID), lambda: NOW)
    editor = MaterialEditor(core.db, core.learning, core.programme)
    change = await editor.edit("kickoff", "intro", {"url": NEW_URL}, "cli:test")
    preview = await editor.preview(change)
    assert "materialer.example" in preview.refused and "kickoff/intro" not in preview.refused  # the fixed one is not listed
    with pytest.raises(PlaceholderLinks):
        await editor.confirm(change)
    assert await _edits(db) == 0


async def test_a_later_file_change_comes_through_in_the_fields_lead_left_alone(db: Database, settings: Any, programme: Any) -> None:
    await seed(db, programme)
    core = build_core(db, settings, lambda: NOW)
    editor = MaterialEditor(core.db, core.learning, core.programme)
    await core.learning.publish()
    await editor.confirm(await editor.edit("kickoff", "intro", {"url": NEW_URL}, "cli:test"))
    seq = core.materials.sequences["kickoff"]
    core.materials.sequences["kickoff"] = replace(seq, steps=(replace(seq.steps[0], title="Ny titel i filen"), *seq.steps[1:]))
    summary = await core.learning.publish()
    assert summary.changed == 1
    async with db.sessions() as s:
        row = await s.scalar(select(Material).where(Material.activity_key == "kickoff", Material.topic == "intro"))
    assert row is not None and (row.title, row.url) == ("Ny titel i filen", NEW_URL)
    [step] = [s for s in await editor.steps() if s.edited]
    assert step.edited == ("url",) and step.original.url != NEW_URL


async def test_setting_every_field_back_to_the_files_value_is_no_edit(db: Database, settings: Any, programme: Any) -> None:
    await seed(db, programme)
    core = build_core(db, settings, lambda: NOW)
    editor = MaterialEditor(core.db, core.learning, core.programme)
    await editor.confirm(await editor.edit("kickoff", "intro", {"minutes": "20"}, "cli:test"))
    assert await _edits(db) == 1
    original = core.materials.material("kickoff", "intro")
    assert original is not None
    await editor.confirm(await editor.edit("kickoff", "intro", {"minutes": str(original.minutes)}, "cli:test"))
    assert await _edits(db) == 0
