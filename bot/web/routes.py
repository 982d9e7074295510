"""The 'Mit forløb' tab's routes: the page, its fragment for TeamsJS, and the actions the card buttons also do."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from bot.appkeys import CORE
from bot.domain.people import Profile
from bot.domain.text import MAX_TURN_CHARS, clean
from bot.services.errors import ActionError, Refused
from bot.services.overview import Overview
from bot.web import security
from bot.web.companion import Companion, NotYours, Page
from bot.web.edge import static_url
from bot.web.identity import bearer_token, tab_profile

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
THEMES = ("default", "dark", "contrast")
COMPANION = web.AppKey("tab_companion", Companion)
TEMPLATES = web.AppKey("tab_templates", jinja2.Environment)
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
NOT_YOURS_DA = "Du kan kun se dine egne talenters forløb."
MAX_QUERY = 200


def templates() -> jinja2.Environment:
    """The tab's Jinja2 environment: autoescaped HTML, templates read once."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
    )


class Links:
    """Builds the tab's URLs; locally every link carries ?as= and the theme, as Teams' token and context would."""

    def __init__(self, request: web.Request) -> None:
        self.params: dict[str, str] = {}
        if "as" in request.query and bearer_token(request) is None:
            self.params["as"] = request.query["as"]
        theme = request.query.get("theme", "")
        if theme in THEMES and theme != "default":
            self.params["theme"] = theme

    def __call__(self, path: str, fragment: str = "", **extra: Any) -> str:
        params = {**self.params, **{k: str(v) for k, v in extra.items() if v not in (None, "")}}
        return path + (f"?{urlencode(params)}" if params else "") + (f"#{fragment}" if fragment else "")


def _theme(request: web.Request) -> str:
    theme = request.query.get("theme", "default")
    return theme if theme in THEMES else "default"


def _is_fetch(request: web.Request) -> bool:
    # tab.js always sends the Teams token; a plain browser form (local mode) never does
    return bearer_token(request) is not None


def _render(
    request: web.Request, page: Page, profile: Profile | None, *, fragment: bool, notice: str = "", status: int = 200
) -> web.Response:
    env = request.app[TEMPLATES]
    context = {
        **page.data,
        "url": Links(request),
        "csrf": security.csrf_token(request, profile) if profile is not None else "",
        "notice": notice,
        "fragment": fragment,
        "theme": _theme(request),
        "nonce": security.csp_nonce(request),
        "static": lambda name: static_url(request, name),
        "shell": False,
    }
    html = env.get_template(page.template).render(context)
    if not fragment:
        html = env.get_template("page.html.j2").render({**context, "content": html})
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status, headers=NO_STORE)


