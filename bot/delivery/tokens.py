"""App-only tokens from Entra ID (msal client credentials), kept until shortly before they expire and renewed ahead."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from bot.config import Secret, is_loopback

log = logging.getLogger(__name__)

# How long before a token expires it is renewed; for a token that lives less than an hour or so,
# a share of its life instead (so a short-lived one is not renewed on every call).
# - ready() renews it in the background while the old one still serves, RENEW_AHEAD (or half its
#   life) before expiry. That is below msal's own margin (msal serves its cached token until five
#   minutes before expiry), so the renewal reaches Entra ID instead of msal's cache.
# - ready() waits for a new one READY_LEFT (or a quarter of its life) before expiry: the caller's
#   request is still to come, after its waits for Teams' limits.
# - header() waits for a new one only MIN_LEFT (or an eighth) before expiry. The distance to
#   READY_LEFT is more than a send waits between ready() and its request (half a lease at most),
#   so a send that asked ready() first never waits for a token after it took its slot.
RENEW_AHEAD = 240.0
READY_LEFT = 120.0
MIN_LEFT = 30.0


class TokenError(Exception):
    """Entra ID refused to give a token, or could not be reached."""


class TokenProvider(Protocol):
    """Gives the Authorization header value for outbound calls (None: no token, in local mode)."""

    async def ready(self) -> None:
        """Make sure header() will answer without waiting (fetch or renew ahead as needed)."""
        ...

    async def header(self) -> str | None: ...


class NoToken:
    """Local mode: the Playground's connector wants no token."""

    async def ready(self) -> None:
        return None

    async def header(self) -> str | None:
        return None


class EntraToken:
    """A client-credentials token for one scope in one tenant, cached, and renewed ahead of its expiry."""

    def __init__(
        self,
        *,
        app_id: str,
        secret: Secret,
        authority: str,
        tenant: str,
        scope: str,
        verify: bool | str = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app_id = app_id
        self._secret = secret
        self._authority = f"{authority.rstrip('/')}/{tenant}"
        self._scope = scope
        self._verify = verify
        self._clock = clock
        self._app: Any = None  # msal.ConfidentialClientApplication (untyped), built on first use: it contacts the authority
        self._token: str | None = None
        self._expires = 0.0
        self._lifetime = 0.0
        self._fetched = 0  # tokens fetched so far: callers that waited together share one fetch
        self._lock = asyncio.Lock()
        self._renewal: asyncio.Task[str] | None = None

    def _left(self) -> float:
        return self._expires - self._clock() if self._token else 0.0

    def _margins(self) -> tuple[float, float, float]:
        """Seconds before expiry to renew ahead, for ready() to wait, and for header() to wait."""
        life = self._lifetime
        return min(RENEW_AHEAD, life / 2), min(READY_LEFT, life / 4), min(MIN_LEFT, life / 8)

    async def ready(self) -> None:
        """Fetch a token if the current one may not last until the request; renew one that expires soon, without waiting."""
        left = self._left()
        renew_ahead, ready_left, _ = self._margins()
        if left > renew_ahead:
            return
        if left > ready_left:
            if self._renewal is None or self._renewal.done():
                self._renewal = asyncio.create_task(self._renew(self._fetched))
                self._renewal.add_done_callback(_log_failure)
            return
        await self._renew(self._fetched)

    async def header(self) -> str:
        """The Authorization header value; TokenError when Entra ID says no."""
        token = self._token if self._left() > self._margins()[2] else None
        return f"Bearer {token or await self._renew(self._fetched)}"

    async def _renew(self, seen: int) -> str:
        """A new token: the one fetched since the caller saw `seen` tokens, or one fetched now."""
        async with self._lock:
            if self._token is not None and self._fetched > seen:
                return self._token
            asked = self._clock()
            try:
                result = await asyncio.to_thread(self._acquire)
            except Exception as exc:  # msal raises ValueError for a bad authority, requests errors for no network
                raise TokenError(f"{type(exc).__name__}: {str(exc)[:300]}") from None
            if "access_token" not in result:
                # The first line of Entra's description names the problem (e.g. AADSTS7000215 wrong secret), never the secret.
                description = str(result.get("error_description") or "").splitlines()[0:1]
                raise TokenError(": ".join([str(result.get("error")), *description]))
            self._token = str(result["access_token"])
            # counted from when it was asked for: the token's life began before the answer arrived
            self._lifetime = float(result.get("expires_in", 3600))
            self._expires = asked + self._lifetime
            self._fetched += 1
            return self._token

    def _acquire(self) -> dict[str, Any]:
        import msal  # imported here: nothing else in a local-mode bot needs it

        if self._app is None:
            host = urlsplit(self._authority).hostname or ""
            extra: dict[str, Any] = {}
            if self._verify is not True:
                import requests

                # requests lets REQUESTS_CA_BUNDLE override a session's own `verify` (msal's `verify=`
                # sets exactly that), so a custom CA bundle has to be given on every request instead.
                session = requests.Session()
                session.request = functools.partial(session.request, verify=self._verify)  # type: ignore[method-assign]  # on purpose: see above
                extra["http_client"] = session
            self._app = msal.ConfidentialClientApplication(
                self._app_id,
                authority=self._authority,
                client_credential=self._secret.reveal(),
                **extra,
                # msal checks an authority it does not know against login.microsoftonline.com. A loopback
                # authority (the tests' fake) cannot be known there; a real authority is never loopback,
                # so production keeps msal's validation exactly as it is.
                instance_discovery=False if is_loopback(host) else None,
            )
        return self._app.acquire_token_for_client(scopes=[self._scope])


def _log_failure(task: asyncio.Task[str]) -> None:
    """A renewal ahead of time failed: the old token still serves; the next ready() tries again."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("renewing the token ahead of expiry failed (%s); the current one still serves", exc)
