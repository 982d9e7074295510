"""A loopback 'material host' for the link checks: 200, 404, HEAD refused (405) then 200, redirects, and one that hangs.

It listens on 127.0.0.1, an internal address the checker refuses: tests allow that one host
(ALLOWED, as LINK_CHECK_ALLOW_HOSTS would), and reach the same server as `localhost` or
127.0.0.2 to see a refusal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.storage.db import Database
from bot.storage.models import Material

ALLOWED = ("127.0.0.1",)  # the link host's address, exempt from the internal-address refusal in tests


@dataclass
class LinkHost:
    """The running host: its base URL and every request it saw (method, path, headers)."""

    url: str
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    hanging: asyncio.Event = field(default_factory=asyncio.Event)  # set once a request to /hang is held

    def link(self, path: str) -> str:
        """The absolute URL of a path on this host."""
        return self.url + path


@asynccontextmanager
async def link_host() -> AsyncIterator[LinkHost]:
    """Serve /ok, /gone (404), /nohead (405 to HEAD; GET sends headers, then never the body), /moved, /loop, /hang,
    and /to?url=… (a redirect to that URL)."""
    host = LinkHost("")
    hangs: list[asyncio.Event] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        host.seen.append((request.method, request.path, dict(request.headers)))
        return await handler(request)  # type: ignore[no-any-return]

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="materiale")

    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=404, text="findes ikke")

    async def nohead(request: web.Request) -> web.StreamResponse:
        if request.method == "HEAD":
            return web.Response(status=405)
        response = web.StreamResponse(headers={"Content-Length": "1000000"})
        await response.prepare(request)  # the headers go out; a checker that reads the body would wait forever
        stop = asyncio.Event()
        hangs.append(stop)
        await stop.wait()
        return response

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/ok")

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["url"])

    async def hang(request: web.Request) -> web.Response:
        stop = asyncio.Event()
        hangs.append(stop)
        host.hanging.set()
        await stop.wait()  # never answers while the test runs
        return web.Response(text="for sent")

    app = web.Application(middlewares=[record])
    for path, handler in (
        ("/ok", ok),
        ("/gone", gone),
        ("/nohead", nohead),
        ("/moved", moved),
        ("/loop", loop),
        ("/hang", hang),
        ("/to", to),
    ):
        app.router.add_route("*", path, handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    host.url = f"http://127.0.0.1:{port}"
    try:
        yield host
    finally:
        for stop in hangs:
            stop.set()
        await runner.cleanup()


async def publish_links(db: Database, activity_key: str, links: dict[str, str]) -> None:
    """Published materials (title -> url) of one activity, as `content publish` leaves them."""
    async with db.sessions() as session, session.begin():
        for n, (title, url) in enumerate(links.items()):
            session.add(
                Material(
                    activity_key=activity_key, topic=f"t{n}", kind="article", title=title, url=url, minutes=5, description="", version="v1"
                )
            )
