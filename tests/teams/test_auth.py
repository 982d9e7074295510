"""Azure mode: botbuilder validates every inbound token; every authentication failure is a 401.

The bot is configured like a real SingleTenant Azure bot, but its channel OpenID metadata
and token issuer point at a loopback issuer (tests/fakes/openid.py) whose keys we hold, so
real botbuilder validation runs against tokens we sign. A rejected request must answer 401
(never 500, never 2xx), write nothing and send nothing; the same request with a good token
is answered and does write.

Outbound replies need an app token from login.microsoftonline.com (MSAL), which is out of
reach here; `outbound_token` replaces only that fetch, so replies reach the fake connector
carrying a recognisable token. Inbound validation is never patched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botframework.connector.auth import MicrosoftAppCredentials
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import Conversation, Person
from tests.fakes.connector import FakeConnector
from tests.fakes.openid import FakeOpenIdIssuer, new_rsa_key
from tests.support import APP_ID, TENANT_ID, Server, database_url, seed, start_server, teams_activity

OUTBOUND_TOKEN = "fake-outbound-app-token"
ANNA = "anna.talent@aalborg.example"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"


# -- fixtures ----------------------------------------------------------------------


@pytest.fixture
def issuer() -> Iterator[FakeOpenIdIssuer]:
    fake = FakeOpenIdIssuer().start()
    yield fake
    fake.stop()


@pytest.fixture
def azure_settings(tmp_path: Path, issuer: FakeOpenIdIssuer) -> Settings:
    """SingleTenant Azure settings, read through the real environment names."""
    return Settings.from_env(
        {
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppPassword": "not-a-real-secret",
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": TENANT_ID,
            "ToBotFromChannelOpenIdMetadataUrl": issuer.metadata_url,
            "ToBotFromChannelTokenIssuer": issuer.issuer,
            "DATABASE_URL": database_url(tmp_path),
        }
    )


@pytest.fixture
async def azure_db(azure_settings: Settings) -> AsyncIterator[Database]:
    database = Database(azure_settings.database_url)
    await database.upgrade()
    await seed(database)
    yield database
    await database.dispose()


@pytest.fixture
def outbound_token(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace only the outbound client-credentials fetch (MSAL, needs the internet).

    botbuilder's reply credentials record which app asked; the app's own proactive-send
    token provider (app.token_provider) is swapped for a fixed token as well.
    """
    calls: list[dict[str, Any]] = []

    def fake_get_access_token(self: MicrosoftAppCredentials, force_refresh: bool = False) -> str:
        calls.append({"app_id": self.microsoft_app_id, "authority": self.oauth_endpoint, "scope": self.oauth_scope})
        return OUTBOUND_TOKEN

    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", fake_get_access_token)

    class FakeTokens:  # the proactive sender's msal token provider, which would also go online
        async def header(self) -> str | None:
            return f"Bearer {OUTBOUND_TOKEN}"

    monkeypatch.setattr("app.token_provider", lambda settings: FakeTokens(), raising=False)
    return calls


@pytest.fixture
async def azure_server(azure_settings: Settings, azure_db: Database, outbound_token: list[dict[str, Any]]) -> AsyncIterator[Server]:
    srv = await start_server(azure_settings)
    yield srv
    await srv.close()


def message(connector: FakeConnector, **over: Any) -> dict[str, Any]:
    """The recorded personal-chat message from the rostered talent, aimed at the fake connector."""
    activity = teams_activity("message-personal-chat-recorded", text="næste", serviceUrl=connector.url, **over)
    connector.know(activity["from"], ANNA)
    return activity


async def snapshot(db: Database) -> tuple[Any, ...]:
    """Everything an authenticated message would change: conversations and people's Teams links."""
    async with db.sessions() as s:
        conversations = sorted((c.conversation_id, c.service_url) for c in (await s.scalars(select(Conversation))).all())
        people = sorted((p.email, p.aad_object_id, p.teams_user_id, p.tenant_id) for p in (await s.scalars(select(Person))).all())
    return tuple(conversations), tuple(people)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the happy path ------------------------------------------------------------------


