"""Every card template renders schema-valid Adaptive Card 1.5 JSON, with real and hostile data."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

import cards
from tests.support import SCHEMAS, card_strings, require_shared

HOSTILE = [
    'Quote " and backslash \\ and \\" mixed',
    "Line one\nLine two\r\n\ttabbed",
    "{{ not jinja }} {% raw %} ${expression} </script>",
    "Æblegrød og øl på Ærø – “typografi” 😀 \u202e",
    "x" * 5000,
]

# Realistic data per template; each new template needs an entry here.
SAMPLES: dict[str, dict[str, Any]] = {
    "welcome": {
        "first_name": "Anna",
        "roles": ["Talent på Hold 2027 (leder af medarbejdere) · nærmeste leder: Mette Kristensen"],
        "cohort_name": "Hold 2027",
        "next": {
            "name": "Kick-off",
            "when": "tirsdag 12. januar 2027 kl. 09.00–12.30",
            "venue": "Aalborg Kongres & Kultur Center",
            "until": "om 8 dage",
        },
    },
    "not_rostered": {"name": "Megan Bowen"},
    "help": {
        "commands": [{"command": "næste", "text": "Din næste aktivitet"}, {"command": "hjælp", "text": "Denne oversigt"}],
        "is_admin": False,
    },
    "next_activity": {
        "name": "Modul 1: Ledelse gennem kerneopgaven",
        "until": "om 12 dage",
        "sessions": [
            {"label": "Dag 1", "when": "tirsdag 2. februar 2027 kl. 09.00–16.00", "venue": "Aalborg"},
            {"label": "Dag 2", "when": "tirsdag 2. marts 2027 kl. 09.00–16.00", "venue": ""},
        ],
        "purpose": "At styrke ledelse gennem kerneopgaven.",
        "bring": "Egne cases",
        "preparation": "Cirka to timer.",
        "later": [{"when": "23. marts", "name": "Modul 2"}],
    },
    "fallback": {"text": "blå bananer"},
    "notice": {"title": "Besked fra LEAD", "text": "Husk kick-off på tirsdag.", "sender": "Lars Thomsen, LEAD"},
    "material": {
        "activity": "Modul 3: Talentledelse",
        "activity_key": "m3",
        "topic": "article",
        "topic_label": "Kort artikel",
        "kind_label": "Artikel",
        "title": "Talentmiljøer frem for enkelttalenter",
        "minutes": 20,
        "description": "Artiklen giver dig begreberne til modulets dag 1.",
        "url": "https://materialer.example/talent-nord/m3/article",
        "step": 2,
        "total": 3,
        "seen_count": 1,
        "budget_minutes": 120,
        "seen": None,
        "optional": False,
        "updated": False,
    },
    "reminder": {
        "activity": "Kick-off",
        "sessions": [{"label": "Tid", "when": "tirsdag 12. januar 2027 kl. 09.00–12.30", "venue": "Aalborg Kongres & Kultur Center"}],
        "bring": "Tag din udviklingsplan med.",
    },
    "answer": {
        "question": "Hvor mange buddy-møder er der?",
        "answer": "Fire under programmet og to efter.",
        "source_line": "Fra: Gruppesporet – buddy-møder",
        "entry_id": "faq:buddy-count",
        "note": None,
        "can_act": True,
    },
    "question_channel": {
        "question_id": 12,
        "question": "Må jeg tage min hund med på internatet?",
        "asker": "Anna Jensen",
        "organisation": "Aalborg Kommune",
        "level": "leder af medarbejdere",
        "cohort": "Talent Nord 2.0 – hold 2027",
        "activity": "Modul 3: Talentledelse",
        "asked": "4. januar kl. 10.00",
        "others": 0,
        "answered": None,
    },
    "ask_form": {
        "activities": [{"key": "kickoff", "name": "Kick-off"}, {"key": "m3", "name": "Modul 3: Talentledelse"}],
        "question": "",
        "activity": "",
        "error": None,
    },
    "instructor_answer": {
        "instructor": "Lars Holm",
        "question": "Må jeg tage min hund med?",
        "answer": "Nej, desværre.",
        "when": "4. januar kl. 14.05",
    },
    "nudge": {
        "title": "Buddy-møde 2",
        "note": "Halvvejs",
        "text": "Det er tid til et buddy-møde.",
        "questions": ["Hvor er vi lige nu i din udvikling?"],
        "people": [{"name": "Bo Madsen", "organisation": "Region Nordjylland", "level": "leder af medarbejdere"}],
        "book_url": "https://teams.microsoft.com/l/meeting/new?subject=Buddy&attendees=bo%40rn.example",
        "chat_url": None,
        "plan_id": 17,
        "done": None,
        "can_act": True,
    },
    "evaluation": {
        "title": "Hvordan var modul 1?",
        "text": "Tak fordi du var med.",
        "plan_id": 9,
        "rating": "",
        "expectations": "",
        "comment": "",
        "thanks": False,
    },
    "library": {
        "closed": False,
        "closed_text": "",
        "groups": [
            {
                "activity": "Kick-off",
                "seen": 1,
                "total": 2,
                "items": [
                    {
                        "title": "Velkommen",
                        "kind_label": "Video",
                        "minutes": 15,
                        "url": "https://materialer.example/a",
                        "seen": "Set ✔ 4. jan",
                    },
                    {"title": "Pipeline", "kind_label": "Artikel", "minutes": 20, "url": "https://materialer.example/b", "seen": None},
                ],
            }
        ],
    },
    "development_plan_form": {
        "talent": "Anna Jensen",
        "aim_value": "vertical",
        "aim": "Vertikal ledelsesudvikling",
        "individual": "Styrke min strategiske sparring.",
        "team": "Uddelegere mere.",
        "organisation": "Talentmiljø i forvaltningen.",
        "notes": "Aftalt på samtale 3.",
        "updated": "Senest gemt 4. januar 2027 (version 2)",
        "history": [
            {"when": "4. januar 2027", "who": "Anna Jensen", "what": "mål for team"},
            {"when": "2. januar 2027", "who": "Anna Jensen", "what": "oprettet"},
        ],
        "readiness": None,
        "thanks": False,
        "environment": "Et talentforum i forvaltningen hvert kvartal.",
        "apprentices": [{"name": "Ida Holm", "role": "teamleder"}],
        "readiness_own": {"box": 2, "aim": "Vertikal", "tasks": "t", "performance": "p", "description": "d", "recommendation": "r"},
    },
    "environment_plans": {
        "organisation": "Aalborg Kommune",
        "plans": [{"name": "Anna Jensen", "text": "Et talentforum hvert kvartal."}, {"name": "Bo Berg", "text": ""}],
    },
    "development_plan": {
        "plans": [
            {
                "talent": "Anna Jensen",
                "aim": "Vertikal ledelsesudvikling",
                "individual": "Strategisk sparring.",
                "team": "Uddelegering.",
                "organisation": "Talentmiljø.",
                "notes": "Aftalt på samtale 3.",
                "updated": "Senest gemt 4. januar 2027 (version 2)",
                "environment": "Et talentforum hvert kvartal.",
                "apprentices": [{"name": "Ida Holm", "role": "teamleder"}],
                "readiness_own": None,
                "history": [{"when": "4. januar 2027", "who": "Anna Jensen", "what": "mål for team"}],
                "readiness": {
                    "box": 2,
                    "aim": "Vertikal ledelsesudvikling",
                    "tasks": "Arbejder med opgaver fra næste ledelsesniveau",
                    "performance": "Fyldestgørende præstation",
                    "description": "Talentet løser opgaver på næste ledelsesniveau tilfredsstillende.",
                    "recommendation": "Sæt i fællesskab nye mål og coach talentet.",
                },
            }
        ],
        "can_edit": False,
        "back_plan": 41,
    },
    "readiness_form": {
        "talent": "Anna Jensen",
        "plan_id": 77,
        "talent_id": 5,
        "aim": "",
        "tasks": "",
        "performance": "",
        "result": None,
        "thanks": False,
        "own": {"box": 2, "aim": "Vertikal", "tasks": "t", "performance": "p", "description": "d", "recommendation": "r"},
        "own_card": False,
    },
    "readiness_result": {
        "box": 4,
        "aim": "Horisontal ledelsesudvikling",
        "tasks": "Arbejder med forholdsvist simple opgaver på eget ledelsesniveau",
        "performance": "Exceptionel præstation",
        "description": "Talentet løser forholdsvist simple opgaver på eget ledelsesniveau exceptionelt.",
        "recommendation": "Tildel avancerede opgaver på eget ledelsesniveau.",
        "leader": "Mette Kristensen",
    },
    "status_summary": {
        "cohort": "Talent Nord 2.0 – hold 2027",
        "generated": "Opgjort 4. januar 2027 kl. 10.00",
        "headline": [
            {"title": "gennemført (mål 95 %)", "value": "96 %", "good": True},
            {"title": "svarede ja (mål 80 %)", "value": "71 %", "good": False},
        ],
        "facts": [
            {"title": "Talenter", "value": "25: 24 gennemført, 0 på vej, 1 ikke gennemført"},
            {"title": "Buddy-møder", "value": "40 holdt af 48 der skulle være holdt nu (60 planlagt)"},
        ],
        "report_url": "https://bot.example/report/hold-2027?exp=1800000000&sig=" + "ab" * 32,
        "link_note": "Linket virker til 4. januar kl. 22.00.",
    },
}
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
