"""Malformed input over /api/messages: never a 5xx, never a stack trace, the server and its data stay sound."""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from app import DATABASE
from bot.config import REPO_ROOT, Settings
from bot.content.programme import load_programme
from bot.storage.db import Database
from bot.storage.models import Conversation, Membership, Person
from cards.plain import plain
from tests.fakes.connector import FakeConnector
from tests.support import ACTIVITIES, Server, card_strings, personal_chat, require_shared, seed, start_server

ANNA = "anna.talent@aalborg.example"
ANNA_AAD = "00000000-0000-0000-0000-00000000a11a"
VERBS = ["seen", "done", "snooze", "evaluate", "plan-save", "plan-edit", "plan-view", "nudge-show", "readiness"]
TOP_FIELDS = [
    "type",
    "id",
    "from",
    "recipient",
    "conversation",
    "channelData",
    "value",
    "text",
    "textFormat",
    "name",
    "entities",
    "attachments",
    "membersAdded",
    "membersRemoved",
    "replyToId",
    "timestamp",
    "locale",
    "channelId",
    "reactionsAdded",
    "action",
]
ACTIVITY_TYPES = [
    "message",
    "invoke",
    "conversationUpdate",
    "installationUpdate",
    "messageReaction",
    "messageUpdate",
    "messageDelete",
    "event",
    "typing",
    "endOfConversation",
    "trace",
    "handoff",
]
INVOKE_NAMES = [
    "adaptiveCard/action",
    "composeExtension/query",
    "composeExtension/fetchTask",
    "task/fetch",
    "task/submit",
    "signin/verifyState",
    "fileConsent/invoke",
    "config/fetch",
    "actionableMessage/executeAction",
    "",
]
# Responses may carry these words only as part of a stack trace.
TRACE_MARKERS = ("Traceback", 'File "', "site-packages", "Exception:")


