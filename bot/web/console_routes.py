"""LEAD-konsol's routes: the page, roster preview and confirm, broadcast preview and send; admins only."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.appkeys import CORE
from bot.domain.errors import FileError, FileErrors
from bot.domain.people import Profile
from bot.domain.roster import parse_roster
from bot.domain.roster_file import roster_text
from bot.services.broadcast_view import preview_broadcast
from bot.services.broadcasts import BroadcastError
from bot.services.roster_preview import import_and_replan, preview_roster
from bot.web import security, upload_token
from bot.web.companion import Page
from bot.web.console import Console, NotAdmin, admin_cohort
from bot.web.edge import static_url
from bot.web.identity import TAB_IDENTITY, bearer_token, tab_profile
from bot.web.people_view import PEOPLE_PARAMS, people_filter
from bot.web.routes import NO_STORE, TEMPLATES, THEMES, Links

log = logging.getLogger(__name__)
CONSOLE = web.AppKey("console", Console)
REFUSED_DA = "LEAD-konsollen er for holdets administratorer hos LEAD. Du kan følge dit forløb under »Mit forløb«."
MAX_UPLOAD_BYTES = 160 * 1024  # under the app's body limit with room for the form; a roster is a few KB
UPLOAD_NAME = "deltagerliste"  # the name errors show: an uploaded file's own name is never used
STALE_DA = "Holdet er ændret siden forhåndsvisningen. Se den nye forhåndsvisning og bekræft igen."
EXPIRED_DA = "Forhåndsvisningen er udløbet eller ændret. Upload filen igen."


def _theme(request: web.Request) -> str:
    theme = request.query.get("theme", "default")
    return theme if theme in THEMES else "default"


def is_fetch(request: web.Request) -> bool:
    """Whether tab.js fetched this (a fragment answers, and refusals come as 200 it can show)."""
    return bearer_token(request) is not None  # tab.js sends the Teams token; a local form never does


def _html(
    request: web.Request, template: str, data: dict[str, Any], profile: Profile | None, *, fragment: bool, status: int = 200
) -> web.Response:
    env = request.app[TEMPLATES]
    context = {
        **data,
        "url": Links(request),
        "csrf": security.csrf_token(request, profile) if profile else "",
        "fragment": fragment,
        "theme": _theme(request),
        "nonce": security.csp_nonce(request),
        "static": lambda name: static_url(request, name),
        "shell": False,
        "title": "LEAD-konsol",
        "loading": "Henter konsollen …",
    }
    html = env.get_template(template).render(context)
    if not fragment:
        html = env.get_template("page.html.j2").render({**context, "content": html})
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status, headers=NO_STORE)


async def _form(request: web.Request) -> dict[str, Any]:
    return dict(await request.post()) if request.method == "POST" else {}


async def admin_of(request: web.Request, action: str, *, read_form: bool = True) -> tuple[Profile, str]:
    """The admin and the cohort they act on; anyone else gets the polite refusal (audited) and no data.

    read_form=False leaves the body alone (a streamed upload): the cohort then comes from the query."""
    profile = await tab_profile(request)
    form = await _form(request) if read_form else {}
    wanted = str(form.get("cohort") or request.query.get("cohort", ""))[:64]
    try:
        return profile, admin_cohort(profile, wanted)
    except NotAdmin:
        await request.app[CONSOLE].core.access.refused(profile.person_id, action, cohort_key=wanted or None)
        fetch = is_fetch(request)
        response = _html(request, "console_refused.html.j2", {"text": REFUSED_DA}, None, fragment=fetch, status=200 if fetch else 403)
        raise _Refusal(response) from None


class _Refusal(Exception):
    """Carries the refusal page out of admin_of."""

    def __init__(self, response: web.Response) -> None:
        super().__init__("refused")
        self.response = response


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def refusable(handler: Handler) -> Handler:
    """The handler, with admin_of's refusal answered instead of raised."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except _Refusal as refusal:
            return refusal.response

    return wrapped


def refused_status(request: web.Request, status: int = 400) -> int:
    """The status of a refused console form: 2xx for tab.js (it shows only a 2xx body), else the error status."""
    return 200 if is_fetch(request) else status


