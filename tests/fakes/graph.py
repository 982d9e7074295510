"""A loopback Microsoft Graph and Entra ID token endpoint that speak the real JSON, with knobs for trouble.

One aiohttp app serves both, on two loopback sites: plain HTTP for Graph (aiohttp is happy with
that) and HTTPS for the token endpoint, because msal only accepts an https authority. The HTTPS
certificate is issued by a throwaway CA; `ca_path` is what msal (requests) must trust.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import ipaddress
import re
import secrets
import ssl
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GRAPH_PREFIX = "/v1.0"


def make_loopback_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a 127.0.0.1/localhost server certificate signed by it: (ca.pem, server.pem, server.key)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Talent Nord test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return ca_path, cert_path, key_path


def graph_error(status: int, code: str, message: str, **headers: str) -> web.Response:
    """Graph's error body: {"error": {"code", "message", "innerError"}}."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": str(uuid.uuid4())},
        }
    }
    return web.json_response(body, status=status, headers=headers or None)


def _filter_value(query: str, name: str) -> str | None:
    """The literal in `$filter=<name> eq '<literal>'` (OData doubles quotes inside it)."""
    match = re.fullmatch(rf"\s*{re.escape(name)}\s+eq\s+'((?:[^']|'')*)'\s*", query or "")
    return match.group(1).replace("''", "'") if match else None


@dataclass
class Recorded:
    """One request the code under test made to Graph."""

    method: str
    path: str  # under /v1.0, decoded
    query: dict[str, str]
    raw_query: str
    body: Any
    authorization: str | None