async def test_correctly_signed_token_is_accepted_and_the_bot_replies(
    azure_server: Server,
    azure_db: Database,
    issuer: FakeOpenIdIssuer,
    connector: FakeConnector,
    outbound_token: list[dict[str, Any]],
) -> None:
    activity = message(connector)
    token = issuer.sign(issuer.channel_claims(APP_ID, activity["serviceUrl"]))

    response = await azure_server.post(activity, headers=bearer(token))

    assert response.status in (200, 201)
    assert issuer.key_requests >= 1, "botbuilder validated against the fake issuer's keys"
    assert connector.sent, "the bot replied through the connector"
    assert "Kick-off" in connector.texts()[-1]
    assert all(sent.authorization == f"Bearer {OUTBOUND_TOKEN}" for sent in connector.sent)
    assert outbound_token and {call["app_id"] for call in outbound_token} == {APP_ID}
    async with azure_db.sessions() as s:
        anna = await s.scalar(select(Person).where(Person.email == ANNA))
        assert anna is not None and anna.aad_object_id == activity["from"]["aadObjectId"]
        conv = await s.scalar(select(Conversation).where(Conversation.person_id == anna.id))
        assert conv is not None and conv.conversation_id == activity["conversation"]["id"]


# -- every failure is a 401 that changes nothing ---------------------------------------

Case = Callable[[FakeOpenIdIssuer, dict[str, Any]], dict[str, str]]


def _claims(issuer: FakeOpenIdIssuer, activity: dict[str, Any], **over: Any) -> dict[str, Any]:
    return issuer.channel_claims(APP_ID, activity["serviceUrl"], **over)


def _good(issuer: FakeOpenIdIssuer, activity: dict[str, Any]) -> str:
    return issuer.sign(_claims(issuer, activity))


def _key_endorsed_only_for_webchat(issuer: FakeOpenIdIssuer, activity: dict[str, Any]) -> dict[str, str]:
    kid, key = issuer.add_key(endorsements=["webchat"])
    return bearer(issuer.sign(_claims(issuer, activity), key=key, kid=kid))


def _channel_not_endorsed(issuer: FakeOpenIdIssuer, activity: dict[str, Any]) -> dict[str, str]:
    activity["channelId"] = "slack"  # the msteams-only key does not vouch for another channel
    return bearer(_good(issuer, activity))


