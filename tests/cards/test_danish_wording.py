"""Every nudge, card and report text as each role receives it reads right in Danish (definite forms, no known slips)."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from sqlalchemy import select

import cards
from app import CORE
from bot.content.cohort import parse_cohort
from bot.content.yamlfile import load_yaml_text
from bot.domain.roster import parse_roster
from bot.report.html import render_html
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import Membership, Person, PlannedDelivery
from tests.fakes.connector import card_text
from tests.support import EXAMPLE_COHORT, NOW, SCHEMAS, Clock, require_shared, seed, start_server

# words after which Danish needs the definite form of an activity ("Hvordan var afslutningsseminaret?")
NEEDS_DEFINITE = r"(?:til|var|om|efter|før|inden|i|på|fra)"
WRONG = [
    (re.compile(r"Tak for i dag"), "sent the next morning"),
    (re.compile(r"Inden dag 2 i modulet"), "names no module"),
    (re.compile(r"inden kick-off", re.I), "pairs may be set after the kick-off"),
    (re.compile(r"for et af programmets hold"), "'for nogen af programmets hold'"),
    (re.compile(r"efter jeres samtale efter"), "'efter … efter'"),
    (re.compile(r"forfald", re.I), "a billing word"),
    (re.compile(r"\d+: \d+ gennemført"), "'Talenter: 5: 5 gennemført'"),
    (re.compile(r"content/|\.yaml"), "a file path shown to users"),
    (re.compile(r"\bbuddies\b", re.I), "the text says buddy'erne"),
    (re.compile(r"\b(Kick-off|Afslutningsseminar|Alumnedag)(?!en|et|'en)\b(?=[?.,!])"), "bare name ending a sentence"),
]


def bare_names(text: str, names: list[str]) -> list[str]:
    """The bare activity names in text right after a word that needs the definite form."""
    return [m.group(0) for name in names for m in re.finditer(rf"\b{NEEDS_DEFINITE} {re.escape(name)}(?![a-zæøå'’])", text)]


def slips(text: str, names: list[str]) -> list[str]:
    return bare_names(text, names) + [f"{why}: {m.group(0)!r}" for rx, why in WRONG if (m := rx.search(text))]


@pytest.fixture
async def texts(db: Database, programme: Any, settings: Any) -> dict[str, list[tuple[str, str]]]:
    """(what, text) per recipient role for every planned row, welcome and status card of the example cohort."""
    await seed(db, programme)
    # the steering group (with its meetings) and an internal consultant read their texts too
    service = RosterService(db)
    cohort = EXAMPLE_COHORT.read_text(encoding="utf-8") + "\nsteering_meetings: [2027-03-01, 2027-06-14, 2027-11-29]\n"
    await service.import_cohort(parse_cohort(load_yaml_text(cohort, "c.yaml"), "c.yaml", programme))
    extra = (
        "email,name,role,organisation,level,leader_email,mentor_email\n"
        "kirsten.hr@aalborg.example,Kirsten Holm,consultant,Aalborg Kommune,,,\n"
        "stig.styregruppe@rn.example,Stig Nielsen,steering,Region Nordjylland,,,\n"
    )
    await service.import_roster("hold-2027", parse_roster(extra, "extra.csv"), "extra.csv")
    server = await start_server(settings, Clock(NOW))
    core = server.app[CORE]
    await core.planner.replan("hold-2027")
    await core.buddies.suggest("hold-2027")
    out: dict[str, list[tuple[str, str]]] = {r: [] for r in ("talent", "leader", "mentor", "instructor", "admin", "consultant", "steering")}
    schema = json.loads(require_shared(SCHEMAS / "adaptive-card-1.5.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    try:
        async with db.sessions() as s:
            members = list(await s.scalars(select(Membership)))
            roles = {m.person_id: m.role for m in members}
            for row in await s.scalars(select(PlannedDelivery)):
                payload, _ = await core.messages.for_plan_row(s, row, NOW)
                card = payload["attachments"][0]["content"]
                validator.validate(card)
                out[roles[row.person_id]].append(
                    (f"{row.kind}/{row.topic}/{row.activity_key}", card_text(card) + "\n" + payload["summary"])
                )
            people = list(await s.scalars(select(Person)))
        for person in people:
            profile = await core.directory.profile(person.id)
            assert profile is not None
            reply = await core.guide.welcome(profile)
            welcome = cards.render(reply.card, reply.data)
            validator.validate(welcome)
            out[roles[person.id]].append(("welcome", card_text(welcome)))
        status = cards.render("status_summary", await core.reports.status("hold-2027"))
        report = render_html(await core.reports.build("hold-2027"))
        out["steering"].append(("status", card_text(status)))
        out["admin"] += [("status", card_text(status)), ("report", re.sub(r"<style.*?</style>|<[^>]+>", " ", report, flags=re.S))]
    finally:
        await server.close()
    return out


async def test_every_text_for_every_role_reads_right_and_as_their_own(texts: dict[str, list[tuple[str, str]]], programme: Any) -> None:
    names = [a.name for a in programme.activities]
    assert all(texts[r] for r in texts), "every role receives something"
    problems = [f"{role} {what}: {slip}" for role, items in texts.items() for what, text in items for slip in slips(text, names)]
    assert problems == [], "\n".join(problems)
    # and each role reads its own wording (one test: building the texts takes most of a minute)
    leader = "\n".join(t for _, t in texts["leader"])
    mentor = "\n".join(t for _, t in texts["mentor"])
    assert "Samtale 1 med dit talent" in leader and "med nærmeste leder –" not in leader
    assert "Mentorsamtale 1 med dit talent" in mentor and "samtale med din mentor" not in mentor
    assert any("Styregruppemøde 1 af 3" in t for _, t in texts["steering"])
    assert any("Forberedelse til afslutningsseminaret" in t for _, t in texts["consultant"])
    for role in ("mentor", "instructor", "admin", "steering"):  # the consultant does get preparation
        welcome = next(t for what, t in texts[role] if what == "welcome")
        assert "sender dig forberedelse" not in welcome, role
    assert any("Inden dag 2 i modul 4" in t for _, t in texts["talent"])
    assert any("Hvordan var afslutningsseminaret?" in t for _, t in texts["talent"])
    assert any("Forberedelse til alumnedagen" in t for _, t in texts["talent"])


def test_the_checker_catches_the_slips_it_is_for(programme: Any) -> None:
    names = [a.name for a in programme.activities]
    assert slips("Hvordan var Afslutningsseminar?", names)
    assert slips("Forberedelse til Alumnedag: 1 af 3", names)
    assert slips("Talenter: 5: 5 gennemført", names)
    assert not slips("Hvordan var afslutningsseminaret? Forberedelse til modul 3: 1 af 3", names)
