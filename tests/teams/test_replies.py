"""Replies within a turn: addressed as botbuilder addresses them, retried as Teams asks, never silently lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity

from bot.delivery.connector import ConnectorClient, NoToken
from bot.teams.replies import DirectReplies, ReplyFailed, reply_body
from tests.fakes.connector import FakeConnector
from tests.support import Server, personal_message, teams_activity

CARD = {"contentType": "application/vnd.microsoft.card.adaptive", "content": {"type": "AdaptiveCard", "version": "1.5"}}


class ScriptedConnector:
    """A loopback connector answering replies with scripted statuses, then 201."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str]]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.url = ""

    async def _reply(self, request: web.Request) -> web.Response:
        self.calls.append((request.path, await request.json()))
        if self.script:
            status, headers = self.script.pop(0)
            return web.json_response({"error": {"code": "Scripted"}}, status=status, headers=headers)
        return web.json_response({"id": f"reply-{len(self.calls)}"}, status=201)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._reply)
        return app


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedConnector]:
    fake = ScriptedConnector()
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"  # type: ignore[union-attr]
    yield fake
    await runner.cleanup()


@pytest.fixture
async def replies() -> AsyncIterator[DirectReplies]:
    client = ConnectorClient(NoToken(), timeout=5)
    yield DirectReplies(client)
    await client.close()


def turn(service_url: str) -> TurnContext:
    activity = Activity().deserialize(teams_activity("message-personal-chat-recorded", serviceUrl=service_url))
    return TurnContext(TestAdapter(), activity)


async def test_reply_is_addressed_like_botbuilders_and_marks_the_turn_responded(
    scripted: ScriptedConnector, replies: DirectReplies
) -> None:
    ctx = turn(scripted.url)
    incoming = ctx.activity
    assert await replies.send(ctx, CARD) == "reply-1"
    assert ctx.responded
    path, body = scripted.calls[0]
    assert path.endswith(f"/activities/{incoming.id}")
    assert body["replyToId"] == incoming.id
    assert body["recipient"]["id"] == incoming.from_property.id and body["from"]["id"] == incoming.recipient.id
    assert body["conversation"]["id"] == incoming.conversation.id
    assert body["conversation"].get("tenantId") == incoming.conversation.tenant_id
    assert body["attachments"] == [CARD]
    assert "locale" not in body or body["locale"] is not None


def test_reply_body_leaves_out_unknown_fields_instead_of_sending_nulls() -> None:
    # The Agents Playground answers 400 "Invalid input" to a null locale (msrest drops None fields).
    activity = Activity().deserialize(teams_activity("message-personal-chat-recorded"))
    activity.locale = None
    activity.from_property.name = None
    body = reply_body(activity, CARD)

    def nulls(node: Any, path: str = "") -> list[str]:
        if isinstance(node, dict):
            return [p for k, v in node.items() for p in nulls(v, f"{path}.{k}")]
        return [path] if node is None else []

    assert nulls(body) == [] and "locale" not in body and "name" not in body["recipient"]


async def test_429_and_5xx_are_retried_and_the_reply_goes_out_once(scripted: ScriptedConnector, replies: DirectReplies) -> None:
    scripted.script = [(429, {"Retry-After": "0"}), (503, {})]
    ctx = turn(scripted.url)
    assert await replies.send(ctx, CARD) == "reply-3"
    assert len(scripted.calls) == 3 and ctx.responded


async def test_a_4xx_is_not_retried_and_fails_loudly(scripted: ScriptedConnector, replies: DirectReplies) -> None:
    scripted.script = [(403, {})]
    ctx = turn(scripted.url)
    with pytest.raises(ReplyFailed, match="403"):
        await replies.send(ctx, CARD)
    assert len(scripted.calls) == 1 and not ctx.responded


async def test_persistent_5xx_gives_up_after_the_allowed_attempts(scripted: ScriptedConnector, replies: DirectReplies) -> None:
    scripted.script = [(502, {})] * 5
    with pytest.raises(ReplyFailed, match="502"):
        await replies.send(turn(scripted.url), CARD)
    assert len(scripted.calls) == 3


async def test_the_server_replies_directly_to_the_incoming_message(seeded: Any, server: Server, connector: FakeConnector) -> None:
    activity = personal_message("næste", connector)
    connector.know(activity["from"], "anna.talent@aalborg.example")
    response = await server.post(activity)
    assert response.status in (200, 201)
    reply = connector.sent[-1]
    assert reply.method == "POST" and reply.activity_id == activity["id"]
    assert reply.body["replyToId"] == activity["id"] and reply.body["recipient"]["id"] == activity["from"]["id"]
    assert "Kick-off" in connector.texts()[-1]
