"""Bot Framework authentication from Settings, with connector clients reused across turns."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConfiguration,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    SkillValidation,
    UserTokenClient,
)

from bot.config import Settings


class CachingConnectorFactory(ConnectorFactory):
    """Hands out one ConnectorClient per (service URL, audience) instead of one per turn.

    botbuilder builds a fresh client for every inbound activity; building it (msrest's
    retry policy among it) is most of a bare bot's CPU per turn. The credentials inside a
    client fetch and cache their own tokens, so sharing a client is safe.
    """

    def __init__(self, inner: ConnectorFactory, cache: dict[tuple[str, str | None], ConnectorClient]) -> None:
        self._inner = inner
        self._cache = cache

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (service_url, audience)
        client = self._cache.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            self._cache[key] = client
        return client


class CachingBotFrameworkAuthentication(BotFrameworkAuthentication):
    """Delegates authentication to botbuilder and wraps its connector factories in a cache."""

    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        self._inner = inner
        self._clients: dict[tuple[str, str | None], ConnectorClient] = {}
        self._token_clients: dict[str | None, UserTokenClient] = {}

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = CachingConnectorFactory(result.connector_factory, self._clients)
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return CachingConnectorFactory(self._inner.create_connector_factory(claims_identity), self._clients)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        # CloudAdapter asks for one every turn and botbuilder builds a fresh TokenApiClient (msrest's
        # costly retry policy among it); it holds only the app id and credentials, so share it per app.
        app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
        if app_id is None:
            app_id = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
        client = self._token_clients.get(app_id)
        if client is None:
            client = self._token_clients[app_id] = await self._inner.create_user_token_client(claims_identity)
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)

    async def close(self) -> None:
        """Close the pooled HTTP sessions of every cached client."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                await client.close()
            except Exception:  # closing is best effort at shutdown
                pass


def botbuilder_configuration(settings: Settings) -> SimpleNamespace:
    """The attribute-style configuration botbuilder reads (secrets only here)."""
    config = SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password.reveal(),
        # botbuilder's SingleTenant path insists on an app id; local mode has none.
        APP_TYPE="MultiTenant" if settings.local_mode else settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )
    if settings.openid_metadata_url:
        # botbuilder switches to its parameterised path when any override is set, and there every
        # unset endpoint becomes None: give the inbound pair and the outbound login endpoint together.
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = settings.token_issuer
        tenant = settings.app_tenant_id if settings.app_type == "SingleTenant" else "botframework.com"
        config.TO_CHANNEL_FROM_BOT_LOGIN_URL = f"{settings.login_authority.rstrip('/')}/{tenant}"
        config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = "https://api.botframework.com"
    return config


async def validate_claims(claims: Any) -> None:
    """Stricter than botbuilder: a token must expire, and skill (bot-to-bot) tokens are refused."""
    # botbuilder passes a list of claim dicts on one path and a bare dict on the other.
    for item in claims if isinstance(claims, list) else [claims]:
        if not isinstance(item, dict) or "exp" not in item:
            raise PermissionError("token has no expiry")
        if SkillValidation.is_skill_claim(item):
            raise PermissionError("skill tokens are not accepted")


def create_authentication(settings: Settings) -> CachingBotFrameworkAuthentication:
    """The authentication the CloudAdapter uses: validates tokens unless in local mode."""
    return CachingBotFrameworkAuthentication(
        ConfigurationBotFrameworkAuthentication(
            botbuilder_configuration(settings),
            auth_configuration=AuthenticationConfiguration(claims_validator=validate_claims),
        )
    )
