"""A card with many files shows six file buttons and then one "Se alle i biblioteket" (schema-valid Adaptive Card 1.5)."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from sqlalchemy import select

import cards
from bot.appkeys import CORE
from bot.storage.db import Database
from bot.storage.models import Person
from tests.fakes.connector import FakeConnector
from tests.support import ANNA, SCHEMAS, Server, personal_message, rendered, require_shared
from tests.support.card_samples import SAMPLES
from tests.support.files import PDF

EIGHT = [{"title": f"Skabelon {n}", "kind_label": "PDF", "url": f"https://bot.example/files/{n}?sig=x"} for n in range(1, 9)]


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(require_shared(SCHEMAS / "adaptive-card-1.5.json").read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def _valid(card: dict[str, Any], validator: Any) -> None:
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])


def _action_sets(card: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [b["actions"] for b in card["body"] if b.get("type") == "ActionSet"]


def _file_buttons(card: dict[str, Any]) -> list[str]:
    return [a["title"] for actions in _action_sets(card) for a in actions if "/files/" in a.get("url", "")]


@pytest.mark.parametrize("name", ["material", "nudge", "library"])
def test_eight_files_show_six_buttons_and_one_to_the_library(name: str, validator: Any) -> None:
    card = cards.render(name, {**SAMPLES[name], "files": EIGHT, "library_url": "https://teams.microsoft.com/l/entity/app/mit-forloeb"})
    _valid(card, validator)
    assert _file_buttons(card) == [f"Skabelon {n} (PDF)" for n in range(1, 7)]
    more = [a for actions in _action_sets(card) for a in actions if a["title"].startswith("Se alle")]
    assert [(m["title"], m["url"]) for m in more] == [
        ("Se alle 8 filer i biblioteket", "https://teams.microsoft.com/l/entity/app/mit-forloeb")
    ]
    assert all(len(actions) <= 6 for actions in _action_sets(card))  # Teams shows at most six actions in a set


@pytest.mark.parametrize("count", [6, 8])
def test_without_a_library_link_a_hint_says_where_the_rest_are(count: int, validator: Any) -> None:
    card = cards.render("material", {**SAMPLES["material"], "files": EIGHT[:count]})
    _valid(card, validator)
    text = json.dumps(card, ensure_ascii=False)
    assert len(_file_buttons(card)) == 6 and "Se alle" not in text
    assert ("Der er 2 filer mere" in text) == (count == 8)


async def test_the_real_material_card_links_the_talents_library_tab(seeded: Database, server: Server, validator: Any) -> None:
    core = server.app[CORE]
    for n in range(1, 9):
        await core.files.add("hold-2027", f"skabelon-{n}.pdf", PDF, title=f"Skabelon {n}", attach="m1.article")
    async with seeded.sessions() as s:
        anna = int(await s.scalar(select(Person.id).where(Person.email == ANNA)) or 0)
        reply, _ = await core.messages.material_card(s, anna, "m1", "article", ZoneInfo("Europe/Copenhagen"))
    card = rendered(reply)
    _valid(card, validator)
    assert len(_file_buttons(card)) == 6
    [more] = [a for actions in _action_sets(card) for a in actions if a["title"] == "Se alle 8 filer i biblioteket"]
    assert more["url"].endswith("/tab?as=anna.talent%40aalborg.example#bibliotek")


async def test_the_chat_library_with_eight_files_links_the_tab(
    seeded: Database, server: Server, connector: FakeConnector, validator: Any
) -> None:
    for n in range(1, 9):
        await server.app[CORE].files.add("hold-2027", f"s{n}.pdf", PDF, title=f"Skabelon {n}")
    activity = personal_message("materialer", connector)
    connector.know(activity["from"], ANNA)
    await server.post(activity)
    card = connector.sent[-1].body["attachments"][0]["content"]
    _valid(card, validator)
    assert len(_file_buttons(card)) == 6 and "Se alle 8 filer i biblioteket" in json.dumps(card, ensure_ascii=False)
