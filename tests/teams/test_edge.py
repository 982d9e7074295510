"""The real app on loopback, driven with real Teams payloads, replying through a fake connector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from bot.storage.db import Database
from bot.storage.models import Conversation, Person
from tests.fakes.connector import FakeConnector
from tests.support import ANNA, Server, personal_message, start_server, teams_activity


async def test_message_from_rostered_talent_links_them_and_answers_next(seeded: Database, server: Server, connector: FakeConnector) -> None:
    activity = personal_message("næste", connector)
    connector.know(activity["from"], "Anna.Talent@aalborg.example")

    response = await server.post(activity)

    assert response.status in (200, 201)
    text = connector.texts()[-1]
    assert "Kick-off" in text
    assert "tirsdag 12. januar 2027" in text
    assert "Om 8 dage." in text
    async with seeded.sessions() as s:
        anna = await s.scalar(select(Person).where(Person.email == ANNA))
        assert anna.aad_object_id == activity["from"]["aadObjectId"]
        conv = await s.scalar(select(Conversation).where(Conversation.person_id == anna.id))
        assert conv.conversation_id == activity["conversation"]["id"]
        assert conv.reference["serviceUrl"] == connector.url
        assert conv.reference["user"]["id"] == activity["from"]["id"]


async def test_second_message_is_recognised_by_aad_id_without_member_lookup(
    seeded: Database, server: Server, connector: FakeConnector
) -> None:
    activity = personal_message("hjælp", connector)
    connector.know(activity["from"], ANNA)
    await server.post(activity)
    connector.members.clear()  # a second lookup would now fail
    await server.post(personal_message("hvad skal jeg nu?", connector))

    texts = connector.texts()
    assert "Det kan jeg hjælpe med" in texts[0]
    assert "Kick-off" in texts[1]


async def test_everyday_turn_costs_two_statements_and_a_new_chat_is_still_stored(
    seeded: Database, server: Server, connector: FakeConnector
) -> None:
    first = personal_message("hjælp", connector)
    connector.know(first["from"], ANNA)
    await server.post(first)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        await server.post(personal_message("næste", connector))
        everyday = list(statements)
        statements.clear()
        # the same person in a chat the bot has not stored (e.g. after reinstalling the app)
        again = personal_message("næste", connector)
        again["conversation"] = {**again["conversation"], "id": "a:reinstalled-chat"}
        await server.post(again)
    finally:
        event.remove(Engine, "before_cursor_execute", record)

    assert len(everyday) == 2, everyday  # the sender with the chat check, then what they asked
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in everyday)
    assert any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in statements)
    assert "Kick-off" in connector.texts()[-1]
    async with seeded.sessions() as s:
        anna = await s.scalar(select(Person).where(Person.email == ANNA))
        chats = (await s.scalars(select(Conversation.conversation_id).where(Conversation.person_id == anna.id))).all()
    assert "a:reinstalled-chat" in chats


async def test_help_lists_the_commands(seeded: Database, server: Server, connector: FakeConnector) -> None:
    activity = personal_message("Hjælp", connector)
    connector.know(activity["from"], ANNA)
    await server.post(activity)
    text = connector.texts()[-1]
    for command in ("næste", "materialer", "spørg", "hjælp"):
        assert command in text


async def test_unknown_text_gets_a_helpful_answer(seeded: Database, server: Server, connector: FakeConnector) -> None:
    activity = personal_message('blå bananer {{ "', connector)
    connector.know(activity["from"], ANNA)
    response = await server.post(activity)
    assert response.status in (200, 201)
    text = connector.texts()[-1]
    assert "forstod jeg ikke" in text
    assert 'blå bananer {{ "' in text


async def test_stranger_gets_polite_card_and_nothing_is_stored(seeded: Database, server: Server, connector: FakeConnector) -> None:
    activity = personal_message("næste", connector)
    connector.know(activity["from"], "stranger@elsewhere.example")
    await server.post(activity)
    assert "kan ikke finde dig på deltagerlisten" in connector.texts()[-1]
    async with seeded.sessions() as s:
        assert (await s.scalars(select(Conversation))).all() == []
        assert await s.scalar(select(Person).where(Person.email == "stranger@elsewhere.example")) is None


async def test_personal_install_welcomes_with_name_role_and_next_activity(
    seeded: Database, server: Server, connector: FakeConnector
) -> None:
    activity = teams_activity("conversationUpdate-membersAdded-personal-install", serviceUrl=connector.url)
    activity["conversation"]["id"] = "a:install-chat-1"
    activity["from"]["aadObjectId"] = "aad-bo-1"
    connector.know(activity["from"], "bo.talent@rn.example")
    # botbuilder looks up every added member; the doc payload spells the user id differently there.
    for member in activity["membersAdded"]:
        connector.know({**activity["from"], "id": member["id"]}, "bo.talent@rn.example")

    response = await server.post(activity)

    assert response.status in (200, 201)
    assert len(connector.sent) == 1, "one welcome, not one per member added"
    text = connector.texts()[0]
    assert "Velkommen til Talent Nord 2.0, Bo!" in text
    assert "Talent på Talent Nord 2.0 – hold 2027 (leder af medarbejdere)" in text
    assert "Kick-off" in text
    async with seeded.sessions() as s:
        conv = await s.scalar(select(Conversation).where(Conversation.conversation_id == "a:install-chat-1"))
        assert conv is not None and conv.kind == "personal"


async def test_team_install_stores_the_channel_and_says_nothing(seeded: Database, server: Server, connector: FakeConnector) -> None:
    activity = teams_activity("conversationUpdate-membersAdded-team-install", serviceUrl=connector.url)
    response = await server.post(activity)
    assert response.status in (200, 201)
    assert connector.sent == []
    async with seeded.sessions() as s:
        conv = await s.scalar(select(Conversation).where(Conversation.conversation_id == activity["conversation"]["id"]))
        assert conv is not None and conv.kind == "channel" and conv.person_id is None


async def test_channel_thread_reply_is_accepted_quietly(seeded: Database, server: Server, connector: FakeConnector) -> None:
    activity = teams_activity("message-channel-thread-reply-mention", serviceUrl=connector.url)
    response = await server.post(activity)
    assert response.status in (200, 201)
    assert connector.sent == []


async def test_reaction_and_card_submit_in_channel_do_not_fail(seeded: Database, server: Server, connector: FakeConnector) -> None:
    for name in ("messageReaction-channel-recorded", "messageReaction-reactionsAdded", "message-action-submit-value-channel"):
        response = await server.post(teams_activity(name, serviceUrl=connector.url))
        assert response.status in (200, 201), name


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"type": 5}', "application/json", 400),
        (b'{"text": "no type"}', "application/json", 400),
        (b'{"type": "message"}', "application/json", 400),
        (b"type=message", "application/x-www-form-urlencoded", 415),
        (b"{" + b" " * (300 * 1024) + b"}", "application/json", 413),
    ],
)
async def test_malformed_requests_get_4xx_not_5xx(server: Server, body: bytes, content_type: str, status: int) -> None:
    response = await server.post(body, headers={"Content-Type": content_type})
    assert response.status == status


async def test_healthz_reports_database(server: Server, settings: Any) -> None:
    status, body = await server.get("/healthz")
    assert status == 200 and body["status"] == "ok" and body["database"] == "ok"


async def test_healthz_is_503_when_database_is_gone(tmp_path: Path, settings: Any) -> None:
    from dataclasses import replace

    from app import DATABASE

    srv = await start_server(replace(settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'gone.db'}"))
    try:
        await srv.app[DATABASE].engine.dispose()
        from sqlalchemy.ext.asyncio import create_async_engine

        srv.app[DATABASE].engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
        status, body = await srv.get("/healthz")
        assert status == 503 and body["database"] == "down"
    finally:
        await srv.close()


async def test_healthz_is_503_when_the_database_refuses_writes(tmp_path: Path, settings: Any) -> None:
    from dataclasses import replace

    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.appkeys import DATABASE

    path = tmp_path / "ro.db"
    srv = await start_server(replace(settings, database_url=f"sqlite+aiosqlite:///{path}"))
    try:
        status, _ = await srv.get("/healthz")
        assert status == 200
        db = srv.app[DATABASE]
        await db.engine.dispose()
        # The same file opened read-only, as a read-only mount or a full disk leaves it: reads work, writes fail.
        db.engine = create_async_engine(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
        db.sessions.configure(bind=db.engine)
        assert await db.ping()
        status, body = await srv.get("/healthz")
        assert status == 503 and body["database"] == "read-only" and body["status"] == "unavailable"
    finally:
        await srv.close()


async def test_a_known_question_is_answered_with_its_source(seeded: Database, server: Server, connector: FakeConnector) -> None:
    activity = personal_message("Hvor mange buddy-møder skal jeg holde?", connector)
    connector.know(activity["from"], ANNA)
    await server.post(activity)
    text = connector.texts()[-1]
    assert "Fra:" in text and "forstod jeg ikke" not in text


async def test_an_out_of_scope_question_is_not_answered_with_false_confidence(
    seeded: Database, server: Server, connector: FakeConnector
) -> None:
    activity = personal_message("Hvordan søger jeg barsel?", connector)
    connector.know(activity["from"], ANNA)
    await server.post(activity)
    assert "Fra:" not in connector.texts()[-1]
