"""A loopback OpenID issuer for Bot Framework channel tokens and Entra ID (Teams SSO) tokens: metadata, a JWKS and a signer.

botbuilder fetches the metadata and keys with the *synchronous* `requests` library from
inside the bot's event loop, so this server runs on its own event loop in a background
thread; on the test's loop it would deadlock.

Every instance serves under a fresh random path: botbuilder caches metadata per URL in a
class attribute (JwtTokenExtractor.metadataCache) for a day, and an ephemeral port can be
reused by a later test that has different keys.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
ENTRA_AUTHORITY = "https://login.microsoftonline.com"


def new_rsa_key() -> RSAPrivateKey:
    """A fresh 2048-bit RSA private key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeOpenIdIssuer:
    """Serves /.well-known/openid-configuration and /keys on 127.0.0.1, and signs tokens.

    The main key (`key`, `kid`) is published with the given endorsements (Teams tokens are
    signed by keys endorsed for "msteams"). `add_key` publishes further keys.
    """

    def __init__(self, *, issuer: str = BOT_FRAMEWORK_ISSUER, endorsements: Iterable[str] = ("msteams",)) -> None:
        self.issuer = issuer
        self.key = new_rsa_key()
        self.kid = f"fake-{uuid.uuid4().hex[:12]}"
        self._published: list[tuple[str, RSAPrivateKey, list[str]]] = [(self.kid, self.key, list(endorsements))]
        self._prefix = f"/{uuid.uuid4().hex}"
        self.base_url = ""
        self.metadata_requests = 0
        self.key_requests = 0
        self.tenants_asked: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # -- published keys -------------------------------------------------------------
    def add_key(self, *, endorsements: Iterable[str] = ("msteams",), key: RSAPrivateKey | None = None) -> tuple[str, RSAPrivateKey]:
        """Publish another key in the JWKS; returns (kid, private key)."""
        kid = f"fake-{uuid.uuid4().hex[:12]}"
        private = key or new_rsa_key()
        self._published.append((kid, private, list(endorsements)))
        return kid, private

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, private, endorsements in self._published:
            jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
            jwk.update({"kid": kid, "use": "sig", "alg": "RS256", "endorsements": endorsements})
            keys.append(jwk)
        return {"keys": keys}

    # -- URLs -----------------------------------------------------------------------
    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}{self._prefix}/.well-known/openid-configuration"

    @property
    def jwks_uri(self) -> str:
        return f"{self.base_url}{self._prefix}/keys"

    @property
    def tenant_metadata_template(self) -> str:
        """Entra's per-tenant metadata URL shape, {tenant} to fill in (as TAB_SSO_METADATA_URL)."""
        return f"{self.base_url}{self._prefix}/{{tenant}}/v2.0/.well-known/openid-configuration"

    # -- tokens ---------------------------------------------------------------------
    def entra_claims(self, *, audience: str, tenant_id: str, oid: str, lifetime: int = 3600, **overrides: Any) -> dict[str, Any]:
        """The claims of a v2 Entra ID access token as Teams SSO (getAuthToken) gets it (overrides win; None drops)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": f"{ENTRA_AUTHORITY}/{tenant_id}/v2.0",
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + lifetime,
            "tid": tenant_id,
            "oid": oid,
            "scp": "access_as_user",
            "azp": "1fec8e78-bce4-4aaf-ab1b-5451cc387264",  # Teams' desktop/mobile client
            "name": "Anna Jensen",
            "preferred_username": "anna.talent@aalborg.example",
            "ver": "2.0",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def channel_claims(self, app_id: str, service_url: str, *, lifetime: int = 3600, **overrides: Any) -> dict[str, Any]:
        """The claims the Bot Connector puts in a channel-to-bot token (overrides win; None drops a claim)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "serviceurl": service_url,
            "nbf": now - 60,
            "exp": now + lifetime,
            "iss": self.issuer,
            "aud": app_id,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: Any = None,
        kid: str | None = None,
        headers: dict[str, Any] | None = None,
        algorithm: str = "RS256",
    ) -> str:
        """A compact JWT over claims, RS256 with the main key and its kid unless told otherwise.

        `key` may be another RSA key, or an HMAC secret with algorithm="HS256"; algorithm="none"
        gives an unsigned token.
        """
        hdrs = {"kid": kid or self.kid, **(headers or {})}
        signing_key = None if algorithm == "none" else (self.key if key is None else key)
        return jwt.encode(claims, signing_key, algorithm=algorithm, headers=hdrs)

    # -- server ---------------------------------------------------------------------
    def _app(self) -> web.Application:
        async def metadata(request: web.Request) -> web.Response:
            self.metadata_requests += 1
            return web.json_response(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.base_url}{self._prefix}/authorize",
                    "jwks_uri": self.jwks_uri,
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                }
            )

        async def keys(request: web.Request) -> web.Response:
            self.key_requests += 1
            return web.json_response(self.jwks())

        async def tenant_metadata(request: web.Request) -> web.Response:
            self.metadata_requests += 1
            tenant = request.match_info["tenant"]
            self.tenants_asked.append(tenant)
            return web.json_response(
                {
                    "issuer": f"{ENTRA_AUTHORITY}/{tenant}/v2.0",
                    "jwks_uri": self.jwks_uri,
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )

        app = web.Application()
        app.router.add_get(f"{self._prefix}/.well-known/openid-configuration", metadata)
        app.router.add_get(f"{self._prefix}/{{tenant}}/v2.0/.well-known/openid-configuration", tenant_metadata)
        app.router.add_get(f"{self._prefix}/keys", keys)
        return app

    def start(self) -> FakeOpenIdIssuer:
        """Start serving on a loopback port in a background thread; returns self."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def boot() -> None:
                self._runner = web.AppRunner(self._app(), access_log=None)
                await self._runner.setup()
                site = web.TCPSite(self._runner, "127.0.0.1", 0)
                await site.start()
                port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
                self.base_url = f"http://127.0.0.1:{port}"

            try:
                loop.run_until_complete(boot())
            except BaseException as exc:  # surface start-up errors in the calling thread
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())  # type: ignore[union-attr]
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-openid", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("fake OpenID server did not start")
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
