"""LEAD-konsol's Materialer through the real app: edit → preview (nothing written) → confirm (published, notices once), revert."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.appkeys import CORE, SENDER
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Material, MaterialEdit, OutboxMessage, Person
from tests.fakes.connector import FakeConnector, card_text
from tests.support import NOW, Clock, Server, seed, start_server
from tests.support.console import ANNA, LARS
from tests.support.world import store_chats

NEW_URL = "https://lead.dk/materialer/kickoff-intro-2027"


@pytest.fixture
async def console(db: Database, programme: Any, settings: Settings, connector: FakeConnector) -> AsyncIterator[Server]:
    """The example cohort, everyone with a chat, and the kick-off's intro already sent (NOW is 4 Jan 2027)."""
    await seed(db, programme)
    await store_chats(db, connector.url)
    server = await start_server(settings, Clock(NOW))
    core = server.app[CORE]
    await core.planner.replan("hold-2027")
    await core.planner.release_due(NOW)
    while await server.app[SENDER].drain_once():
        pass
    connector.clear()
    yield server
    await server.close()


def _flat(html: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", html))


async def _csrf(server: Server, email: str = LARS) -> str:
    async with server.http.get(f"{server.url}/console?as={email}") as resp:
        html = await resp.text()
    return re.search(r'name="csrf" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]


async def _post(server: Server, path: str, form: dict[str, str], email: str = LARS) -> tuple[int, str]:
    async with server.http.post(f"{server.url}{path}?as={email}", data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text()


def _form(server: Server, csrf: str, **fields: Any) -> dict[str, str]:
    step = server.app[CORE].materials.material("kickoff", "intro")
    values = {"title": step.title, "kind": step.kind, "url": step.url, "minutes": str(step.minutes), "description": step.description}
    return {"csrf": csrf, "cohort": "hold-2027", "step": "kickoff.intro", **values, **{k: str(v) for k, v in fields.items()}}


async def _state(db: Database) -> tuple[str, int, int]:
    async with db.sessions() as s:
        url = await s.scalar(select(Material.url).where(Material.activity_key == "kickoff", Material.topic == "intro"))
        edits = await s.scalar(select(func.count()).select_from(MaterialEdit))
        outbox = await s.scalar(select(func.count()).select_from(OutboxMessage))
    return str(url), int(edits or 0), int(outbox or 0)


async def _drain(server: Server) -> None:
    while await server.app[SENDER].drain_once():
        pass


async def test_the_console_lists_every_step_and_says_edits_win_over_the_file(console: Server) -> None:
    async with console.http.get(f"{console.url}/console?as={LARS}") as resp:
        html = _flat(await resp.text())
    assert resp.status == 200
    assert 'id="materialer"' in html and "går forud for content/materials.yaml" in html
    steps = sum(len(s.steps) for s in console.app[CORE].materials.sequences.values())
    assert html.count('class="file-item material-step"') == steps


async def test_preview_shows_changes_and_who_gets_a_notice_and_writes_nothing(console: Server, db: Database) -> None:
    before = await _state(db)
    status, html = await _post(console, "/console/materials/preview", _form(console, await _csrf(console), url=NEW_URL, minutes=9))
    text = _flat(html)
    assert status == 200
    assert "Forhåndsvisning – intet er gemt endnu" in text and NEW_URL in text
    match = re.search(r"hold 2027: (\d+) personer? får besked om opdateret materiale: ([^.]*)\.", text)
    assert match, text[text.find("Forhåndsvisning") :][:2000]
    assert "Anna Jensen" in match.group(2) and int(match.group(1)) == len(match.group(2).split(", "))
    assert await _state(db) == before  # nothing stored, published or queued


async def test_confirm_publishes_notifies_once_and_the_same_again_changes_nothing(
    console: Server, db: Database, connector: FakeConnector
) -> None:
    csrf = await _csrf(console)
    _, preview = await _post(console, "/console/materials/preview", _form(console, csrf, url=NEW_URL))
    expected = int(re.search(r"(\d+) personer? får besked", _flat(preview)).group(1))  # type: ignore[union-attr]
    status, html = await _post(console, "/console/materials/confirm", _form(console, csrf, url=NEW_URL))
    assert status == 200 and f"{expected} personer får besked om opdateret materiale" in _flat(html)
    url, edits, queued = await _state(db)
    assert (url, edits, queued) == (NEW_URL, 1, queued) and queued > 0
    await _drain(console)
    updates = [c for c in connector.cards() if "Opdateret materiale" in card_text(c)]
    assert len(updates) == expected and all(NEW_URL in str(c) for c in updates)
    status, html = await _post(console, "/console/materials/confirm", _form(console, csrf, url=NEW_URL))
    assert status == 200 and "Ingen skulle have besked" in _flat(html)
    assert await _state(db) == (NEW_URL, 1, queued)
    await _drain(console)
    assert len([c for c in connector.cards() if "Opdateret materiale" in card_text(c)]) == expected
    async with db.sessions() as s:
        actions = list(
            await s.scalars(select(AuditEntry.action).where(AuditEntry.action == "materials.edit", AuditEntry.outcome == "allowed"))
        )
    assert len(actions) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "http://lead.dk/x", "Linket skal begynde med https://"),
        ("url", "https://lead dk/x", "Det ligner ikke et link"),
        ("minutes", "7,5", "helt antal minutter fra 1 til 600"),
        ("minutes", "0", "helt antal minutter fra 1 til 600"),
        ("title", "  ", "Skriv en titel."),
        ("kind", "webinar", "Vælg video, podcast, artikel eller grundlitteratur."),
        ("description", "x" * 2001, "højst være 2000 tegn"),
    ],
)
async def test_a_bad_field_shows_the_danish_error_at_the_field_and_nothing_is_written(
    console: Server, db: Database, field: str, value: str, message: str
) -> None:
    before = await _state(db)
    for path in ("/console/materials/preview", "/console/materials/confirm"):
        status, html = await _post(console, path, _form(console, await _csrf(console), **{field: value}))
        assert status == 400
        error = re.search(rf'<p id="m-kickoff-intro-{field}-error" class="field-error" role="alert" data-field="{field}">([^<]*)</p>', html)
        assert error and message in htmllib.unescape(error.group(1))
        assert f'aria-describedby="m-kickoff-intro-{field}-error"' in html
    assert await _state(db) == before


