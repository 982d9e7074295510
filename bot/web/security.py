"""Strict response headers for the tab (CSP with a per-response nonce) and CSRF tokens for local-mode forms."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.domain.people import Profile
from bot.web.identity import TAB_IDENTITY, bearer_token

TAB_PREFIX = "/tab"
CONSOLE_PREFIX = "/console"  # LEAD-konsol: the same strict headers
STATIC_PREFIX = "/tab/static/"
# Microsoft's documented hosts that may frame a tab (Teams, Outlook, the Microsoft 365 app, *.cloud.microsoft),
# plus GCC High's Teams; nothing else may put the tab's pages in a frame.
FRAME_ANCESTORS = (
    "'self'",
    "https://teams.microsoft.com",
    "https://*.teams.microsoft.com",
    "https://*.teams.microsoft.us",
    "https://*.cloud.microsoft",
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "https://*.office.com",
    "https://*.microsoft365.com",
)
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_MAX_AGE = 12 * 3600  # a form left open over a working day still posts
CSRF_REFUSED_TEXT = "Formularen er udløbet. Genindlæs siden og prøv igen."
# A typed request key (aiohttp 3.11+): a plain string key warns (NotAppKeyWarning) and could collide.
CSP_NONCE: web.RequestKey[str] = web.RequestKey("csp_nonce", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def content_security_policy(nonce: str) -> str:
    """The tab's CSP: own origin only, scripts by nonce, framed only by Microsoft's hosts."""
    return (
        f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {' '.join(FRAME_ANCESTORS)}"
    )


def _is_tab(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in (TAB_PREFIX, CONSOLE_PREFIX))


def _secure(response: web.StreamResponse, path: str, nonce: str) -> None:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(nonce)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    if not (path.startswith(STATIC_PREFIX) and response.status in (200, 304)):
        headers["Cache-Control"] = "no-store"  # pages carry personal data: never in a shared or disk cache


@web.middleware
async def tab_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every /tab and /console response (errors too) gets the strict headers; handlers find the CSP nonce with csp_nonce(request)."""
    if not _is_tab(request.path):
        return await handler(request)
    nonce = secrets.token_urlsafe(18)
    request[CSP_NONCE] = nonce
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _secure(exc, request.path, nonce)
        raise
    _secure(response, request.path, nonce)
    return response


def csp_nonce(request: web.Request) -> str:
    """This response's script nonce (set by tab_headers; empty outside /tab and /console)."""
    return request.get(CSP_NONCE, "")


def _csrf_mac(secret: bytes, profile: Profile, issued: int) -> str:
    message = f"tab-csrf\x00{profile.person_id}\x00{profile.email}\x00{issued}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _csrf_secret(request: web.Request) -> bytes:
    # The settings' link secret, keyed apart by the message prefix: set REPORT_SECRET and tokens survive restarts.
    return request.app[TAB_IDENTITY].settings.report_secret.reveal().encode("utf-8")


def csrf_token(request: web.Request, profile: Profile, *, now: float | None = None) -> str:
    """A token for this person's forms (local mode); put it in a hidden field named "csrf"."""
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_csrf_mac(_csrf_secret(request), profile, issued)}"


def csrf_valid(request: web.Request, profile: Profile, token: str, *, now: float | None = None) -> bool:
    """Whether the token was made by csrf_token for this person within CSRF_MAX_AGE."""
    issued_text, _, mac = token.partition(".")
    if not issued_text.isdigit() or len(issued_text) > 12 or not mac:
        return False
    issued = int(issued_text)
    age = (time.time() if now is None else now) - issued
    if not -60 <= age <= CSRF_MAX_AGE:
        return False
    return hmac.compare_digest(mac, _csrf_mac(_csrf_secret(request), profile, issued))


async def check_csrf(request: web.Request, profile: Profile) -> None:
    """Refuse (403) a state-changing request that may have been forged by another site.

    Azure mode: the identity came from a Bearer header, which a browser never adds to a cross-site
    request on its own, so that is proof enough. Local mode: the form's csrf field (or X-CSRF-Token)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    token = request.headers.get(CSRF_HEADER, "")
    if (
        not token
        and request.app[TAB_IDENTITY].settings.local_mode
        and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.post()).get(CSRF_FIELD, "")
        token = field if isinstance(field, str) else ""
    check_csrf_token(request, profile, token)


def check_csrf_token(request: web.Request, profile: Profile, token: str) -> None:
    """check_csrf for a handler that reads its own body (a streamed upload): the token is the form's csrf field."""
    if not request.app[TAB_IDENTITY].settings.local_mode:
        if bearer_token(request) is None:
            raise web.HTTPForbidden(text=CSRF_REFUSED_TEXT)
        return
    token = request.headers.get(CSRF_HEADER, "") or token
    if not token or not csrf_valid(request, profile, token):
        raise web.HTTPForbidden(text=CSRF_REFUSED_TEXT)