def _json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, small: the garbage a broken client could send in any field."""
    scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=40)
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12
    )


def _tricky_text() -> st.SearchStrategy[str]:
    """Text that tends to break naive code: markup, JSON, control characters, long runs."""
    return st.one_of(
        st.text(max_size=200),
        st.sampled_from(
            [
                '"}]',
                "<at>x</at>",
                "{{ x }}",
                "\x00",
                "\ud7ff",
                "%s%s",
                "næste",
                "hjælp",
                "udsend all hej",
                "udviklingsplan",
                "status",
                "publicér",
                "spørg hvad?",
                "a" * 5000,
            ]
        ),
    )


@st.composite
def activities(draw: st.DrawFn, bases: list[dict[str, Any]], service_url: str) -> dict[str, Any]:
    """A real Teams payload shape with one to three mutations."""
    activity = copy.deepcopy(draw(st.sampled_from(bases)))
    activity["serviceUrl"] = service_url
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["set", "drop", "type", "invoke", "submit", "nested", "text", "service"]))
        if kind == "service":
            # only addresses on this machine: a broken serviceUrl must not send the bot's reply elsewhere
            activity["serviceUrl"] = draw(st.sampled_from(["", "not a url", "http://127.0.0.1:1/", 42, None, ["x"]]))
        elif kind == "set":
            activity[draw(st.sampled_from(TOP_FIELDS))] = draw(_json_values())
        elif kind == "drop":
            activity.pop(draw(st.sampled_from(TOP_FIELDS)), None)
        elif kind == "type":
            activity["type"] = draw(st.sampled_from(ACTIVITY_TYPES) | st.text(max_size=20))
        elif kind == "invoke":
            data = draw(
                st.dictionaries(
                    st.sampled_from(["plan", "days", "talent", "activity", "topic", "rating", "aim", "back", "x"]),
                    _json_values(),
                    max_size=4,
                )
            )
            data["verb"] = draw(st.sampled_from(VERBS) | st.text(max_size=15) | _json_values())
            action: Any = {"type": "Action.Execute", "verb": data["verb"], "data": data}
            if draw(st.booleans()):
                action = draw(_json_values())
            activity.update(
                type="invoke",
                name=draw(st.sampled_from(INVOKE_NAMES) | st.text(max_size=20)),
                value={"action": action, "trigger": "manual"},
            )
        elif kind == "submit":
            activity.update(
                type="message",
                text=draw(st.sampled_from(["", " "]) | st.none()),
                value={"verb": draw(st.sampled_from(VERBS) | st.text(max_size=10)), "plan": draw(_json_values())},
            )
        elif kind == "nested":
            holder = draw(st.sampled_from(["from", "conversation", "recipient", "channelData"]))
            inner = activity.get(holder) if isinstance(activity.get(holder), dict) else {}
            key = draw(st.sampled_from(["id", "name", "aadObjectId", "conversationType", "tenantId", "tenant", "isGroup", "role"]))
            inner[key] = draw(_json_values())
            activity[holder] = inner
        else:
            activity["text"] = draw(_tricky_text())
    return activity


RAW_BODIES = [
    (b"", "application/json"),
    (b"{", "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b'"just a string"', "application/json"),
    (b"null", "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b'{"type": "message"}', "text/plain"),
    (b'{"type": "message"}', "application/x-www-form-urlencoded"),
    (b'{"type": "message"}', ""),
    (b"<xml/>", "application/xml"),
    (b'{"type": "message", "text": "' + b"a" * (300 * 1024) + b'"}', "application/json"),
    (b'{"type": ' * 5000, "application/json"),
]


def _assert_clean(status: int, body: bytes, what: str) -> None:
    assert 200 <= status < 500, f"{what}: status {status}, body {body[:300]!r}"
    shown = body.decode("utf-8", "replace")
    assert not any(marker in shown for marker in TRACE_MARKERS), f"{what}: stack trace in body {shown[:300]!r}"


async def _post_raw(server: Server, data: bytes, content_type: str) -> tuple[int, bytes]:
    headers = {"Content-Type": content_type} if content_type else {}
    async with server.http.post(server.url + "/api/messages", data=data, headers=headers) as resp:
        return resp.status, await resp.read()


async def _integrity(db: Database) -> dict[str, Any]:
    """What must survive any request: the roster, and a database that checks out."""
    async with db.sessions() as s:
        emails = sorted(await s.scalars(select(Person.email)))
        memberships = await s.scalar(select(func.count()).select_from(Membership))
        orphans = await s.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.person_id.is_not(None), Conversation.person_id.not_in(select(Person.id)))
        )
        if db.is_sqlite:  # PostgreSQL keeps its own pages; SQLite can say whether its file is sound
            assert (await s.execute(text("PRAGMA integrity_check"))).scalar() == "ok"
            assert (await s.execute(text("PRAGMA foreign_key_check"))).all() == []
    return {"emails": emails, "memberships": memberships, "orphans": orphans}


def test_malformed_activities_never_get_a_5xx_or_a_stack_trace(settings: Settings) -> None:
    bases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(require_shared(ACTIVITIES).glob("*.json"))]
    # the recorded personal message is from Anna, a rostered talent, so card verbs reach the services
    for base in bases:
        if isinstance(base.get("from"), dict) and base.get("type") in ("message", "invoke"):
            base["from"]["aadObjectId"] = ANNA_AAD
    loop = asyncio.new_event_loop()
    run = loop.run_until_complete
    connector = FakeConnector()
    run(connector.start())
    server = run(start_server(replace(settings, max_body_bytes=256 * 1024)))
    db = server.app[DATABASE]
    try:
        run(seed(db, load_programme(REPO_ROOT / "content")))

        async def link_anna() -> None:
            async with db.sessions() as s, s.begin():
                anna = await s.scalar(select(Person).where(Person.email == ANNA))
                anna.aad_object_id = ANNA_AAD

        run(link_anna())
        before = run(_integrity(db))
        seen: dict[int, int] = {}

        for data, content_type in RAW_BODIES:
            status, body = run(_post_raw(server, data, content_type))
            _assert_clean(status, body, f"raw body {data[:40]!r} as {content_type!r}")
            assert status >= 400, f"raw body {data[:40]!r} was accepted"

        @given(activity=activities(bases, connector.url))
        @hsettings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(activity: dict[str, Any]) -> None:
            status, body = run(_post_raw(server, json.dumps(activity).encode("utf-8"), "application/json"))
            seen[status] = seen.get(status, 0) + 1
            _assert_clean(status, body, f"activity {json.dumps(activity)[:500]}")

        fuzz()

        status, health = run(server.get("/healthz"))
        assert status == 200 and health["database"] == "ok"
        after = run(_integrity(db))
        assert after == before
        assert after["orphans"] == 0
        # and it still works: a plain message from Anna is answered
        hello = copy.deepcopy(next(b for b in bases if b.get("text") == "Hey"))
        hello.update(serviceUrl=connector.url, text="hjælp")
        sent = len(connector.sent)
        status, body = run(_post_raw(server, json.dumps(hello).encode(), "application/json"))
        assert status in (200, 201) and len(connector.sent) == sent + 1
        assert any(s >= 400 for s in seen) and any(s < 300 for s in seen), f"fuzz hit only one class: {seen}"
    finally:
        run(server.close())
        run(connector.stop())
        loop.close()


# (tags in a message are Teams' HTML and the command parser drops them, so <at> rides in the name)
HOSTILE_TEXT = 'Husk "}]} **fed** {{ 1 }} \\ {% raw %}\nny linje æøå'
HOSTILE_NAME = 'Lars "}], {"type": "x"} <at>Lars</at>'


async def test_user_text_in_a_broadcast_reaches_others_as_valid_cards_verbatim(
    db: Database, programme: Any, server: Server, connector: FakeConnector
) -> None:
    import jsonschema

    from bot.storage.models import OutboxMessage
    from tests.support import SCHEMAS, message_from

    schema = json.loads(require_shared(SCHEMAS / "adaptive-card-1.5.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    await seed(db, programme)
    async with db.sessions() as s, s.begin():
        people = list(await s.scalars(select(Person)))
        for person in people:
            if person.email == "lars.admin@lead.example":
                person.name = HOSTILE_NAME  # the admin's own name is user text too
            else:
                s.add(personal_chat(person.id, connector.url))

    response = await server.post(message_from("lars.admin@lead.example", f"udsend all {HOSTILE_TEXT}", connector, 7))

    assert response.status in (200, 201)
    assert "Besked sendt" in json.dumps(connector.sent[-1].body, ensure_ascii=False)
    async with db.sessions() as s:
        rows = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id.is_not(None))))
    assert len(rows) >= len(people) - 1  # everyone with a chat (Lars too, once he wrote)
    for row in rows:
        payload = json.loads(json.dumps(row.payload))  # what goes on the wire
        card = payload["attachments"][0]["content"]
        errors = [e.message[:200] for e in validator.iter_errors(card)]
        assert not errors, errors
        shown = card_strings(card)
        assert HOSTILE_TEXT in shown, "the text must arrive exactly as written, in one TextBlock"
        assert any(plain(HOSTILE_NAME) in s for s in shown)  # markdown-escaped: Teams shows it as written
        # a written <at> is text, not a mention: no mention entities ride along
        assert "entities" not in payload and "msteams" not in card
