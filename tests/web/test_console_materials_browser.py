"""LEAD-konsol's Materialer in a real headless Chromium: a bad link shown at the field, fixed, previewed, confirmed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Material
from tests.support import Server
from tests.support.browser import NEEDS_CHROMIUM, SCREENSHOTS
from tests.support.console import LARS

pytestmark = NEEDS_CHROMIUM
STEP = "#mat-kickoff-intro"


async def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.locator("#materialer").screenshot(path=str(SCREENSHOTS / f"console-materials-{name}.png"))


async def _url(db: Database) -> str:
    async with db.sessions() as s:
        return str(await s.scalar(select(Material.url).where(Material.activity_key == "kickoff", Material.topic == "intro")))


async def test_admin_fixes_a_link_sees_the_preview_and_publishes(console_server: Server, db: Database, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 1024, "height": 900}, locale="da-DK")
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{console_server.url}/console?as={LARS}")
    before = await _url(db)
    await page.click("#materialer summary >> text=Kick-off")
    await page.fill("#m-kickoff-intro-url", "lead.dk/kickoff")
    await page.fill("#m-kickoff-intro-minutes", "12")
    await page.evaluate("document.querySelector('#m-kickoff-intro-url').type = 'text'")  # past the browser's own check
    await page.click(f"{STEP} >> text=Vis rettelsen")
    error = page.locator("#m-kickoff-intro-url-error")
    assert "Linket skal begynde med https://" in await error.inner_text()
    assert await _url(db) == before
    await _shot(page, "error")

    await page.fill("#m-kickoff-intro-url", "https://lead.dk/kickoff-intro")
    await page.click(f"{STEP} >> text=Vis rettelsen")
    preview = page.locator(f"{STEP} .material-preview")
    assert "intet er gemt endnu" in await preview.inner_text() and "https://lead.dk/kickoff-intro" in await preview.inner_text()
    assert await _url(db) == before
    await _shot(page, "preview")
    await page.click(f"{STEP} >> text=Bekræft og publicér")
    assert "Rettelsen er gemt og publiceret" in await page.locator("#materialer .notice-ok").inner_text()
    assert "Rettet i konsollen" in await page.locator(STEP).inner_text()
    assert await _url(db) == "https://lead.dk/kickoff-intro"
    await _shot(page, "published")
    assert not problems
    await context.close()