@dataclass
class FakeGraph:
    """Graph v1.0 users / appCatalogs / teamwork endpoints plus an Entra v2.0 token endpoint, on loopback."""

    tenant_id: str
    client_id: str
    client_secret: str
    bot_app_id: str = ""
    # knobs ------------------------------------------------------------------------------
    throttle_first: int = 0  # the first N Graph calls answer 429 with Retry-After
    retry_after: str = "3"
    transient_503: int = 0  # after the throttled ones, this many answer 503
    slow_first: int = 0  # after those, this many answer only after `slow_seconds`
    slow_seconds: float = 2.0
    forbidden: set[str] = field(default_factory=set)  # user ids whose teamwork calls answer 403
    race: set[str] = field(default_factory=set)  # user ids whose install appears only once a POST answered 409
    token_lifetime: int = 3599  # the tokens' expires_in
    token_delay: float = 0.0  # the token endpoint answers after this many seconds (of `sleep`)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # e.g. a virtual clock's, for token_delay
    # state --------------------------------------------------------------------------------
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> user JSON
    catalog: list[dict[str, Any]] = field(default_factory=list)
    installed: dict[str, str] = field(default_factory=dict)  # user id -> installation id
    requests: list[Recorded] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    graph_url: str = ""
    authority: str = ""
    ca_path: Path | None = None
    _calls: int = 0
    _runner: web.AppRunner | None = None
    _released: asyncio.Event = field(default_factory=asyncio.Event)  # set at stop: slow answers end

    # -- setting up the directory ------------------------------------------------------
    def add_user(self, email: str, name: str, *, upn: str | None = None) -> str:
        """A user in Entra ID with this mail address (UPN the same unless given); returns the object id."""
        user_id = str(uuid.uuid4())
        self.users[user_id] = {
            "id": user_id,
            "displayName": name,
            "userPrincipalName": upn or email,
            "mail": email,
        }
        return user_id

    def publish(self, external_id: str, name: str = "Talent Nord") -> str:
        """Put the app in the org catalog; returns the catalog's own id for it."""
        catalog_id = str(uuid.uuid4())
        self.catalog.append({"id": catalog_id, "externalId": external_id, "displayName": name, "distributionMethod": "organization"})
        return catalog_id

    def preinstall(self, user_id: str) -> str:
        """The app is already installed for this user (by themselves or a policy)."""
        self.installed[user_id] = self._installation_id(user_id)
        return self.installed[user_id]

    def chat_id(self, user_id: str) -> str:
        """The 1:1 chat id Graph reports between a user and the bot."""
        return f"19:{user_id}_{self.bot_app_id}@unq.gbl.spaces"

    def posts(self) -> list[Recorded]:
        """Every POST (installs) made to Graph."""
        return [r for r in self.requests if r.method == "POST"]

    def _catalog_id(self) -> str:
        return self.catalog[0]["id"] if self.catalog else ""

    def _installation_id(self, user_id: str) -> str:
        # Graph's real form: base64("{userId}##{teamsAppId}").
        return base64.b64encode(f"{user_id}##{self._catalog_id()}".encode()).decode()

    # -- server ----------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._graph_gate])
        t = "/{tenant}"
        app.router.add_get(t + "/v2.0/.well-known/openid-configuration", self._openid)
        app.router.add_post(t + "/oauth2/v2.0/token", self._token)
        g = GRAPH_PREFIX
        app.router.add_get(g + "/users", self._list_users)
        app.router.add_get(g + "/users/{key}", self._get_user)
        app.router.add_get(g + "/appCatalogs/teamsApps", self._list_catalog)
        app.router.add_get(g + "/users/{uid}/teamwork/installedApps", self._list_installed)
        app.router.add_post(g + "/users/{uid}/teamwork/installedApps", self._install)
        app.router.add_get(g + "/users/{uid}/teamwork/installedApps/{iid}/chat", self._chat)
        return app

    async def start(self, folder: Path) -> FakeGraph:
        """Serve Graph on http://127.0.0.1 and the token endpoint on https://127.0.0.1."""
        self.ca_path, cert, key = make_loopback_certificates(folder)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        plain = web.TCPSite(self._runner, "127.0.0.1", 0)
        await plain.start()
        secure = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=tls)
        await secure.start()
        self.graph_url = f"http://127.0.0.1:{plain._server.sockets[0].getsockname()[1]}{GRAPH_PREFIX}"  # type: ignore[union-attr]
        self.authority = f"https://127.0.0.1:{secure._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _graph_gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Every Graph call: recorded, token checked, then the trouble knobs in order."""
        if not request.path.startswith(GRAPH_PREFIX + "/"):
            return await handler(request)
        body = await request.json() if request.can_read_body else None
        auth = request.headers.get("Authorization")
        self.requests.append(
            Recorded(request.method, request.path[len(GRAPH_PREFIX) :], dict(request.query), request.rel_url.raw_query_string, body, auth)
        )
        self._calls += 1
        n = self._calls
        if "+" in request.rel_url.raw_query_string:
            # Graph reads '+' in a query as a plus sign, so a client that form-encodes spaces gets this.
            return graph_error(400, "BadRequest", "Invalid filter clause: syntax error at '+'.")
        if not auth or not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
        if n <= self.throttle_first:
            return graph_error(429, "TooManyRequests", "Too many requests.", **{"Retry-After": self.retry_after})
        if n <= self.throttle_first + self.transient_503:
            return graph_error(503, "ServiceUnavailable", "Service is temporarily unavailable.")
        if n <= self.throttle_first + self.transient_503 + self.slow_first:
            # slow, but let go at stop(): a hang beyond the client's timeout need not hold the test up
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self.slow_seconds)
        return await handler(request)

    # -- Entra ID ---------------------------------------------------------------------------
    async def _openid(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"{self.authority}/{tenant}"
        return web.json_response(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "issuer": f"{self.authority}/{tenant}/v2.0",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "tenant_region_scope": "EU",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        self.token_requests.append({**form, "tenant": request.match_info["tenant"]})
        if request.match_info["tenant"] != self.tenant_id:
            return web.json_response(
                {"error": "invalid_request", "error_description": f"AADSTS90002: Tenant '{request.match_info['tenant']}' not found."},
                status=400,
            )
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"},
                status=401,
            )
        if self.token_delay:
            await self.sleep(self.token_delay)
        token = secrets.token_urlsafe(32)
        self.tokens.add(token)
        lifetime = self.token_lifetime
        return web.json_response({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token})

    # -- Graph --------------------------------------------------------------------------------
    def _user(self, key: str) -> dict[str, Any] | None:
        key = key.lower()
        for user in self.users.values():
            if user["id"] == key or user["userPrincipalName"].lower() == key:
                return user
        return None

    @staticmethod
    def _select(user: dict[str, Any], query: str | None) -> dict[str, Any]:
        fields = [f.strip() for f in (query or "").split(",") if f.strip()]
        return {k: v for k, v in user.items() if not fields or k in fields}

    async def _get_user(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        user = self._user(key)
        if user is None:
            return graph_error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
            )
        body = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
            **self._select(user, request.query.get("$select")),
        }
        return web.json_response(body)

    async def _list_users(self, request: web.Request) -> web.Response:
        mail = _filter_value(request.query.get("$filter", ""), "mail")
        if mail is None:
            return graph_error(400, "Request_UnsupportedQuery", "Unsupported query.")
        found = [self._select(u, request.query.get("$select")) for u in self.users.values() if (u["mail"] or "").lower() == mail.lower()]
        return web.json_response({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": found})

    async def _list_catalog(self, request: web.Request) -> web.Response:
        external = _filter_value(request.query.get("$filter", ""), "externalId")
        found = [app for app in self.catalog if external is None or app["externalId"] == external]
        return web.json_response({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#appCatalogs/teamsApps", "value": found})

    def _teamwork_gate(self, uid: str) -> web.Response | None:
        if uid in self.forbidden:
            return graph_error(
                403,
                "Forbidden",
                "Missing role permissions on the request. API requires one of 'TeamsAppInstallation.ReadWriteSelfForUser.All'.",
            )
        if uid not in self.users:
            return graph_error(404, "NotFound", f"User {uid} not found.")
        return None

    async def _list_installed(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        refused = self._teamwork_gate(uid)
        if refused:
            return refused
        if request.query.get("$expand") != "teamsAppDefinition":
            return graph_error(400, "BadRequest", "expected $expand=teamsAppDefinition")
        wanted = _filter_value(request.query.get("$filter", ""), "teamsApp/id")
        value = []
        installation = self.installed.get(uid)
        if installation and wanted == self._catalog_id() and uid not in self.race:
            value.append(
                {
                    "id": installation,
                    "teamsAppDefinition": {
                        "id": base64.b64encode(f"{self._catalog_id()}##1.0.0".encode()).decode(),
                        "teamsAppId": self._catalog_id(),
                        "displayName": "Talent Nord",
                        "version": "1.0.0",
                    },
                }
            )
        return web.json_response(
            {
                "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#users('{uid}')/teamwork/installedApps(teamsAppDefinition())",
                "value": value,
            }
        )

    async def _install(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        refused = self._teamwork_gate(uid)
        if refused:
            return refused
        body = await request.json()
        bind = str(body.get("teamsApp@odata.bind", ""))
        catalog_id = bind.rsplit("/", 1)[-1]
        if not bind.endswith(f"/appCatalogs/teamsApps/{catalog_id}") or catalog_id != self._catalog_id():
            return graph_error(404, "NotFound", "The app was not found in the catalog.")
        if uid in self.race:  # somebody installed it a moment before us
            self.race.discard(uid)
            self.installed.setdefault(uid, self._installation_id(uid))
            return graph_error(409, "Conflict", "App is already installed.")
        if uid in self.installed:
            return graph_error(409, "Conflict", "App is already installed.")
        self.installed[uid] = self._installation_id(uid)
        return web.Response(status=201)

    async def _chat(self, request: web.Request) -> web.Response:
        uid, iid = request.match_info["uid"], request.match_info["iid"]
        refused = self._teamwork_gate(uid)
        if refused:
            return refused
        if self.installed.get(uid) != iid:
            return graph_error(404, "NotFound", "Installation not found.")
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return web.json_response(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#chats/$entity",
                "id": self.chat_id(uid),
                "topic": None,
                "createdDateTime": now,
                "lastUpdatedDateTime": now,
                "chatType": "oneOnOne",
                "webUrl": f"https://teams.microsoft.com/l/chat/{self.chat_id(uid)}/0?tenantId={self.tenant_id}",
                "tenantId": self.tenant_id,
            }
        )
