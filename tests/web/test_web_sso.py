"""The tab's identity: Teams SSO tokens checked against a loopback OpenID issuer; ?as= only locally, on loopback.

The real app runs on loopback with one extra route that answers with tab_profile's result, so these
tests pin the identity contract independent of the pages. Every failure must be a 401 whose body is
the same short Danish text (no personal data), never a 500.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select, update

import cards
from app import CORE, create_app
from bot.config import ConfigError, Settings
from bot.domain.people import Profile, TeamsIdentity
from bot.storage.db import Database
from bot.storage.models import Cohort, Person
from bot.web import security
from bot.web.edge import TAB_STATIC
from bot.web.identity import LOCAL_UNAUTHORIZED_TEXT, TAB_IDENTITY, UNAUTHORIZED_TEXT, is_loopback_peer, tab_profile
from bot.web.links import TAB_ENTITY_ID, tab_link, teams_tab_deep_link
from bot.web.sso import EntraTokenValidator, SsoRejected
from tests.fakes.openid import FakeOpenIdIssuer, new_rsa_key
from tests.support import APP_ID, NOW, TENANT_ID, database_url, seed

OTHER_TENANT = "0f0e0d0c-0b0a-4988-8776-655443322110"
HOST = "talentnord.example.dk"
APP_ID_URI = f"api://{HOST}/{APP_ID}"
ANNA = "anna.talent@aalborg.example"
ANNA_OID = "9c6e2b7a-1d3f-4e5a-8b9c-0d1e2f3a4b5c"


class TabServer:
    """create_app on 127.0.0.1 (or another address) plus /tab/whoami, which answers with tab_profile."""

    def __init__(self, runner: web.AppRunner, url: str, app: web.Application) -> None:
        self.runner, self.url, self.app = runner, url, app
        self.http = aiohttp.ClientSession()

    async def call(self, method: str = "GET", path: str = "/tab/whoami", **kwargs: Any) -> tuple[int, str, Any]:
        async with self.http.request(method, self.url + path, allow_redirects=False, **kwargs) as resp:
            return resp.status, await resp.text(), resp.headers

    async def close(self) -> None:
        await self.http.close()
        await self.runner.cleanup()


async def whoami(request: web.Request) -> web.Response:
    profile = await tab_profile(request)
    if request.method == "POST":
        await security.check_csrf(request, profile)
    body = {
        "name": profile.name,
        "email": profile.email,
        "roles": [r.role for r in profile.roles],
        "csrf": security.csrf_token(request, profile),
        "nonce": security.csp_nonce(request),
    }
    return web.json_response(body)


async def start(settings: Settings, host: str = "127.0.0.1") -> TabServer:
    app = create_app(settings, clock=lambda: NOW, background=False)
    app.router.add_route("*", "/tab/whoami", whoami)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return TabServer(runner, f"http://{host}:{port}", app)


# -- fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def issuer() -> Iterator[FakeOpenIdIssuer]:
    fake = FakeOpenIdIssuer().start()
    yield fake
    fake.stop()


def azure_env(tmp_path: Path, issuer: FakeOpenIdIssuer, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppPassword": "not-a-real-secret",
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": TENANT_ID,
            "PUBLIC_URL": f"https://{HOST}",
            "TAB_SSO_METADATA_URL": issuer.tenant_metadata_template,
            "DATABASE_URL": database_url(tmp_path),
            **extra,
        }
    )


async def seeded(settings: Settings) -> None:
    db = Database(settings.database_url)
    await db.upgrade()
    await seed(db)
    await db.dispose()


@pytest.fixture
async def azure(tmp_path: Path, issuer: FakeOpenIdIssuer) -> AsyncIterator[TabServer]:
    settings = azure_env(tmp_path, issuer)
    await seeded(settings)
    srv = await start(settings)
    yield srv
    await srv.close()


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[TabServer]:
    settings = replace(Settings.from_env({}), database_url=database_url(tmp_path))
    await seeded(settings)
    srv = await start(settings)
    yield srv
    await srv.close()


def token(issuer: FakeOpenIdIssuer, **over: Any) -> str:
    sign = {k: over.pop(k) for k in ("key", "kid", "algorithm", "headers") if k in over}
    claims = issuer.entra_claims(
        audience=over.pop("audience", APP_ID_URI), tenant_id=over.pop("tenant_id", TENANT_ID), oid=over.pop("oid", ANNA_OID), **over
    )
    return issuer.sign(claims, **sign)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def anna_row(srv: TabServer) -> tuple[str | None, str | None]:
    db: Database = srv.app[CORE].directory.db
    async with db.sessions() as s:
        person = await s.scalar(select(Person).where(Person.email == ANNA))
        assert person is not None
        return person.aad_object_id, person.tenant_id


# -- Azure mode: the failure matrix --------------------------------------------------


def _failures(issuer: FakeOpenIdIssuer) -> dict[str, dict[str, str]]:
    now = int(time.time())
    stranger = new_rsa_key()
    return {
        "no token": {},
        "not bearer": {"Authorization": "Basic YW5uYTpzZWNyZXQ="},
        "empty bearer": {"Authorization": "Bearer "},
        "malformed": bearer("not.a.jwt"),
        "garbage segments": bearer("eyJhbGciOiJSUzI1NiJ9.e30.AAAA"),
        "expired": bearer(token(issuer, exp=now - 600, nbf=now - 4000, iat=now - 4000)),
        "not yet valid": bearer(token(issuer, nbf=now + 900)),
        "no expiry": bearer(token(issuer, exp=None)),
        "wrong audience": bearer(token(issuer, audience="api://elsewhere.example/" + APP_ID)),
        "another app's id": bearer(token(issuer, audience="99999999-2222-3333-4444-555555555555")),
        "wrong issuer": bearer(token(issuer, iss=f"https://evil.example/{TENANT_ID}/v2.0")),
        "issuer of another tenant": bearer(token(issuer, iss=f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0")),
        "wrong tenant": bearer(token(issuer, tenant_id=OTHER_TENANT)),
        "wrong tenant, v1 issuer": bearer(token(issuer, tenant_id=OTHER_TENANT, iss=f"https://sts.windows.net/{OTHER_TENANT}/")),
        "no tenant": bearer(token(issuer, tid=None)),
        "wrong signature": bearer(token(issuer, key=stranger)),
        "unknown kid": bearer(token(issuer, key=stranger, kid="fake-not-published")),
        "empty kid": bearer(token(issuer, headers={"kid": ""})),
        "HS256 with the public key": bearer(token(issuer, algorithm="HS256", key="k" * 32)),
        "unsigned": bearer(token(issuer, algorithm="none")),
        "no scope (app-only)": bearer(token(issuer, scp=None, roles=["Something.Read"])),
        "other scope": bearer(token(issuer, scp="User.Read")),
        "no oid": bearer(token(issuer, oid=None)),
        "unknown person": bearer(token(issuer, oid=str(uuid.uuid4()), preferred_username="megan@aalborg.example")),
        "unknown person without email": bearer(token(issuer, oid=str(uuid.uuid4()), preferred_username=None)),
    }


async def test_every_failure_is_the_same_401_without_data(
    azure: TabServer, issuer: FakeOpenIdIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for case, headers in _failures(issuer).items():
        status, body, resp_headers = await azure.call(headers=headers)
        assert (status, body) == (401, UNAUTHORIZED_TEXT), case
        assert resp_headers["WWW-Authenticate"] == "Bearer", case
        assert resp_headers["Cache-Control"] == "no-store", case
        assert "Content-Security-Policy" in resp_headers, case
        for secret in headers.values():  # tokens never reach the logs
            if len(secret) > 20:
                assert secret.split(" ", 1)[-1] not in caplog.text, case
    assert await anna_row(azure) == (None, None), "a refused token links nobody"
    assert "Anna" not in caplog.text and ANNA not in caplog.text


async def test_local_identity_is_refused_in_azure_mode(azure: TabServer) -> None:
    status, body, _ = await azure.call(params={"as": ANNA})
    assert (status, body) == (401, UNAUTHORIZED_TEXT)
    status, body, _ = await azure.call("POST", data={"as": ANNA})
    assert (status, body) == (401, UNAUTHORIZED_TEXT)


async def test_a_good_token_is_the_rostered_person_and_links_them(azure: TabServer, issuer: FakeOpenIdIssuer) -> None:
    status, body, _ = await azure.call(headers=bearer(token(issuer)))
    assert status == 200, body
    me = json.loads(body)
    assert (me["name"], me["email"], me["roles"]) == ("Anna Jensen", ANNA, ["talent"])
    # linked as the bot links a newcomer: the oid and tenant are stored, so the email is not needed again
    assert await anna_row(azure) == (ANNA_OID, TENANT_ID)
    status, body, _ = await azure.call(headers=bearer(token(issuer, preferred_username=None, name=None)))
    assert status == 200 and json.loads(body)["email"] == ANNA
    # an upper-case oid and the app id as audience (v2 tokens) are the same person
    status, _, _ = await azure.call(headers=bearer(token(issuer, oid=ANNA_OID.upper(), audience=APP_ID)))
    assert status == 200


async def test_v1_tokens_with_upn_are_accepted(azure: TabServer, issuer: FakeOpenIdIssuer) -> None:
    v1 = token(issuer, iss=f"https://sts.windows.net/{TENANT_ID}/", ver="1.0", preferred_username=None, upn=ANNA)
    status, body, _ = await azure.call(headers=bearer(v1))
    assert status == 200 and json.loads(body)["name"] == "Anna Jensen"


async def test_someone_bound_in_another_tenant_is_not_found(tmp_path: Path, issuer: FakeOpenIdIssuer) -> None:
    settings = azure_env(tmp_path, issuer, MicrosoftAppType="MultiTenant", MicrosoftAppTenantId="")
    await seeded(settings)
    db = Database(settings.database_url)  # a MultiTenant bot serves only cohorts bound to a tenant (#16)
    async with db.sessions() as s, s.begin():
        await s.execute(update(Cohort).values(tenant_id=TENANT_ID))
    await db.dispose()
    srv = await start(settings)
    try:
        status, _, _ = await srv.call(headers=bearer(token(issuer)))
        assert status == 200  # now bound to TENANT_ID
        # the same oid and email from another tenant: a different identity, never Anna's data
        other = token(issuer, tenant_id=OTHER_TENANT)
        status, body, _ = await srv.call(headers=bearer(other))
        assert (status, body) == (401, UNAUTHORIZED_TEXT)
        assert issuer.tenants_asked[-1] == "organizations", "a token's tid never chooses which metadata is fetched"
    finally:
        await srv.close()


async def test_keys_are_cached_and_refetched_for_a_new_kid(azure: TabServer, issuer: FakeOpenIdIssuer) -> None:
    assert (await azure.call(headers=bearer(token(issuer))))[0] == 200
    fetched = issuer.key_requests
    assert (await azure.call(headers=bearer(token(issuer))))[0] == 200
    assert issuer.key_requests == fetched, "keys are cached"
    kid, key = issuer.add_key()
    rotated = bearer(token(issuer, key=key, kid=kid))
    keys = azure.app[TAB_IDENTITY].validator.keys  # type: ignore[union-attr]
    # within the cooldown an unknown kid does not make every request a fetch
    assert (await azure.call(headers=rotated))[0] == 401
    assert issuer.key_requests == fetched
    keys.refresh_cooldown = 0
    assert (await azure.call(headers=rotated))[0] == 200, "a rolled-over key is fetched on its first use"
    assert issuer.key_requests == fetched + 1


async def test_unreachable_keys_are_a_401_not_a_500(tmp_path: Path) -> None:
    dead = FakeOpenIdIssuer().start()
    dead.stop()
    settings = azure_env(tmp_path, dead)
    await seeded(settings)
    srv = await start(settings)
    try:
        status, body, _ = await srv.call(headers=bearer(token(dead)))
        assert (status, body) == (401, UNAUTHORIZED_TEXT)
    finally:
        await srv.close()


# -- headers -----------------------------------------------------------------------


async def test_tab_responses_carry_the_strict_headers(azure: TabServer, issuer: FakeOpenIdIssuer) -> None:
    nonces = []
    for _ in range(2):
        status, body, headers = await azure.call(headers=bearer(token(issuer)))
        assert status == 200
        nonce = json.loads(body)["nonce"]
        nonces.append(nonce)
        csp = headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["script-src"] == f"'self' 'nonce-{nonce}'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert directives["connect-src"] == "'self'" and directives["style-src"] == "'self'"
        ancestors = directives["frame-ancestors"].split()
        assert {
            "https://teams.microsoft.com",
            "https://*.teams.microsoft.com",
            "https://*.cloud.microsoft",
            "https://outlook.office.com",
            "https://outlook.office365.com",
        } <= set(ancestors)
        assert all(a == "'self'" or a.startswith("https://") for a in ancestors)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
    assert nonces[0] != nonces[1], "a fresh nonce per response"
    # the rest of the app keeps its own headers
    async with azure.http.get(azure.url + "/healthz") as resp:
        assert "Content-Security-Policy" not in resp.headers


async def test_static_files_by_exact_name_with_types_and_caching(local: TabServer) -> None:
    files = local.app[TAB_STATIC]
    url = files.url("tab.js")
    status, body, headers = await local.call(path=url)
    assert status == 200 and "microsoftTeams" in body
    assert headers["Content-Type"].startswith("text/javascript")
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, headers = await local.call(path="/tab/static/tab.js", headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and headers["Cache-Control"] == "public, max-age=300"
    status, body, _ = await local.call(path=files.url("teams-js.min.js"))
    assert status == 200 and body.startswith("/*! @microsoft/teams-js 2.") and "MIT License" in body[:2000]
    for path in (
        "/tab/static/",
        "/tab/static/../app.py",
        "/tab/static/%2e%2e%2fapp.py",
        "/tab/static/..%2F..%2Fapp.py",
        "/tab/static/nothing.js",
        "/tab/static/.keep",
        "/tab/static/tab.js/x",
    ):
        status, _, headers = await local.call(path=path)
        assert status == 404, path
        assert headers["Cache-Control"] == "no-store", path


# -- local mode --------------------------------------------------------------------


async def test_local_as_email_on_loopback(local: TabServer) -> None:
    status, body, _ = await local.call(params={"as": ANNA.upper()})
    assert status == 200 and json.loads(body)["name"] == "Anna Jensen"
    for params in ({}, {"as": ""}, {"as": "nobody@aalborg.example"}, {"as": "not-an-email"}):
        status, body, _ = await local.call(params=params)
        assert (status, body) == (401, LOCAL_UNAUTHORIZED_TEXT), params


async def test_local_as_email_refused_through_a_proxy(local: TabServer) -> None:
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        status, body, _ = await local.call(params={"as": ANNA}, headers={header: "203.0.113.9"})
        assert (status, body) == (401, LOCAL_UNAUTHORIZED_TEXT), header


def _non_loopback_address() -> str | None:
    """An address of this machine that is not loopback, when there is one."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.123", 9))  # no packet is sent; this only picks the outgoing interface
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") or address == "0.0.0.0" else address


