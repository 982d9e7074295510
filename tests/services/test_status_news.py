"""The admin's daily status card: everything wrong on the first, then only what is new (first) and what got fixed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import jsonschema
from sqlalchemy import select

from bot.config import Settings
from bot.services.broadcast_view import card_texts
from bot.services.core import build_core
from bot.services.link_check import LinkChecker
from bot.storage.db import Database
from bot.storage.health_tables import StatusSeen
from bot.storage.models import OutboxMessage, Person
from tests.support import NOW, SCHEMAS, Clock, personal_chat, require_shared, seed
from tests.support.console import ANNA, LARS
from tests.support.link_server import ALLOWED, link_host, publish_links


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(require_shared(SCHEMAS / "adaptive-card-1.5.json").read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


async def _chat(db: Database, email: str) -> None:
    async with db.sessions() as s, s.begin():
        person = await s.scalar(select(Person).where(Person.email == email))
        assert person is not None
        s.add(personal_chat(person.id, "https://smba.example/"))


async def _cards(db: Database) -> dict[str, dict[str, Any]]:
    async with db.sessions() as s:
        rows = await s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("status/%")))
        return {r.key: r.payload["attachments"][0]["content"] for r in rows}


def _texts(card: dict[str, Any]) -> list[str]:
    return card_texts({"attachments": [{"content": card}]})


async def test_first_card_lists_what_is_wrong_then_only_news_and_fixes(db: Database, programme: Any, settings: Settings) -> None:
    await seed(db, programme)
    await _chat(db, LARS)
    clock = Clock(NOW)
    core = build_core(db, settings, clock)
    validator = _validator()

    assert await core.status_cards.send_daily(clock()) == 1
    [first] = (await _cards(db)).values()
    validator.validate(first)
    texts = _texts(first)
    assert "Det skal ordnes" in texts
    assert any(t.startswith("• ") and "kan ikke nås af botten endnu" in t for t in texts)
    assert await core.status_cards.send_daily(clock()) == 0  # the same day again (a rerun, a second replica): nothing

    clock.advance(24 * 3600)  # nothing changed beyond the usual: the usual card
    assert await core.status_cards.send_daily(clock()) == 1
    second = (await _cards(db))[f"status/hold-2027/2027-01-05/{await _id(db, LARS)}"]
    validator.validate(second)
    assert not any(t.startswith("Nyt siden") or t == "Det skal ordnes" or t.startswith("• ") for t in _texts(second))

    clock.advance(24 * 3600)
    await _chat(db, ANNA)  # fixed: Anna can be reached now
    async with link_host() as host:
        await publish_links(db, "kickoff", {"Artikel": host.link("/gone")})
        await LinkChecker(db, core.materials, clock, timeout=1.0, allowed_hosts=ALLOWED).run(clock())  # new: a broken link
    asked = await core.status_cards.card_data("hold-2027", clock())  # the `status` command: the same news, baseline kept
    assert await core.status_cards.send_daily(clock()) == 1
    third = (await _cards(db))[f"status/hold-2027/2027-01-06/{await _id(db, LARS)}"]
    validator.validate(third)
    texts = _texts(third)
    heading = texts.index("Nyt siden i går")
    assert heading < next(i for i, t in enumerate(texts) if t.startswith("Talenter") or "gennemført" in t)  # news come first
    news = [t for t in texts if t.startswith("• ")]
    assert news == [
        "• 1 materialelinks virker ikke: Kick-off: Artikel – Linket svarer ikke (404), tjekket kl. 10.00 den 6. januar ("
        + host.link("/gone")
        + ")"
    ]
    assert any("Ordnet: 1 af »11 kan ikke nås af botten endnu«" in t for t in texts), texts
    assert asked["news"]["new"] == [n.removeprefix("• ") for n in news]


async def test_the_baseline_holds_no_personal_data(db: Database, programme: Any, settings: Settings) -> None:
    await seed(db, programme)
    core = build_core(db, settings, lambda: NOW)
    await core.status_cards.news("hold-2027", NOW, remember=True)
    async with db.sessions() as s:
        [seen] = list(await s.scalars(select(StatusSeen)))
    stored = json.dumps(seen.items, ensure_ascii=False)
    assert "unreachable" in seen.items and "@" not in stored and "Anna" not in stored


async def test_a_cohort_long_over_gets_no_daily_card(db: Database, programme: Any, settings: Settings) -> None:
    await seed(db, programme)
    await _chat(db, LARS)
    core = build_core(db, settings, lambda: NOW)
    assert await core.status_cards.send_daily(NOW + timedelta(days=800)) == 0


async def _id(db: Database, email: str) -> int:
    async with db.sessions() as s:
        pid = await s.scalar(select(Person.id).where(Person.email == email))
        assert pid is not None
        return pid
