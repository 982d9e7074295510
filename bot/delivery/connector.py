"""The Bot Connector REST API for proactive sends: one pooled HTTP client, a cached token (tokens.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.config import Settings
from bot.delivery.retry import parse_retry_after
from bot.delivery.tokens import EntraToken, NoToken, TokenProvider

log = logging.getLogger(__name__)
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"


def token_provider(settings: Settings) -> TokenProvider:
    """NoToken in local mode, otherwise the bot's own token for the Bot Connector."""
    if settings.local_mode:
        return NoToken()
    return EntraToken(
        app_id=settings.app_id,
        secret=settings.app_password,
        authority=settings.login_authority,
        tenant=settings.app_tenant_id if settings.app_type == "SingleTenant" else "botframework.com",
        scope=BOT_FRAMEWORK_SCOPE,
    )


@dataclass(frozen=True)
class SendResult:
    """What the connector said to one send."""

    status: int  # HTTP status, or 0 for a timeout / connection failure
    activity_id: str | None = None
    retry_after: float | None = None
    error: str | None = None


class ConnectorClient:
    """POSTs and PUTs activities to conversations through one pooled aiohttp session."""

    def __init__(self, tokens: TokenProvider, *, concurrency: int = 32, timeout: float = 15.0) -> None:
        self._tokens = tokens
        self._concurrency = concurrency
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._concurrency, keepalive_timeout=60),
                timeout=self._timeout,
            )
        return self._session

    @staticmethod
    def _url(service_url: str, conversation_id: str, activity_id: str | None = None) -> str:
        url = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        return f"{url}/{quote(activity_id, safe='')}" if activity_id else url

    async def ready(self) -> None:
        """Have a token the next request can use at once (the sender asks before it takes a slot)."""
        try:
            await self._tokens.ready()
        except Exception:  # the request itself asks again and reports the failure as its outcome
            log.debug("no token before pacing", exc_info=True)

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> SendResult:
        """Post a new message into a conversation."""
        return await self._call("POST", self._url(service_url, conversation_id), activity)

    async def reply(self, service_url: str, conversation_id: str, reply_to_id: str, activity: dict[str, Any]) -> SendResult:
        """Answer a message within a turn (threads the answer under it where the channel threads)."""
        return await self._call("POST", self._url(service_url, conversation_id, reply_to_id), activity)

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]) -> SendResult:
        """Replace a message the bot sent earlier (a card updated in place)."""
        body = {**activity, "id": activity_id}
        return await self._call("PUT", self._url(service_url, conversation_id, activity_id), body)

    async def _call(self, method: str, url: str, body: dict[str, Any]) -> SendResult:
        headers = {"Content-Type": "application/json"}
        try:
            auth = await self._tokens.header()
        except Exception as exc:
            return SendResult(0, error=f"token: {exc}")
        if auth:
            headers["Authorization"] = auth
        try:
            async with self._http().request(method, url, json=body, headers=headers) as resp:
                text = await resp.text()
                if 200 <= resp.status < 300:
                    activity_id = None
                    if text:
                        try:
                            answer: Any = await resp.json(content_type=None)
                        except ValueError:
                            answer = None
                        # a 2xx is a delivery whatever its body; an odd one must not raise
                        if isinstance(answer, dict) and isinstance(answer.get("id"), str):
                            activity_id = answer["id"]
                    return SendResult(resp.status, activity_id=activity_id)
                return SendResult(
                    resp.status,
                    retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                    error=text[:300],
                )
        except TimeoutError:
            return SendResult(0, error="timeout")
        except aiohttp.ClientError as exc:
            return SendResult(0, error=f"{type(exc).__name__}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