async def test_local_as_email_refused_from_a_non_loopback_peer(tmp_path: Path) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to connect from")
    # ALLOW_ANONYMOUS is what would let local mode listen beyond loopback; even then ?as= is refused
    settings = replace(Settings.from_env({"HOST": address, "ALLOW_ANONYMOUS": "1"}), database_url=database_url(tmp_path))
    await seeded(settings)
    srv = await start(settings, host=address)
    try:
        status, body, _ = await srv.call(params={"as": ANNA})
        assert (status, body) == (401, LOCAL_UNAUTHORIZED_TEXT)
    finally:
        await srv.close()


@pytest.mark.parametrize(
    ("peer", "headers", "allowed"),
    [
        ("127.0.0.1", {}, True),
        ("127.8.9.10", {}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, False),  # mapped addresses are not reported loopback; refusing is the safe side
        ("192.0.2.2", {}, False),
        ("10.0.0.1", {}, False),
        ("", {}, False),
        (None, {}, False),
        ("localhost", {}, False),  # a peer is an address, never a name
        ("127.0.0.1", {"X-Forwarded-For": "198.51.100.7"}, False),
        ("127.0.0.1", {"Forwarded": "for=198.51.100.7"}, False),
    ],
)
def test_loopback_peer_predicate(peer: str | None, headers: dict[str, str], allowed: bool) -> None:
    assert is_loopback_peer(peer, headers) is allowed