async def test_a_talent_is_refused_and_a_missing_csrf_token_is_refused(console: Server, db: Database) -> None:
    before = await _state(db)
    status, html = await _post(console, "/console/materials/confirm", _form(console, "x", url=NEW_URL), email=ANNA)
    assert status == 403 and "for holdets administratorer" in html and NEW_URL not in html
    form = _form(console, "", url=NEW_URL)
    del form["csrf"]
    status, _ = await _post(console, "/console/materials/confirm", form)
    assert status == 403
    status, _ = await _post(console, "/console/materials/preview", {**form, "csrf": "forged"})
    assert status == 403
    assert await _state(db) == before


async def test_a_publish_from_the_file_keeps_the_edit_and_revert_returns_to_the_file(console: Server, db: Database) -> None:
    csrf = await _csrf(console)
    file_url = console.app[CORE].materials.material("kickoff", "intro").url
    await _post(console, "/console/materials/confirm", _form(console, csrf, url=NEW_URL))
    summary = await console.app[CORE].learning.publish(checked=False)  # what `content publish` and `publicér` run
    assert summary.changed == 0 and (await _state(db))[0] == NEW_URL
    async with console.http.get(f"{console.url}/console?as={LARS}") as resp:
        page = _flat(await resp.text())
    assert "Rettet i konsollen" in page and "Sæt tilbage til filens version" in page
    status, html = await _post(
        console, "/console/materials/preview", {"csrf": csrf, "cohort": "hold-2027", "step": "kickoff.intro", "revert": "1"}
    )
    assert status == 200 and "Forhåndsvisning" in html and (await _state(db))[:2] == (NEW_URL, 1)
    status, html = await _post(
        console, "/console/materials/confirm", {"csrf": csrf, "cohort": "hold-2027", "step": "kickoff.intro", "revert": "1"}
    )
    assert status == 200 and "følger igen materials.yaml" in _flat(html)
    assert (await _state(db))[:2] == (file_url, 0)
    status, html = await _post(
        console, "/console/materials/preview", {"csrf": csrf, "cohort": "hold-2027", "step": "kickoff.intro", "revert": "1"}
    )
    assert status == 400 and "ingen rettelse at fortryde" in html


async def test_a_fixed_placeholder_link_leaves_klar_til_start_and_the_card_budget_follows(console: Server) -> None:
    core = console.app[CORE]

    async def placeholders() -> tuple[str, ...]:
        health = await core.health.check("hold-2027", NOW)
        return next((i.details for i in health.items if i.code == "placeholder-materials"), ())

    before = await placeholders()
    intro = core.materials.material("kickoff", "intro")
    assert f"Kick-off: {intro.title}" in before
    await _post(console, "/console/materials/confirm", _form(console, await _csrf(console), url=NEW_URL, minutes=intro.minutes + 10))
    after = await placeholders()
    assert f"Kick-off: {intro.title}" not in after and len(after) == len(before) - 1
    async with core.db.sessions() as s:
        anna = await s.scalar(select(Person.id).where(Person.email == ANNA))
        card, _ = await core.messages.material_card(s, int(anna or 0), "kickoff", "intro", ZoneInfo("Europe/Copenhagen"))
    assert card.data["budget_minutes"] == core.materials.sequences["kickoff"].minutes + 10