async def done(request: web.Request, profile: Profile, cohort: str, section: str, notice: str) -> web.StreamResponse:
    """After a console action: the fragment with its notice for tab.js, else a redirect to the section (POST/redirect/GET)."""
    if is_fetch(request):
        return await render_console(request, profile, cohort, imported=notice)
    raise web.HTTPSeeOther(Links(request)("/console", section, cohort=cohort), headers=NO_STORE)


async def render_console(
    request: web.Request, profile: Profile, cohort: str, *, status: int = 200, notice: str = "", **extra: Any
) -> web.Response:
    """The console page (or fragment) for this admin and cohort, with a notice and any section's extra data."""
    console = request.app[CONSOLE]
    raw = request.query.get("broadcast", "")
    extra.setdefault("people_filter", people_filter(request.query))  # Deltagere's search and page (plain GET parameters)
    page: Page = await console.page(profile, cohort, console.core.growth.clock(), broadcast_id=int(raw) if raw.isdigit() else None, **extra)
    return _html(request, page.template, {**page.data, "notice": notice}, profile, fragment=is_fetch(request), status=status)


async def console(request: web.Request) -> web.StreamResponse:
    """GET /console: the whole console when the admin is known (locally ?as=), else the shell tab.js fills."""
    if "as" not in request.query and not is_fetch(request):
        env = request.app[TEMPLATES]
        query = {k: v for k, v in request.query.items() if k in ("cohort", "broadcast", *PEOPLE_PARAMS)}
        html = env.get_template("page.html.j2").render(
            {
                "content": "",
                "shell": True,
                "view": "/console/view" + (f"?{urlencode(query)}" if query else ""),
                "theme": _theme(request),
                "nonce": security.csp_nonce(request),
                "url": Links(request),
                "fragment": False,
                "static": lambda name: static_url(request, name),
                "title": "LEAD-konsol",
                "loading": "Henter konsollen …",
            }
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8", headers=NO_STORE)
    profile, cohort = await admin_of(request, "console.open")
    return await render_console(request, profile, cohort)


async def view(request: web.Request) -> web.StreamResponse:
    """GET /console/view: the console as a fragment for tab.js."""
    profile, cohort = await admin_of(request, "console.open")
    return await render_console(request, profile, cohort)


def _secret(request: web.Request) -> bytes:
    return request.app[TAB_IDENTITY].settings.report_secret.reveal().encode("utf-8")


def _error_list(exc: FileErrors) -> list[dict[str, Any]]:
    return [{"line": e.line, "message": e.message} for e in exc.errors]


async def _uploaded(request: web.Request) -> bytes:
    field = (await request.post()).get("file")
    if not isinstance(field, web.FileField):
        raise FileErrors([FileError(UPLOAD_NAME, 0, "no file was chosen")])
    data = field.file.read(MAX_UPLOAD_BYTES + 1)  # the file's name and declared type are never trusted
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileErrors([FileError(UPLOAD_NAME, 0, f"is larger than {MAX_UPLOAD_BYTES // 1024} KB")])
    return data


async def _preview_page(request: web.Request, profile: Profile, cohort: str, text: str, *, notice: str = "") -> web.Response:
    core = request.app[CONSOLE].core
    try:
        rows = parse_roster(text, UPLOAD_NAME)
        preview = await preview_roster(core.db, core.roster, core.planner, cohort, rows, UPLOAD_NAME, prune=True)
    except FileErrors as exc:
        return await render_console(request, profile, cohort, errors=_error_list(exc), status=refused_status(request))
    fingerprint = preview.fingerprint()
    sealed = upload_token.seal(_secret(request), profile.person_id, cohort, text, fingerprint)
    data = {
        "summary": str(preview.summary),
        "plan": preview.plan,
        "changed": preview.changed,
        "rows": preview.rows,
        "added": preview.of("added"),
        "updated": preview.of("changed"),
        "removed": preview.of("removed"),
        "content": upload_token.encode_text(text),
        "fingerprint": fingerprint,
        "token": sealed,
    }
    return await render_console(request, profile, cohort, preview=data, notice=notice)


@refusable
async def roster_preview(request: web.Request) -> web.StreamResponse:
    """POST /console/roster/preview: the uploaded file's effect, or every error with its line; nothing written."""
    profile, cohort = await admin_of(request, "roster.import")
    await security.check_csrf(request, profile)
    try:
        text = roster_text(await _uploaded(request), UPLOAD_NAME)
    except FileErrors as exc:
        return await render_console(request, profile, cohort, errors=_error_list(exc), status=refused_status(request))
    return await _preview_page(request, profile, cohort, text)


@refusable
async def roster_confirm(request: web.Request) -> web.StreamResponse:
    """POST /console/roster/confirm: re-check the sealed preview against a fresh one, then import all or nothing."""
    profile, cohort = await admin_of(request, "roster.import")
    await security.check_csrf(request, profile)
    form = await request.post()
    text = upload_token.decode_text(str(form.get("content", "")))
    fingerprint, token = str(form.get("fingerprint", "")), str(form.get("token", ""))
    if text is None or not upload_token.unseal(_secret(request), token, profile.person_id, cohort, text, fingerprint):
        return await render_console(request, profile, cohort, notice=EXPIRED_DA, status=refused_status(request))
    core = request.app[CONSOLE].core
    rows = parse_roster(text, UPLOAD_NAME)
    fresh = await preview_roster(core.db, core.roster, core.planner, cohort, rows, UPLOAD_NAME, prune=True)
    if fresh.fingerprint() != fingerprint:  # someone changed the cohort meanwhile: show what would happen now
        return await _preview_page(request, profile, cohort, text, notice=STALE_DA)
    summary, plan = await import_and_replan(core.roster, core.planner, cohort, rows, UPLOAD_NAME, prune=True)
    await core.access.allowed(profile, "roster.import", cohort_key=cohort, tenant_id=None, target=f"{summary}; plan: {plan}")
    return await render_console(request, profile, cohort, imported=f"Deltagerlisten er gemt: {summary}; plan: {plan}.")


def _draft(text: str, role: str) -> dict[str, Any]:
    return {"text": text, "role": role, "error": "", "texts": [], "recipients": 0, "unreachable": []}


@refusable
async def broadcast_preview(request: web.Request) -> web.StreamResponse:
    """POST /console/broadcast/preview: the card's text and who it reaches; nothing is sent."""
    profile, cohort = await admin_of(request, "broadcast")
    await security.check_csrf(request, profile)
    form = await request.post()
    text, role = str(form.get("text", "")), str(form.get("role", "all"))
    draft = _draft(text, role)
    try:
        preview = await preview_broadcast(request.app[CONSOLE].core.db, cohort, text, role, "LEAD")
        draft.update(texts=preview.texts, recipients=preview.recipients, unreachable=preview.unreachable)
    except BroadcastError as exc:
        draft["error"] = str(exc)
    return await render_console(request, profile, cohort, draft=draft)


@refusable
async def broadcast_send(request: web.Request) -> web.StreamResponse:
    """POST /console/broadcast/send: queue it for everyone in the role, then show delivery per person."""
    profile, cohort = await admin_of(request, "broadcast")
    await security.check_csrf(request, profile)
    form = await request.post()
    text, role = str(form.get("text", "")), str(form.get("role", "all"))
    core = request.app[CONSOLE].core
    try:
        result = await core.broadcaster.broadcast(cohort, text, role, sender="LEAD")
    except BroadcastError as exc:
        return await render_console(request, profile, cohort, draft={**_draft(text, role), "error": str(exc)})
    await core.access.allowed(
        profile, "broadcast", cohort_key=cohort, tenant_id=None, target=f"broadcast {result.broadcast_id} to {role}: {result.queued} queued"
    )
    location = Links(request)("/console", "beskeder", cohort=cohort, broadcast=result.broadcast_id)
    if is_fetch(request):
        raise web.HTTPSeeOther(location.replace("/console", "/console/view", 1), headers=NO_STORE)
    raise web.HTTPSeeOther(location, headers=NO_STORE)


def setup_console(app: web.Application) -> None:
    """Register LEAD-konsol's pages and actions (identity, headers and static files come from bot.web.edge)."""

    async def build(app: web.Application) -> Any:
        app[CONSOLE] = Console(app[CORE])
        yield

    app.cleanup_ctx.append(build)
    app.router.add_get("/console", refusable(console))
    app.router.add_get("/console/view", refusable(view))
    app.router.add_post("/console/roster/preview", roster_preview)
    app.router.add_post("/console/roster/confirm", roster_confirm)
    app.router.add_post("/console/broadcast/preview", broadcast_preview)
    app.router.add_post("/console/broadcast/send", broadcast_send)
