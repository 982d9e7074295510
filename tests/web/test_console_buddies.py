"""LEAD-konsol's Buddygrupper through the real app: the suggestion, moving people, confirming as `buddies set` does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.appkeys import CORE
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import BuddyMember, PlannedDelivery
from tests.support import Server, seed, start_server
from tests.support.console import ANNA, LARS


@pytest.fixture
async def console(db: Database, programme: Any, settings: Settings) -> AsyncIterator[Server]:
    await seed(db, programme)
    server = await start_server(settings)
    yield server
    await server.close()


async def _page(server: Server) -> str:
    async with server.http.get(f"{server.url}/console?as={LARS}") as resp:
        return await resp.text()


def _form(html: str) -> dict[str, str]:
    form = {"csrf": re.search(r'name="csrf" value="([^"]*)"', html).group(1), "cohort": "hold-2027"}  # type: ignore[union-attr]
    for name, body in re.findall(r'<select id="bg-\d+" name="(g:[^"]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="(\d*)" selected>', body)
        form[name.replace("&#64;", "@")] = chosen.group(1) if chosen else ""
    return form


async def _members(db: Database) -> int:
    async with db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(BuddyMember)) or 0)


async def test_the_suggestion_is_shown_unstored_and_confirming_sets_and_announces(console: Server, db: Database) -> None:
    html = await _page(console)
    assert "Holdet har ingen buddygrupper endnu" in html
    assert await _members(db) == 0  # a suggestion writes nothing
    form = _form(html)
    assert len([k for k in form if k.startswith("g:")]) == 5 and all(form[k] for k in form if k.startswith("g:"))
    async with console.http.post(f"{console.url}/console/buddies/set?as={LARS}", data=form, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"].endswith("#buddies")
    assert await _members(db) == 5
    async with db.sessions() as s:
        intros = await s.scalar(select(func.count()).select_from(PlannedDelivery).where(PlannedDelivery.topic == "buddy-intro"))
    assert intros and intros > 0  # the announcements `buddies set` plans
    assert "Holdet har 2 buddygrupper" in await _page(console)


async def test_moving_someone_into_a_bad_group_is_refused_in_danish(console: Server, db: Database) -> None:
    form = _form(await _page(console))
    emails = [k for k in form if k.startswith("g:")]
    form[emails[0]] = "9"  # alone in a group of one
    async with console.http.post(f"{console.url}/console/buddies/set?as={LARS}", data=form) as resp:
        assert resp.status == 400
        assert "mindst to personer" in await resp.text()
    assert await _members(db) == 0


async def test_only_admins_set_groups(console: Server, db: Database) -> None:
    form = _form(await _page(console))
    async with console.http.post(f"{console.url}/console/buddies/set?as={ANNA}", data=form) as resp:
        assert resp.status == 403
    assert await _members(db) == 0
    assert await console.app[CORE].buddies.show("hold-2027") == []