# -- CSRF --------------------------------------------------------------------------


async def test_local_posts_need_the_csrf_token_of_that_person(local: TabServer) -> None:
    _, body, _ = await local.call(params={"as": ANNA})
    good = json.loads(body)["csrf"]
    _, body, _ = await local.call(params={"as": "mette.leder@aalborg.example"})
    mettes = json.loads(body)["csrf"]
    assert (await local.call("POST", data={"as": ANNA}))[0] == 403
    assert (await local.call("POST", data={"as": ANNA, "csrf": mettes}))[0] == 403
    assert (await local.call("POST", data={"as": ANNA, "csrf": good + "0"}))[0] == 403
    assert (await local.call("POST", data={"as": ANNA, "csrf": "1." + good.split(".")[1]}))[0] == 403
    status, body, _ = await local.call("POST", data={"as": ANNA, "csrf": good})
    assert status == 200 and json.loads(body)["name"] == "Anna Jensen"
    status, _, _ = await local.call("POST", params={"as": ANNA}, headers={security.CSRF_HEADER: good})
    assert status == 200


async def local_profile(srv: TabServer, email: str) -> Profile:
    directory = srv.app[CORE].directory
    person_id = await directory.find(TeamsIdentity(None, "", "", None, email))
    assert person_id is not None
    profile = await directory.profile(person_id)
    assert profile is not None
    return profile


