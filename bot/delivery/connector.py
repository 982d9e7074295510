"""The Bot Connector REST API for proactive sends: one pooled HTTP client, a cached token."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from bot.config import Settings
from bot.delivery.retry import parse_retry_after

log = logging.getLogger(__name__)
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"


class TokenProvider(Protocol):
    """Gives the Authorization header value for outbound calls, or None in local mode."""

    async def header(self) -> str | None: ...


class NoToken:
    """Local mode: the Playground's connector wants no token."""

    async def header(self) -> str | None:
        return None


class MsalToken:
    """Client-credentials token from Entra ID via msal, cached until shortly before it expires."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._app: Any = (
            None  # msal.ConfidentialClientApplication (msal has no types), built on first use: msal contacts the authority when created
        )
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def header(self) -> str | None:
        async with self._lock:
            if self._token is None or time.monotonic() > self._expires - 300:
                result = await asyncio.to_thread(self._acquire)
                if "access_token" not in result:
                    # msal's error text names the problem without the secret
                    raise RuntimeError(f"token request failed: {result.get('error')}")
                self._token = result["access_token"]
                self._expires = time.monotonic() + float(result.get("expires_in", 3600))
            return f"Bearer {self._token}"

    def _acquire(self) -> dict:
        import msal  # imported here: local mode never needs it

        if self._app is None:
            s = self._settings
            tenant = s.app_tenant_id if s.app_type == "SingleTenant" else "botframework.com"
            self._app = msal.ConfidentialClientApplication(
                s.app_id,
                authority=f"{s.login_authority.rstrip('/')}/{tenant}",
                client_credential=s.app_password.reveal(),
            )
        return self._app.acquire_token_for_client(scopes=[BOT_FRAMEWORK_SCOPE])


def token_provider(settings: Settings) -> TokenProvider:
    """NoToken in local mode, msal otherwise."""
    return NoToken() if settings.local_mode else MsalToken(settings)


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
