"""Issue #16: someone else's free text reaches a card as plain text (no live markdown, no bidi reordering)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

import cards
from cards.plain import plain
from tests.support.card_samples import SAMPLES

EVIL = "[Klik her](https://evil.example) **VIGTIGT** _x_ `kode` # Titel\n> citat\n- punkt\n1. første \u202egnp.exe\u2066x\u2069"
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
LIVE = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\((?!\\)|(?<!\\)\*\*|(?<!\\)`")


def test_plain_escapes_markdown_and_strips_bidi_controls() -> None:
    shown = plain(EVIL)
    assert not BIDI.search(shown)
    assert not LIVE.search(shown), shown
    assert "\\[Klik her\\]\\(https://evil.example\\)" in shown
    assert "\n\\> citat" in shown and "\n\\- punkt" in shown and "\n1\\. første" in shown and "\\# Titel" in shown
    assert plain("Hvornår er modul 2?") == "Hvornår er modul 2?"
    assert plain(None) is None and plain(3) == 3


def strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


FIELDS = {
    "question_channel": ["question", "asker", "organisation"],
    "instructor_answer": ["instructor", "question", "answer"],
    "answer": ["question", "answer"],
    "notice": ["sender"],
}


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_others_text_is_plain_on_every_card_that_shows_it(name: str) -> None:
    data = copy.deepcopy(SAMPLES[name])
    for field in FIELDS[name]:
        data[field] = EVIL
    card = cards.render(name, data)
    shown = [s for s in strings(card.get("body", [])) if "Klik her" in s]
    assert shown, json.dumps(card)[:500]
    for text in shown:
        assert not BIDI.search(text) and not LIVE.search(text), text


def test_the_development_plan_a_leader_sees_is_plain() -> None:
    data = copy.deepcopy(SAMPLES["development_plan"])
    for plan in data["plans"]:
        for field in ("talent", "aim", "individual", "team", "organisation", "notes"):
            plan[field] = EVIL
    card = cards.render("development_plan", data)
    shown = [s for s in strings(card["body"]) if "Klik her" in s]
    assert len(shown) >= 6
    for text in shown:
        assert not BIDI.search(text) and not LIVE.search(text), text


def test_buddy_and_leader_names_are_plain() -> None:
    data = copy.deepcopy(SAMPLES["nudge"])
    people = next((v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict) and "name" in v[0]), None)
    if people is None:
        pytest.skip("the nudge sample lists no people")
    for person in people:
        person["name"] = person["organisation"] = EVIL
    shown = [s for s in strings(cards.render("nudge", data)["body"]) if "Klik her" in s]
    assert shown and all(not BIDI.search(t) and not LIVE.search(t) for t in shown)
