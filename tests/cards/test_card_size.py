"""Every card that shows user text fits Teams: long text is cut and control characters dropped, never a failure."""

from __future__ import annotations

import json
from typing import Any

import cards

TEAMS_LIMIT = 28 * 1024
# A leader's view of one talent's plan, as the growth service hands it to the card.
PLAN: dict[str, Any] = {
    "talent": "Anna Jensen",
    "aim": "Vertikal ledelsesudvikling",
    "individual": "Strategisk sparring.",
    "team": "Uddelegering.",
    "organisation": "Talentmiljø.",
    "notes": "Aftalt på samtale 3.",
    "updated": "Senest gemt 4. januar 2027 (version 2)",
    "history": [{"when": "4. januar 2027", "who": "Anna Jensen", "what": "mål for team"}],
    "readiness": None,
    "environment": "",
    "apprentices": [{"name": "Bo Holm", "role": "afdelingsleder"}],
}
VIEW: dict[str, Any] = {"plans": [PLAN], "can_edit": False, "back_plan": 41}


def _size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def _plan(text: str) -> dict[str, Any]:
    plan = dict(PLAN)
    plan.update(
        aim=text,
        individual=text,
        team=text,
        organisation=text,
        notes=text,
        environment=text,
        apprentices=[{"name": text, "role": text}] * 2,
    )
    return plan


def test_a_leaders_view_of_two_plans_full_of_control_characters_fits() -> None:
    junk = "\x01\x00" * 1000  # 2 000 control characters: escaped as \u0001 each, six bytes in JSON
    card = cards.render("development_plan", {**VIEW, "plans": [_plan(junk), _plan(junk)]})
    assert _size(card) < TEAMS_LIMIT
    assert "\x01" not in json.dumps(card, ensure_ascii=False) and "\\u0000" not in json.dumps(card)


def test_a_leaders_view_of_many_long_plans_is_cut_to_fit_not_refused() -> None:
    text = "Lang tekst om ledelse. " * 100  # 2 300 characters, cut to the longest shown text
    card = cards.render("development_plan", {**VIEW, "plans": [_plan(text)] * 4})
    shown = json.dumps(card, ensure_ascii=False)
    assert _size(card) < TEAMS_LIMIT and "Lang tekst om ledelse." in shown and "…" in shown
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
