"""Microsoft Graph over HTTP: a client that rides out throttling (its app-only token: tokens.py)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import aiohttp
from yarl import URL

from bot.config import is_loopback
from bot.delivery.retry import backoff, parse_retry_after

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
RETRY_STATUSES = {0, 500, 502, 503, 504}  # 0 = timeout or connection failure
MAX_RETRY_AFTER = 600.0  # a Retry-After beyond this is a broken header, not advice to sleep for hours
# Characters an OData query value may keep literally; everything else (space above all) is %-encoded,
# because Graph reads a '+' in $filter as a plus sign, not as the space yarl would make it.
_ODATA_SAFE = "'/(),:@$"

Sleep = Callable[[float], Awaitable[None]]


def graph_scope(base_url: str) -> str:
    """The app-only scope for the Graph at base_url: its own host in a national cloud, else the global one."""
    host = (urlsplit(base_url).hostname or "").lower()
    if not host or is_loopback(host) or host == "graph.microsoft.com":
        return GRAPH_SCOPE
    return f"https://{host}/.default"


def segment(value: str) -> str:
    """One path segment, %-encoded (a B2B UPN has '#', an installation id may have '/' or '+')."""
    return quote(value, safe="@=")


def odata_string(value: str) -> str:
    """A string literal for $filter: single quotes doubled, as OData wants."""
    return "'" + value.replace("'", "''") + "'"


def _kind(path: str) -> str:
    """The first segment of a Graph path (users, appCatalogs)."""
    return path.lstrip("/").split("/", 1)[0].split("?", 1)[0]


class TokenSource(Protocol):
    """Anything that gives the Authorization header for Graph (an EntraToken, or a stub)."""

    async def header(self) -> str: ...


@dataclass(frozen=True)
class GraphResponse:
    """Graph's last answer to one request, after any retries."""

    status: int  # HTTP status, or 0 for a timeout / connection failure
    body: Any
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_code(self) -> str:
        """Graph's error code from {"error": {"code": …}}, or ''."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return str(error.get("code") or "") if isinstance(error, dict) else ""

    @property
    def error_message(self) -> str:
        """Graph's error message, or ''."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return str(error.get("message") or "") if isinstance(error, dict) else ""

    def values(self) -> list[dict[str, Any]]:
        """The OData collection in `value` (empty when there is none)."""
        items = self.body.get("value") if isinstance(self.body, dict) else None
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


class GraphClient:
    """Calls Graph through one pooled session; 429 waits for Retry-After, 5xx and timeouts back off with jitter."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        *,
        max_attempts: int = 6,
        timeout: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        base_delay: float = 1.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._max_attempts = max(1, max_attempts)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep = sleep
        self._rand = rand
        self._base_delay = base_delay
        self._session: aiohttp.ClientSession | None = None

    def url(self, path: str, query: Mapping[str, str] | None = None) -> str:
        """The full URL for a path under the base URL, query values encoded for OData."""
        url = self.base_url + path
        if query:
            url += "?" + "&".join(f"{name}={quote(value, safe=_ODATA_SAFE)}" for name, value in query.items())
        return url

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def get(self, path: str, query: Mapping[str, str] | None = None) -> GraphResponse:
        """GET a path (with OData query options)."""
        return await self.request("GET", path, query=query)

    async def post(self, path: str, body: dict[str, Any]) -> GraphResponse:
        """POST a JSON body to a path."""
        return await self.request("POST", path, body=body)

    async def request(
        self, method: str, path: str, *, query: Mapping[str, str] | None = None, body: dict[str, Any] | None = None
    ) -> GraphResponse:
        """One Graph call with retries; TokenError when no token can be had."""
        url = URL(self.url(path, query), encoded=True)  # encoded=True: keep our %20s, yarl would write '+'
        status, payload = 0, None
        for attempt in range(1, self._max_attempts + 1):
            headers = {"Authorization": await self._tokens.header(), "Accept": "application/json"}
            status, payload, retry_after = await self._once(method, url, headers, body)
            if status != 429 and status not in RETRY_STATUSES:
                return GraphResponse(status, payload, attempt)
            if attempt == self._max_attempts:
                break
            if retry_after is not None:
                delay = retry_after  # already bounded by MAX_RETRY_AFTER when parsed
            else:
                delay = backoff(attempt, base=self._base_delay, cap=60.0, rand=self._rand)
            # Only the resource kind is logged: the rest of the path can be someone's email address.
            log.info("graph %s /%s… answered %s; retry %d in %.1fs", method, _kind(path), status or "timeout", attempt, delay)
            await self._sleep(delay)
        log.warning("graph %s /%s… still failing after %d attempts (%s)", method, _kind(path), self._max_attempts, status or "timeout")
        return GraphResponse(status, payload, self._max_attempts)

    async def _once(self, method: str, url: URL, headers: dict[str, str], body: dict[str, Any] | None) -> tuple[int, Any, float | None]:
        try:
            async with self._http().request(method, url, json=body, headers=headers) as resp:
                text = await resp.text()
                try:
                    payload = await resp.json(content_type=None) if text else None
                except ValueError:
                    payload = {"error": {"code": "NotJson", "message": text[:200]}}
                return resp.status, payload, parse_retry_after(resp.headers.get("Retry-After"), cap=MAX_RETRY_AFTER)
        except TimeoutError:
            return 0, {"error": {"code": "Timeout", "message": "no answer in time"}}, None
        except aiohttp.ClientError as exc:
            return 0, {"error": {"code": type(exc).__name__, "message": str(exc)[:200]}}, None

    async def close(self) -> None:
        """Close the pooled session."""
        if self._session is not None:
            await self._session.close()
