"""LEAD-konsol's Buddygrupper for a large cohort: a group number per talent instead of a list of every group."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import BuddyMember
from tests.support import Server, seed, start_server
from tests.support.console import LARS, add_talents


@pytest.fixture
async def console(db: Database, programme: Any, settings: Settings) -> AsyncIterator[Server]:
    """The real app with the example cohort and 100 more talents (over 30 suggested groups)."""
    await seed(db, programme)
    await add_talents(db, 100)
    server = await start_server(settings)
    yield server
    await server.close()


async def test_over_thirty_groups_each_talent_gets_a_number_field_and_the_form_still_saves(console: Server, db: Database) -> None:
    async with console.http.get(f"{console.url}/console?as={LARS}") as resp:
        page = await resp.text()
    section = page[page.index('<section id="buddies"') : page.index("</section>", page.index('<section id="buddies"'))]
    fields = re.findall(r'<input id="bg-\d+" name="(g:[^"]+)" type="number"[^>]*max="(\d+)" value="(\d*)"', section)
    assert len(fields) == 105 and "<select" not in section
    assert int(fields[0][1]) > 30 and all(value for _, _, value in fields)  # every talent has its suggested group
    assert "tomt felt betyder ingen gruppe" in section
    assert len(section) < 120_000  # 105 talents: a short form, not 105 lists of every group

    form = {"csrf": re.search(r'name="csrf" value="([^"]*)"', page).group(1), "cohort": "hold-2027"}  # type: ignore[union-attr]
    form.update({html_lib.unescape(name): value for name, _, value in fields})
    async with console.http.post(f"{console.url}/console/buddies/set?as={LARS}", data=form, allow_redirects=False) as resp:
        assert resp.status == 303
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(BuddyMember)) == 105
