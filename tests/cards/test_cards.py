"""Every card template renders schema-valid Adaptive Card 1.5 JSON, with real and hostile data."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

import cards
from tests.support import SCHEMAS, card_strings, require_shared
from tests.support.card_samples import SAMPLES

HOSTILE = [
    'Quote " and backslash \\ and \\" mixed',
    "Line one\nLine two\r\n\ttabbed",
    "{{ not jinja }} {% raw %} ${expression} </script>",
    "Æblegrød og øl på Ærø – “typografi” 😀 \u202e",
    "x" * 5000,
]

# Realistic data per template; each new template needs an entry here.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "development_plan_form": [
        {"thanks": True, "history": [], "updated": "", "aim_value": "", "apprentices": [], "readiness_own": None},
        {"readiness": {"box": 6, "aim": "Vertikal", "tasks": "Simple", "performance": "Ikke", "description": "d", "recommendation": "r"}},
    ],
    "development_plan": [{"plans": [], "back_plan": None}, {"can_edit": True, "back_plan": None}],
    "readiness_form": [
        {
            "aim": "vertical",
            "tasks": "stretch",
            "performance": "exceptional",
            "thanks": True,
            "result": {
                "box": 1,
                "aim": "Vertikal ledelsesudvikling",
                "tasks": "t",
                "performance": "p",
                "description": "Talentet løser opgaver på næste ledelsesniveau exceptionelt.",
                "recommendation": "Forfrem talentet hurtigst muligt til næste ledelsesniveau.",
            },
        },
        {"own_card": True, "own": None},
        {"own": None},
    ],
    "readiness_result": [{"leader": "", "box": 1}],
    "environment_plans": [{"plans": []}],
    "status_summary": [{"report_url": None, "link_note": "", "facts": []}],
    "welcome": [{"next": None}, {"roles": []}],
    "next_activity": [{"bring": "", "later": []}],
    "notice": [{"sender": None}],
    "material": [{"seen": "Set ✔ 12. jan", "updated": True, "optional": True}],
    "reminder": [{"bring": ""}],
    "nudge": [
        {"done": "Holdt ✔ 12. jan", "book_url": None, "people": [], "questions": []},
        {"can_act": False, "chat_url": "https://teams.microsoft.com/l/chat/0/0?users=a%40b.dk"},
        {"plan_talent": 5, "done": "Holdt ✔ 12. jan"},
        {
            "apprentices": "Ida Holm (teamleder)",
            "environment": [{"name": "Anna", "organisation": "A", "text": "Plan"}],
            "report_url": "https://bot.example/report/x",
            "attachments": [{"title": "Samtaleguide", "url": "https://x.example/g"}],
        },
    ],
    "evaluation": [{"rating": "4", "expectations": "delvist", "comment": "Godt", "thanks": True}],
    "library": [{"groups": []}, {"closed": True, "closed_text": "Adgangen er slut.", "groups": []}],
    "answer": [{"note": "Tak for din tilbagemelding – godt, at det hjalp!", "can_act": False}],
    "question_channel": [
        {
            "others": 2,
            "activity": "",
            "level": "",
            "answered": {"by_line": "Besvaret af Lars Holm 4. januar kl. 14.05", "answer": "Nej, desværre."},
        }
    ],
    "ask_form": [{"question": "Hvad med barsel?", "activity": "m3", "error": "Dit spørgsmål er for langt."}],
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(require_shared(SCHEMAS / "adaptive-card-1.5.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _hostile(value: Any, text: str) -> Any:
    if isinstance(value, str):
        return text
    if isinstance(value, dict):
        return {k: _hostile(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_hostile(v, text) for v in value] * 3
    return value


def _check(card: dict[str, Any], validator: Any) -> None:
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    assert len(json.dumps(card, ensure_ascii=False).encode("utf-8")) < cards.MAX_CARD_BYTES


def test_every_template_has_sample_data() -> None:
    assert sorted(SAMPLES) == cards.template_names()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_realistic_data_renders_a_valid_card(name: str, validator: Any) -> None:
    for extra in [{}, *VARIANTS.get(name, [])]:
        card = cards.render(name, {**SAMPLES[name], **extra})
        _check(card, validator)


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("text", HOSTILE, ids=["quotes", "newlines", "template-syntax", "unicode", "5000-chars"])
def test_hostile_data_stays_valid_and_verbatim(name: str, text: str, validator: Any) -> None:
    card = cards.render(name, _hostile(SAMPLES[name], text))
    _check(card, validator)
    shown = "\n".join(card_strings(card))
    if len(text) <= cards.MAX_TEXT:
        assert text in shown, "user text must appear exactly as given, not re-interpreted"
    else:
        assert text[:100] in shown and "…" in shown


def test_welcome_shows_name_and_next_activity() -> None:
    shown = "\n".join(card_strings(cards.render("welcome", SAMPLES["welcome"])))
    assert "Velkommen til Talent Nord 2.0, Anna!" in shown
    assert "Kick-off" in shown and "Om 8 dage." in shown
