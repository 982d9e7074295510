"""Wiring the tab's edge into the app: identity, strict headers, static files and the cards' tab link."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial

from aiohttp import web

from bot.config import Settings
from bot.services.core import Core
from bot.web.identity import TAB_IDENTITY, TabIdentity
from bot.web.links import library_link, tab_link
from bot.web.security import tab_headers
from bot.web.static_files import URL_PREFIX, StaticFiles, load_static

TAB_STATIC = web.AppKey("tab_static", StaticFiles)


def install_tab_edge(app: web.Application, settings: Settings, core: Callable[[], Core]) -> None:
    """Give the app tab_profile's identity, the /tab headers middleware, /tab/static/* and the cards' tab link."""
    identity = TabIdentity(settings, lambda: core().directory)
    app[TAB_IDENTITY] = identity
    static = app[TAB_STATIC] = StaticFiles(load_static())
    app.middlewares.append(tab_headers)
    app.router.add_get(URL_PREFIX + "{name}", static.handle)

    async def close_identity(app: web.Application) -> AsyncIterator[None]:
        yield
        await identity.close()

    async def link_cards(app: web.Application) -> None:
        # runs after the cleanup contexts have built the Core: its welcome and help cards get the button
        core().guide.tab_link = partial(tab_link, settings)
        core().messages.library_link = partial(library_link, settings)  # cards with more files than they show

    app.cleanup_ctx.append(close_identity)
    app.on_startup.append(link_cards)


def static_url(request: web.Request, filename: str) -> str:
    """The URL of a file in bot/web/static with ?v=<content hash>, so browsers may cache it for a year."""
    return request.app[TAB_STATIC].url(filename)