def _shell(request: web.Request, view: str) -> web.Response:
    """Inside Teams the page starts empty; tab.js fetches the view with the SSO token and fills <main>."""
    env = request.app[TEMPLATES]
    html = env.get_template("page.html.j2").render(
        {
            "content": "",
            "shell": True,
            "view": view,
            "theme": _theme(request),
            "nonce": security.csp_nonce(request),
            "url": Links(request),
            "fragment": False,
            "static": lambda name: static_url(request, name),
        }
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8", headers=NO_STORE)


def _identified(request: web.Request) -> bool:
    return "as" in request.query or bearer_token(request) is not None


async def _page_for(request: web.Request, profile: Profile) -> Page:
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    return await request.app[COMPANION].page(profile, query)


async def tab(request: web.Request) -> web.Response:
    """GET /tab: the whole page when the person is known (locally ?as=), else the shell tab.js fills."""
    if not _identified(request):
        # a plain GET inside Teams (the library search) reloads the frame: carry the search into the view
        query = request.query.get("q", "").strip()[:MAX_QUERY]
        return _shell(request, "/tab/view" + (f"?{urlencode({'q': query})}" if query else ""))
    profile = await tab_profile(request)
    return _render(request, await _page_for(request, profile), profile, fragment=_is_fetch(request))


async def view(request: web.Request) -> web.Response:
    """GET /tab/view: the page's content as a fragment for tab.js (authenticated)."""
    profile = await tab_profile(request)
    talent = request.query.get("talent", "")
    if talent.isdigit():
        return await _talent(request, profile, int(talent), fragment=True)
    return _render(request, await _page_for(request, profile), profile, fragment=True)


async def talent_of_leader(request: web.Request) -> web.Response:
    """GET /tab/talent/{id}: one talent as their nearest leader sees them; anyone else is refused with no data."""
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise web.HTTPNotFound(text="Siden findes ikke.", headers=NO_STORE)
    if not _identified(request):
        return _shell(request, f"/tab/view?talent={int(raw)}")
    profile = await tab_profile(request)
    return await _talent(request, profile, int(raw), fragment=_is_fetch(request))


async def _talent(request: web.Request, profile: Profile, talent_id: int, *, fragment: bool) -> web.Response:
    companion = request.app[COMPANION]
    try:
        page = await companion.leader_talent_page(profile, talent_id)
    except NotYours:
        await companion.core.access.refused(profile.person_id, "tab.talent", target=f"person {talent_id}")
        raise web.HTTPForbidden(text=NOT_YOURS_DA, headers=NO_STORE) from None
    return _render(request, page, profile, fragment=fragment)


Action = Callable[[Companion, Profile, dict[str, str]], Awaitable[Any]]


def action(name: str, section: str, run: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A POST that checks CSRF, runs one service call as the card button would, and answers a form or a fetch."""

    async def handler(request: web.Request) -> web.Response:
        profile = await tab_profile(request)
        form = {k: clean(v, MAX_TURN_CHARS) for k, v in (await request.post()).items() if isinstance(v, str)}
        await security.check_csrf(request, profile)
        companion = request.app[COMPANION]
        try:
            await run(companion, profile, form)
        except ActionError as exc:
            if isinstance(exc, Refused):  # recorded as a refused card action is
                await companion.core.access.refused(profile.person_id, f"tab.{name}", target=exc.target)
            # the card would say the same: a short Danish reason, the page as it stands
            log.info("tab action %s not carried out for person %d", name, profile.person_id)
            page = await _page_for(request, profile)
            # tab.js shows only a 2xx body, so a fetch gets the reason in the fragment with 200
            fetch = _is_fetch(request)
            return _render(request, page, profile, fragment=fetch, notice=str(exc), status=200 if fetch else 400)
        if _is_fetch(request):
            return _render(request, await _page_for(request, profile), profile, fragment=True)
        raise web.HTTPSeeOther(Links(request)("/tab", section), headers=NO_STORE)

    return handler


async def _seen(companion: Companion, profile: Profile, form: dict[str, str]) -> None:
    try:
        await companion.core.learning.mark_seen(profile.person_id, form.get("activity", ""), form.get("topic", ""))
    except ActionError:
        raise
    except LookupError:  # an unknown activity or topic
        raise ActionError("Det materiale findes ikke.") from None


def _plan_id(form: dict[str, str]) -> int | None:
    raw = form.get("plan", "")
    return int(raw) if raw.isdigit() else None


async def _done(companion: Companion, profile: Profile, form: dict[str, str]) -> None:
    await companion.core.nudging.done(profile.person_id, _plan_id(form))


async def _plan(companion: Companion, profile: Profile, form: dict[str, str]) -> None:
    await companion.core.growth.save_plan(profile.person_id, form)


def setup_web(app: web.Application) -> None:
    """Register the tab's pages and actions (identity, headers and /tab/static come from bot.web.edge)."""

    async def companion(app: web.Application) -> Any:
        core = app[CORE]
        app[COMPANION] = Companion(core, Overview(core.growth.db), core.growth.clock)
        yield

    app[TEMPLATES] = templates()
    app.cleanup_ctx.append(companion)
    app.router.add_get("/tab", tab)
    app.router.add_get("/tab/view", view)
    app.router.add_get("/tab/talent/{id}", talent_of_leader)
    app.router.add_post("/tab/seen", action("seen", "forberedelse", _seen))
    app.router.add_post("/tab/done", action("done", "gruppe", _done))
    app.router.add_post("/tab/plan", action("plan", "udviklingsplan", _plan))