def _hs256_with_public_key(issuer: FakeOpenIdIssuer, activity: dict[str, Any]) -> dict[str, str]:
    # The classic algorithm confusion: HMAC keyed with the published RSA public key.
    # PyJWT refuses to build this token, so it is assembled by hand.
    pem = issuer.key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
    payload = b64(json.dumps(_claims(issuer, activity)).encode())
    signature = b64(hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return bearer(f"{header}.{payload}.{signature}")


def _issuer_down(issuer: FakeOpenIdIssuer, activity: dict[str, Any]) -> dict[str, str]:
    token = _good(issuer, activity)
    issuer.stop()  # keys cannot be fetched: fail closed
    return bearer(token)


FAILURES: dict[str, Case] = {
    "no-authorization-header": lambda i, a: {},
    "empty-bearer": lambda i, a: {"Authorization": "Bearer "},
    "bearer-garbage": lambda i, a: {"Authorization": "Bearer garbage"},
    "three-part-header": lambda i, a: {"Authorization": f"Bearer {_good(i, a)} extra"},
    "basic-scheme-with-valid-token": lambda i, a: {"Authorization": f"Basic {_good(i, a)}"},
    "signed-by-foreign-key-claiming-published-kid": lambda i, a: bearer(i.sign(_claims(i, a), key=new_rsa_key())),
    "signed-by-foreign-key-with-unknown-kid": lambda i, a: bearer(i.sign(_claims(i, a), key=new_rsa_key(), kid="not-in-jwks")),
    "expired": lambda i, a: bearer(i.sign(_claims(i, a, nbf=int(time.time()) - 7200, exp=int(time.time()) - 600))),
    "not-yet-valid": lambda i, a: bearer(i.sign(_claims(i, a, nbf=int(time.time()) + 600))),
    "wrong-audience": lambda i, a: bearer(i.sign(_claims(i, a, aud="99999999-8888-7777-6666-555555555555"))),
    "no-audience": lambda i, a: bearer(i.sign(_claims(i, a, aud=None))),
    "wrong-issuer": lambda i, a: bearer(i.sign(_claims(i, a, iss="https://evil.example.com"))),
    "no-issuer": lambda i, a: bearer(i.sign(_claims(i, a, iss=None))),
    "emulator-issuer": lambda i, a: bearer(i.sign(_claims(i, a, iss=EMULATOR_ISSUER, ver="1.0", appid=APP_ID))),
    "skill-shaped-token": lambda i, a: bearer(i.sign(_claims(i, a, ver="1.0", appid="another-bot"))),
    "serviceurl-differs-from-activity": lambda i, a: bearer(i.sign(_claims(i, a, serviceurl="https://evil.example.com/"))),
    "serviceurl-missing": lambda i, a: bearer(i.sign(_claims(i, a, serviceurl=None))),
    "key-not-endorsed-for-msteams": _key_endorsed_only_for_webchat,
    "activity-channel-not-endorsed": _channel_not_endorsed,
    "alg-none": lambda i, a: bearer(i.sign(_claims(i, a), algorithm="none")),
    "hs256-keyed-with-public-key": _hs256_with_public_key,
    "issuer-metadata-unreachable": _issuer_down,
}


@pytest.mark.parametrize("case", list(FAILURES.values()), ids=list(FAILURES))
async def test_authentication_failure_is_401_and_changes_nothing(
    case: Case, azure_server: Server, azure_db: Database, issuer: FakeOpenIdIssuer, connector: FakeConnector
) -> None:
    activity = message(connector)
    headers = case(issuer, activity)
    before = await snapshot(azure_db)

    response = await azure_server.post(activity, headers=headers)

    assert response.status == 401
    assert connector.sent == []
    assert await snapshot(azure_db) == before


# -- gaps in botbuilder 4.17.1 that bot/teams/auth.py closes ------------------------------


async def test_token_without_expiry_is_rejected(
    azure_server: Server, azure_db: Database, issuer: FakeOpenIdIssuer, connector: FakeConnector
) -> None:
    activity = message(connector)
    before = await snapshot(azure_db)
    token = issuer.sign(_claims(issuer, activity, exp=None, nbf=None))

    response = await azure_server.post(activity, headers=bearer(token))

    assert response.status == 401
    assert connector.sent == [] and await snapshot(azure_db) == before


async def test_replies_ask_the_bots_own_tenant_for_a_token(
    azure_server: Server, issuer: FakeOpenIdIssuer, connector: FakeConnector, outbound_token: list[dict[str, Any]]
) -> None:
    activity = message(connector)
    token = issuer.sign(_claims(issuer, activity))

    response = await azure_server.post(activity, headers=bearer(token))

    assert response.status in (200, 201) and outbound_token
    assert all((call["authority"] or "").rstrip("/").endswith(TENANT_ID) for call in outbound_token)


# -- local mode ------------------------------------------------------------------------


async def test_local_mode_accepts_requests_without_a_token(
    settings: Settings, db: Database, server: Server, connector: FakeConnector
) -> None:
    assert settings.local_mode
    await seed(db)
    activity = message(connector)

    response = await server.post(activity)

    assert response.status in (200, 201)
    assert "Kick-off" in connector.texts()[-1]
    assert connector.sent[-1].authorization is None  # no app, so no outbound token either
