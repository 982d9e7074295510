"""Teams SSO: the check of the Entra ID access token a tab gets from TeamsJS authentication.getAuthToken()."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

log = logging.getLogger(__name__)

# The scope the tab asks Entra for (Expose an API → access_as_user); an app-only token has none.
SSO_SCOPE = "access_as_user"
V1_ISSUER = "https://sts.windows.net/{tid}/"
GUID_RE = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")
# A JWT larger than this is no Entra access token; refusing it early bounds the parsing work.
MAX_TOKEN_CHARS = 16 * 1024
MAX_DOCUMENT_BYTES = 512 * 1024


class SsoRejected(Exception):
    """The token is not accepted; `reason` is a short category for logs (never the token or a claim)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SsoUser:
    """Who a valid token speaks for."""

    oid: str
    tid: str
    email: str | None
    name: str


class SigningKeys:
    """One OpenID metadata document's signing keys, cached; an unknown kid refetches them (at most once per cooldown)."""

    def __init__(
        self,
        metadata_url: str,
        http: Callable[[], aiohttp.ClientSession],
        *,
        max_age: float = 24 * 3600.0,
        refresh_cooldown: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metadata_url = metadata_url
        self._http = http
        self.max_age = max_age
        self.refresh_cooldown = refresh_cooldown
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The RSA key with this kid, or None when the issuer does not publish it."""
        if self._stale():
            await self._refresh(force=True)
        found = self._keys.get(kid)
        if found is None and self._may_refresh():
            # Keys roll over: a kid we have not seen may be new, so look once more (rate-limited,
            # or random kids would make every request a fetch).
            await self._refresh(force=False)
            found = self._keys.get(kid)
        return found

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self.max_age

    def _may_refresh(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self.refresh_cooldown

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            # Another request may have refreshed while this one waited for the lock.
            if self._fetched_at is not None and not (self._stale() if force else self._may_refresh()):
                return
            try:
                metadata = await self._get_json(self.metadata_url)
                jwks_uri = metadata.get("jwks_uri")
                if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                    raise SsoRejected("keys-unavailable")
                keys = _rsa_keys(await self._get_json(jwks_uri))
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                log.warning("tab SSO: signing keys could not be fetched (%s)", type(exc).__name__)
                raise SsoRejected("keys-unavailable") from None
            self._keys = keys
            self._fetched_at = self._clock()

    async def _get_json(self, url: str) -> dict[str, Any]:
        async with self._http().get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
            if resp.status != 200:
                raise ValueError(f"HTTP {resp.status}")
            body = await resp.content.read(MAX_DOCUMENT_BYTES + 1)
            if len(body) > MAX_DOCUMENT_BYTES:
                raise ValueError("document too large")
            document = json.loads(body)
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
            return document


def _rsa_keys(jwks: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """The usable RSA signing keys of a JWKS by kid; others (and broken entries) are left out."""
    out: dict[str, jwt.PyJWK] = {}
    for entry in jwks.get("keys") or []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str):
            continue
        try:
            out[kid] = jwt.PyJWK(entry, algorithm="RS256")
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
    return out


class EntraTokenValidator:
    """Checks a Teams SSO token: RS256 signature by the tenant's keys, issuer, audience, time, tenant, scope."""

    def __init__(
        self,
        *,
        app_id: str,
        app_id_uri: str,
        tenant_id: str | None,
        metadata_url: str,
        authority: str = "https://login.microsoftonline.com",
        leeway: float = 120.0,
    ) -> None:
        self.audiences = [a for a in (app_id_uri, app_id) if a]
        self.tenant_id = tenant_id.lower() if tenant_id else None  # SingleTenant: only this tenant
        self.authority = authority.rstrip("/")
        self.leeway = leeway
        self._session: aiohttp.ClientSession | None = None
        # Entra signs every tenant's tokens with the same keys, so a multi-tenant app reads them
        # from the "organizations" metadata: a token's tid never chooses what we fetch.
        self.keys = SigningKeys(metadata_url.replace("{tenant}", self.tenant_id or "organizations"), self._http)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Close the HTTP session used for the keys."""
        if self._session is not None:
            await self._session.close()

    async def validate(self, token: str) -> SsoUser:
        """The user the token speaks for; SsoRejected(reason) for anything not fully valid."""
        if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise SsoRejected("malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise SsoRejected("malformed") from None
        if header.get("alg") != "RS256":
            raise SsoRejected("algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise SsoRejected("malformed")
        key = await self.keys.key(kid)
        if key is None:
            raise SsoRejected("unknown-key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.audiences,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "tid", "oid"], "verify_iss": False},
            )
        except jwt.ExpiredSignatureError:
            raise SsoRejected("expired") from None
        except jwt.ImmatureSignatureError:
            raise SsoRejected("not-yet-valid") from None
        except jwt.InvalidAudienceError:
            raise SsoRejected("audience") from None
        except jwt.InvalidSignatureError:
            raise SsoRejected("signature") from None
        except jwt.MissingRequiredClaimError:
            raise SsoRejected("claims") from None
        except jwt.PyJWTError:
            raise SsoRejected("malformed") from None
        return self._user(claims)

    def _user(self, claims: dict[str, Any]) -> SsoUser:
        tid, oid = claims.get("tid"), claims.get("oid")
        if not isinstance(tid, str) or not GUID_RE.match(tid.lower()) or not isinstance(oid, str) or not GUID_RE.match(oid.lower()):
            raise SsoRejected("claims")
        tid, oid = tid.lower(), oid.lower()
        # The issuer names the tenant that issued the token; it must be the tenant the token claims.
        if claims.get("iss") not in (f"{self.authority}/{tid}/v2.0", V1_ISSUER.format(tid=tid)):
            raise SsoRejected("issuer")
        if self.tenant_id is not None and tid != self.tenant_id:
            raise SsoRejected("tenant")
        scopes = claims.get("scp")
        if not isinstance(scopes, str) or SSO_SCOPE not in scopes.split():
            raise SsoRejected("scope")
        email = next((v for v in (claims.get(k) for k in ("upn", "preferred_username", "email")) if isinstance(v, str) and "@" in v), None)
        name = claims.get("name")
        return SsoUser(oid=oid, tid=tid, email=email, name=name if isinstance(name, str) else "")
