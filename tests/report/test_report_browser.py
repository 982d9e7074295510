"""The report page in a real headless Chromium: it renders, its charts are there, and it fetches nothing."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from app import CORE, create_app
from bot.storage.db import Database
from bot.storage.models import Person, PlannedDelivery
from tests.support import NOW, Clock, seed
from tests.support.browser import CHROMIUM, NEEDS_CHROMIUM

pytestmark = NEEDS_CHROMIUM


class DevTools:
    """A minimal Chrome DevTools Protocol client over one browser websocket (flat sessions)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its answer, keeping the events that arrive meanwhile."""
        message_id = next(self.ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self.ws.send_str(json.dumps(message))
        while True:
            reply = json.loads((await self.ws.receive(timeout=30)).data)
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    async def wait_for(self, method: str) -> dict[str, Any]:
        """The first event of this kind (already received or still to come)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = json.loads((await self.ws.receive(timeout=30)).data)
            self.events.append(event)
            if event.get("method") == method:
                return event


@pytest.fixture
async def report_server(db: Database, programme: Any, settings: Any) -> AsyncIterator[tuple[str, list[str], Any]]:
    """The real app on loopback with a cohort that has figures, recording every request it serves."""
    await seed(db, programme)
    clock = Clock(NOW)
    app = create_app(settings, clock=clock, background=False)
    served: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        served.append(request.path_qs)
        return await handler(request)

    app.middlewares.append(record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    core = app[CORE]
    await core.planner.replan("hold-2027")
    async with db.sessions() as s:
        anna = await s.scalar(select(Person.id).where(Person.email == "anna.talent@aalborg.example"))
        survey = await s.scalar(select(PlannedDelivery).where(PlannedDelivery.person_id == anna, PlannedDelivery.topic == "evaluation"))
        readiness = await s.scalar(select(PlannedDelivery).where(PlannedDelivery.topic == "readiness"))
    async with db.sessions() as s, s.begin():  # the survey went out after its activity
        sent = await s.get(PlannedDelivery, survey.id)
        sent.status, sent.due_at = "sent", datetime(2026, 1, 1, tzinfo=UTC)
    await core.nudging.evaluate(anna, survey.id, {"rating": "4", "expectations": "ja"})
    await core.growth.assess_readiness(
        readiness.person_id, readiness.id, {"aim": "vertical", "tasks": "stretch", "performance": "satisfactory"}
    )
    url, _ = core.reports.link("hold-2027")
    base = f"http://127.0.0.1:{port}"
    yield base + url[url.index("/report/") :], served, clock
    await runner.cleanup()


async def _devtools_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    """Chromium writes the port it chose into DevToolsActivePort in its profile."""
    marker = profile / "DevToolsActivePort"
    for _ in range(300):
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        await asyncio.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


async def test_report_page_renders_with_charts_and_requests_nothing_else(report_server: Any, tmp_path: Path) -> None:
    url, served, _ = report_server
    profile = tmp_path / "chromium-profile"
    process = subprocess.Popen(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-allow-origins=*",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--mute-audio",
            # a safety net: no name resolves, so even a stray request cannot leave the machine
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--window-size=1600,1200",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = await _devtools_port(profile, process)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/version") as resp:
                browser_ws = (await resp.json())["webSocketDebuggerUrl"]
            async with http.ws_connect(browser_ws, max_msg_size=64 * 1024 * 1024) as ws:
                cdp = DevTools(ws)
                target = (await cdp.call("Target.createTarget", url="about:blank"))["targetId"]
                session = (await cdp.call("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
                await cdp.call("Network.enable", session)
                await cdp.call("Page.enable", session)
                await cdp.call("Page.navigate", session, url=url)
                await asyncio.wait_for(cdp.wait_for("Page.loadEventFired"), 30)

                async def evaluate(expression: str) -> Any:
                    result = await cdp.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
                    return result["result"].get("value")

                title = await evaluate("document.title")
                charts = await evaluate(
                    "Array.from(document.querySelectorAll('svg.chart')).map(s => {"
                    " const r = s.getBoundingClientRect(); return [r.width, r.height, s.querySelectorAll('rect,text').length]; })"
                )
                headline = await evaluate("document.querySelector('.kpi .big').textContent.trim()")
                boxes = await evaluate("document.querySelectorAll('#parathed svg .box').length")
                shot = await cdp.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True)
                requested = [
                    e["params"]["request"]["url"]
                    for e in cdp.events
                    if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == session
                ]
                await cdp.call("Browser.close")
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

    assert title == "Talent Nord 2.0 – hold 2027 – status for styregruppen"
    assert len(charts) >= 8, charts
    assert all(width > 300 and height > 40 and elements > 3 for width, height, elements in charts), charts
    assert headline == "ikke startet"  # the clock is before the kick-off: no green 100 %
    assert boxes == 6
    png = base64.b64decode(shot["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    (tmp_path / "report.png").write_bytes(png)
    # the page itself is the only thing the browser asked for, and the server served nothing else
    assert [u for u in requested if not u.startswith("data:")] == [url]
    assert served == [url[url.index("/report/") :]]
