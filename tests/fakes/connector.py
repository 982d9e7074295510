"""A loopback Bot Connector: records what the bot sends, answers like the real REST API."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    """One call the bot made to the connector."""

    method: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None


@dataclass
class FakeConnector:
    """Bot Connector v3 on 127.0.0.1: conversations/activities and member lookup."""

    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> TeamsChannelAccount JSON
    sent: list[Sent] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def know(self, account: dict[str, Any], email: str) -> None:
        """Answer Teams' member lookup for `account` (an activity's `from`) with `email` as mail and UPN."""
        self.members[account["id"]] = {
            "id": account["id"],
            "name": account.get("name"),
            "aadObjectId": account.get("aadObjectId"),
            "email": email,
            "userPrincipalName": email,
        }

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._put)
        app.router.add_get("/v3/conversations/{cid}/members/{uid}", self._member)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _record(self, request: web.Request, body: dict[str, Any]) -> None:
        self.sent.append(
            Sent(
                request.method,
                request.match_info["cid"],
                request.match_info.get("aid"),
                body,
                request.headers.get("Authorization"),
            )
        )
        self._arrived.set()

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        self._record(request, body)
        return web.json_response({"id": f"msg-{next(self._ids)}"}, status=201)

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        self._record(request, body)
        return web.json_response({"id": request.match_info["aid"]}, status=200)

    async def _member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["uid"])
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation", "message": "not found"}}, status=404)
        return web.json_response(member)

    def cards(self) -> list[dict[str, Any]]:
        """Every Adaptive Card sent, in order."""
        out = []
        for item in self.sent:
            for att in item.body.get("attachments") or []:
                if att.get("contentType") == "application/vnd.microsoft.card.adaptive":
                    out.append(att["content"])
        return out

    def texts(self) -> list[str]:
        """All text of everything sent (card texts and plain text), one string per message."""
        out = []
        for item in self.sent:
            parts = [item.body.get("text") or ""]
            for att in item.body.get("attachments") or []:
                parts.append(card_text(att.get("content") or {}))
            out.append("\n".join(p for p in parts if p))
        return out

    def clear(self) -> None:
        self.sent.clear()


def card_text(node: Any) -> str:
    """The visible text of a card: TextBlocks, facts and action titles."""
    found: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            for key in ("text", "title", "value") if n.get("type") != "Input.Text" else ("label",):
                if isinstance(n.get(key), str):
                    found.append(n[key])
            for v in n.values():
                if isinstance(v, (dict, list)):
                    walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return "\n".join(found)
