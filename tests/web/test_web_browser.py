"""The 'Mit forløb' tab in a real headless Chromium (local mode): timeline, preparation, 'Markér som set', themes."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app import CORE
from bot.config import Settings
from bot.storage.db import Database
from tests.support import NOW, Clock, Server, seed, start_server
from tests.support.browser import NEEDS_CHROMIUM, SCREENSHOTS, screenshot

ANNA = "anna.talent@aalborg.example"
MIRROR = "mette.leder@aalborg.example"
pytestmark = NEEDS_CHROMIUM


@pytest.fixture
async def tab_server(db: Database, programme: Any, settings: Settings) -> AsyncIterator[Server]:
    """The real app on loopback with the example cohort planned and paired."""
    await seed(db, programme)
    server = await start_server(settings, Clock(NOW))
    core = server.app[CORE]
    await core.buddies.suggest("hold-2027")
    await core.planner.replan("hold-2027")
    yield server
    await server.close()


async def _shot(page: Any, name: str) -> None:
    await screenshot(page, f"tab-{name}")
    await page.screenshot(path=str(SCREENSHOTS / f"tab-{name}-top.png"))  # what fits the screen, at full size


async def test_talent_tab_marks_seen_keeps_it_and_follows_the_dark_theme(tab_server: Server, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 1024, "height": 900}, locale="da-DK")
    page = await context.new_page()
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    await page.goto(f"{tab_server.url}/tab?as={ANNA}")

    assert await page.title() == "Mit forløb – Talent Nord 2.0"
    here = page.locator(".timeline [aria-current=step]")
    assert await here.count() == 1
    assert "Kick-off" in await here.inner_text() and "Du er her" in await here.inner_text()
    assert "tirsdag 12. januar 2027 kl. 09.00–12.30" in await here.inner_text()
    assert await page.locator(".timeline > li").count() == 9  # every activity a talent takes part in
    kickoff = page.locator("#prep-kickoff")
    assert await kickoff.locator(".step").count() == 3
    assert await kickoff.locator(".badge-ready").inner_text() == "Klar"
    assert (await kickoff.locator(".badge-coming").first.inner_text()).startswith("Kommer ")
    await _shot(page, "talent-light")
    # screen readers: one h1, no skipped heading level, every field labelled, landmarks present
    levels = await page.evaluate("Array.from(document.querySelectorAll('h1,h2,h3,h4')).map(h => +h.tagName[1])")
    assert levels.count(1) == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    assert await page.evaluate(
        "Array.from(document.querySelectorAll('textarea, input:not([type=hidden])')).every(f => f.labels.length > 0)"
    )
    assert await page.locator("main").count() == 1 and await page.locator("nav[aria-label]").count() == 1
    await page.keyboard.press("Tab")  # the skip link comes first and shows when focused
    assert await page.evaluate("document.activeElement.textContent") == "Spring til indholdet"

    await kickoff.get_by_role("button", name="Markér som set").click()
    await page.wait_for_url("**/tab?as=*#forberedelse")
    assert (await kickoff.locator(".step").first.locator(".badge").inner_text()).startswith("Set ✔")
    await page.reload()
    assert (await page.locator("#prep-kickoff .step").first.locator(".badge").inner_text()).startswith("Set ✔")
    assert await page.locator("#prep-kickoff").get_by_role("button", name="Markér som set").count() == 0
    assert "15 min" in await page.locator(".budget").inner_text()  # the opened intro counts against the budget

    await page.goto(f"{tab_server.url}/tab?as={ANNA}&theme=dark")
    assert await page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(31, 31, 31)", background
    await _shot(page, "talent-dark")
    await page.goto(f"{tab_server.url}/tab?as={ANNA}&theme=contrast")
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    await _shot(page, "talent-contrast")

    # Teams mobile: nothing wider than the screen
    await page.set_viewport_size({"width": 320, "height": 800})
    await page.goto(f"{tab_server.url}/tab?as={ANNA}")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
    await _shot(page, "talent-320")

    await page.goto(f"{tab_server.url}/tab?as={MIRROR}")
    await page.get_by_role("link", name="Anna Jensen").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Anna Jensen"
    assert await page.locator("#samtale li").count() == 4  # the programme's questions for the conversation
    await _shot(page, "leader-talent-320")
    await context.close()

    assert problems == []  # no CSP violation, no script error
    assert all(url.startswith(tab_server.url) for url in requested), [u for u in requested if not u.startswith(tab_server.url)]
