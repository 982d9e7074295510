"""Wiring the tab's edge into the app: identity, strict headers and the static files."""
from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Callable

from aiohttp import web

from bot.config import Settings
from bot.services.directory import Directory
from bot.web.identity import TAB_IDENTITY, TabIdentity
from bot.web.security import tab_headers

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_ROUTE = "tab_static"


def install_tab_edge(app: web.Application, settings: Settings, directory: Callable[[], Directory]) -> None:
    """Give the app tab_profile's identity, the /tab headers middleware and /tab/static/*."""
    identity = TabIdentity(settings, directory)
    app[TAB_IDENTITY] = identity
    app.middlewares.append(tab_headers)
    # No index, no symlinks out of the folder; aiohttp refuses paths that climb out of it.
    app.router.add_static("/tab/static", STATIC_DIR, name=STATIC_ROUTE, show_index=False, follow_symlinks=False)

    async def close_identity(app: web.Application) -> AsyncIterator[None]:
        yield
        await identity.close()

    app.cleanup_ctx.append(close_identity)


def static_url(request: web.Request, filename: str) -> str:
    """The URL of a file in bot/web/static with ?v=<content hash>, so it may be cached for a year."""
    resource = request.app.router[STATIC_ROUTE]
    assert isinstance(resource, web.StaticResource)
    return str(resource.url_for(filename=filename, append_version=True))