class AppOnly(dict):  # type: ignore[type-arg]
    """Stands in for a request where only request.app is read (csrf_valid reads the app's secret)."""

    def __init__(self, app: web.Application) -> None:
        super().__init__()
        self.app = app


async def test_csrf_tokens_expire(local: TabServer) -> None:
    _, body, _ = await local.call(params={"as": ANNA})
    good = json.loads(body)["csrf"]
    issued = int(good.split(".")[0])
    req: Any = AppOnly(local.app)
    anna = await local_profile(local, ANNA)
    assert security.csrf_valid(req, anna, good, now=issued + 60)
    assert not security.csrf_valid(req, anna, good, now=issued + security.CSRF_MAX_AGE + 1)


async def test_azure_posts_pass_with_the_bearer_token(azure: TabServer, issuer: FakeOpenIdIssuer) -> None:
    status, body, _ = await azure.call("POST", headers=bearer(token(issuer)), data={"x": "1"})
    assert status == 200 and json.loads(body)["name"] == "Anna Jensen"


# -- links -------------------------------------------------------------------------


async def test_cards_get_the_tab_link(azure: TabServer, local: TabServer) -> None:
    settings = azure.app[TAB_IDENTITY].settings
    deep = f"https://teams.microsoft.com/l/entity/{settings.teams_app_id}/{TAB_ENTITY_ID}"
    assert tab_link(settings, ANNA) == deep == teams_tab_deep_link(settings.teams_app_id)
    reply = azure.app[CORE].guide.help()
    assert reply.data["tab_url"] == deep
    local_settings = local.app[TAB_IDENTITY].settings
    assert local.app[CORE].guide.help().data["tab_url"] == f"{local_settings.base_url}/tab"
    anna = await local_profile(local, ANNA)
    welcome = await local.app[CORE].guide.welcome(anna)
    assert welcome.data["tab_url"] == f"{local_settings.base_url}/tab?as=anna.talent%40aalborg.example"
    card = cards.render(welcome.card, welcome.data)
    buttons = [a for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    assert buttons == [{"type": "Action.OpenUrl", "title": "Mit forløb", "url": welcome.data["tab_url"]}]
    help_card = cards.render("help", {**reply.data})
    assert [a["url"] for a in help_card["actions"] if a["type"] == "Action.OpenUrl"] == [deep]
    without = cards.render("help", {**reply.data, "tab_url": None})
    assert not [a for a in without["actions"] if a["type"] == "Action.OpenUrl"]


# Each case above is refused by the check meant for it, not by an earlier accident.
EXPECTED_REASONS = {
    "malformed": "malformed",
    "garbage segments": "malformed",
    "expired": "expired",
    "not yet valid": "not-yet-valid",
    "no expiry": "claims",
    "wrong audience": "audience",
    "another app's id": "audience",
    "wrong issuer": "issuer",
    "issuer of another tenant": "issuer",
    "wrong tenant": "tenant",
    "wrong tenant, v1 issuer": "tenant",
    "no tenant": "claims",
    "wrong signature": "signature",
    "unknown kid": "unknown-key",
    "empty kid": "malformed",
    "HS256 with the public key": "algorithm",
    "unsigned": "algorithm",
    "no scope (app-only)": "scope",
    "other scope": "scope",
    "no oid": "claims",
}


async def test_each_token_failure_has_its_own_reason(issuer: FakeOpenIdIssuer) -> None:
    validator = EntraTokenValidator(app_id=APP_ID, app_id_uri=APP_ID_URI, tenant_id=TENANT_ID, metadata_url=issuer.tenant_metadata_template)
    try:
        failures = _failures(issuer)
        for case, reason in EXPECTED_REASONS.items():
            with pytest.raises(SsoRejected) as info:
                await validator.validate(failures[case]["Authorization"].split(" ", 1)[1])
            assert info.value.reason == reason, case
        user = await validator.validate(token(issuer))
        assert (user.oid, user.tid, user.email, user.name) == (ANNA_OID, TENANT_ID, ANNA, "Anna Jensen")
    finally:
        await validator.close()


# -- settings ----------------------------------------------------------------------


def test_tab_settings(tmp_path: Path, issuer: FakeOpenIdIssuer) -> None:
    settings = azure_env(tmp_path, issuer)
    assert settings.tab_app_id_uri == APP_ID_URI
    assert settings.tab_metadata_url == issuer.tenant_metadata_template
    default = Settings.from_env({})
    assert default.tab_app_id_uri == ""
    assert default.tab_metadata_url == "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"
    explicit = azure_env(tmp_path, issuer, TAB_APP_ID_URI=f"api://{HOST}/botid-{APP_ID}")
    assert explicit.tab_app_id_uri == f"api://{HOST}/botid-{APP_ID}"
    for name, value in (
        ("TAB_APP_ID_URI", "https://x.example"),
        ("TAB_SSO_METADATA_URL", "https://x.example/meta"),
        ("TAB_SSO_METADATA_URL", "ftp://x.example/{tenant}"),
    ):
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value})
