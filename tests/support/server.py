"""The real aiohttp app (app.create_app) on a loopback port, and a client for it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from app import create_app
from bot.config import Settings
from tests.support.clock import NOW


class Server:
    """The real aiohttp app on a loopback port."""

    def __init__(self, runner: web.AppRunner, url: str, app: web.Application) -> None:
        self.runner = runner
        self.url = url
        self.app = app
        self.http = aiohttp.ClientSession()

    async def post(self, activity: dict[str, Any] | bytes | str, headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        """POST an activity (dict as JSON; bytes/str sent raw) to /api/messages."""
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        data = json.dumps(activity) if isinstance(activity, dict) else activity
        async with self.http.post(self.url + "/api/messages", data=data, headers=hdrs) as resp:
            await resp.read()
            return resp

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.url + path) as resp:
            body = await resp.json() if resp.content_type == "application/json" else await resp.text()
            return resp.status, body

    async def close(self) -> None:
        await self.http.close()
        await self.runner.cleanup()


async def start_server(settings: Settings, clock: Callable[[], datetime] = lambda: NOW, *, background: bool = False) -> Server:
    """Start create_app(settings) on 127.0.0.1 with an ephemeral port (no scheduler unless asked)."""
    app = create_app(settings, clock=clock, background=background)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Server(runner, f"http://127.0.0.1:{port}", app)
