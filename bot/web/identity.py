"""Who is asking: the one way the tab's pages learn the person behind a request (Teams SSO, or ?as= locally)."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Mapping

from aiohttp import web

from bot.config import Settings
from bot.domain.access import scope_to_tenant
from bot.domain.people import Profile, TeamsIdentity
from bot.domain.roster import normalise_email
from bot.services.directory import Directory
from bot.web.sso import EntraTokenValidator, SsoRejected, SsoUser

log = logging.getLogger(__name__)

# Short and the same for every failure: the body never tells a caller which check failed.
UNAUTHORIZED_TEXT = "Du er ikke logget ind. Åbn »Mit forløb« i Teams."
LOCAL_UNAUTHORIZED_TEXT = "Ukendt bruger. Lokalt: åbn /tab?as=din@email på 127.0.0.1."
# Headers a reverse proxy adds: with them, a loopback peer may be relaying someone from elsewhere.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host")


class TabIdentity:
    """Resolves requests to tenant-scoped profiles through the bot's own directory."""

    def __init__(self, settings: Settings, directory: Callable[[], Directory]) -> None:
        self.settings = settings
        self._directory = directory
        self.validator: EntraTokenValidator | None = None
        if not settings.local_mode:
            self.validator = EntraTokenValidator(
                app_id=settings.app_id,
                app_id_uri=settings.tab_app_id_uri,
                # SingleTenant (and a managed identity with its tenant): only that tenant; MultiTenant: any tenant
                tenant_id=(settings.app_tenant_id or None) if settings.app_type != "MultiTenant" else None,
                metadata_url=settings.tab_metadata_url,
                authority=settings.login_authority,
            )

    async def close(self) -> None:
        """Release the key fetcher's HTTP session."""
        if self.validator is not None:
            await self.validator.close()

    async def profile(self, request: web.Request) -> Profile:
        """The asking person's profile, or HTTPUnauthorized."""
        try:
            if self.validator is not None:
                return await self._from_token(request, self.validator)
            return await self._from_local(request)
        except _Refused as refused:
            log.info("tab request refused: %s", refused.reason)
        except SsoRejected as rejected:
            log.info("tab request refused: token %s", rejected.reason)
        except web.HTTPException:
            raise
        except Exception as exc:  # a failure while finding the person still shows nothing but a 401
            log.warning("tab request refused: %s while resolving the identity", type(exc).__name__)
        raise unauthorized(self.settings)

    async def _from_token(self, request: web.Request, validator: EntraTokenValidator) -> Profile:
        token = bearer_token(request)
        if token is None:
            raise _Refused("no token")
        user = await validator.validate(token)
        return await self._person(user)

    async def _person(self, user: SsoUser) -> Profile:
        directory = self._directory()
        by_oid = TeamsIdentity(aad_object_id=user.oid, user_id="", name=user.name, tenant_id=user.tid)
        person_id = await directory.find(by_oid)
        if person_id is None and user.email:
            # Not bound yet: someone on this tenant's roster opening the tab before writing to the bot
            # is linked as the bot links a newcomer (the email comes from the signed token).
            newcomer = TeamsIdentity(aad_object_id=user.oid, user_id="", name=user.name, tenant_id=user.tid, email=user.email)
            if await directory.find(newcomer) is not None:
                person_id = await directory.link(newcomer)
                log.info("tab: linked a rostered person to their Entra id")
        if person_id is None:
            raise _Refused("unknown person")
        return await self._scoped(directory, person_id, user.tid)

    async def _from_local(self, request: web.Request) -> Profile:
        if not local_request_allowed(request):
            raise _Refused("local identity from a non-loopback peer")
        email = request.query.get("as", "")
        if not email and request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            field = (await request.post()).get("as", "")
            email = field if isinstance(field, str) else ""
        email = email.strip()
        if not email or "@" not in email or len(email) > 320:
            raise _Refused("no local identity")
        directory = self._directory()
        person_id = await directory.find(TeamsIdentity(None, "", "", None, normalise_email(email)))
        if person_id is None:
            raise _Refused("unknown person")
        return await self._scoped(directory, person_id, None)

    @staticmethod
    async def _scoped(directory: Directory, person_id: int, tenant_id: str | None) -> Profile:
        profile = await directory.profile(person_id)
        if profile is None:
            raise _Refused("unknown person")
        return scope_to_tenant(profile, tenant_id)


class _Refused(Exception):
    """An identity failure other than the token check itself; reason is for logs only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


TAB_IDENTITY = web.AppKey("tab_identity", TabIdentity)
_PROFILE = web.RequestKey("tab_profile", Profile)


def unauthorized(settings: Settings) -> web.HTTPUnauthorized:
    """The one 401 every failure gets: a short Danish text, no data, a Bearer challenge in Azure mode."""
    if settings.local_mode:
        return web.HTTPUnauthorized(text=LOCAL_UNAUTHORIZED_TEXT, headers={"Cache-Control": "no-store"})
    return web.HTTPUnauthorized(text=UNAUTHORIZED_TEXT, headers={"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"})


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, None without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def is_loopback_peer(peer: str | None, headers: Mapping[str, str]) -> bool:
    """True when the TCP peer is a loopback address and no proxy says it relays someone else."""
    if not peer:
        return False
    try:
        if not ipaddress.ip_address(peer.split("%", 1)[0]).is_loopback:
            return False
    except ValueError:
        return False
    return not any(name in headers for name in FORWARDING_HEADERS)


def local_request_allowed(request: web.Request) -> bool:
    """Whether `as=EMAIL` may stand in for SSO: local mode and a loopback peer (the socket's, not a header's)."""
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    host = peer[0] if isinstance(peer, (tuple, list)) and peer else None
    return is_loopback_peer(host, request.headers)


async def tab_profile(request: web.Request) -> Profile:
    """The tenant-scoped profile of whoever asks; web.HTTPUnauthorized (short Danish text, no data) otherwise."""
    cached = request.get(_PROFILE)
    if isinstance(cached, Profile):
        return cached
    profile = await request.app[TAB_IDENTITY].profile(request)
    request[_PROFILE] = profile
    return profile
