"""LEAD-konsol in a real headless Chromium (local mode): upload with a bad line, fix, confirm, health, broadcast."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Broadcast
from tests.support import Server
from tests.support.browser import NEEDS_CHROMIUM, screenshot
from tests.support.console import BAD_TALENT, LARS, NEW_TALENT, ROSTER, members

pytestmark = NEEDS_CHROMIUM


async def _shot(page: Any, name: str) -> None:
    await screenshot(page, f"console-{name}")


def _file(text: str, name: str = "deltagere.csv") -> dict[str, Any]:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}


async def test_admin_uploads_fixes_confirms_and_composes_a_broadcast(console_server: Server, db: Database, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 1024, "height": 900}, locale="da-DK")
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{console_server.url}/console?as={LARS}")
    assert await page.title() == "LEAD-konsol – Talent Nord 2.0"
    health = page.locator("#klar")
    assert "Ikke klar" in await health.inner_text()
    assert "5 talenter uden buddygruppe" in await health.inner_text()
    await _shot(page, "health")
    before = await members(db)

    await page.set_input_files("#roster-file", files=[_file(ROSTER + BAD_TALENT)])
    await page.click("text=Vis ændringer")
    errors = page.locator(".errors")
    assert "Linje 14:" in await errors.inner_text() and "Filen blev ikke gemt" in await errors.inner_text()
    assert await members(db) == before
    await _shot(page, "roster-error")

    await page.set_input_files("#roster-file", files=[_file(ROSTER + NEW_TALENT)])
    await page.click("text=Vis ændringer")
    preview = page.locator(".preview").first
    assert "Tilføjes (1)" in await preview.inner_text() and "Freja Holm" in await preview.inner_text()
    assert await members(db) == before
    await _shot(page, "roster-preview")
    await page.click("text=Bekræft og gem")
    assert "Deltagerlisten er gemt" in await page.locator(".notice-ok").inner_text()
    assert await members(db) == before + 1
    assert "6 talenter uden buddygruppe" in await page.locator("#klar").inner_text()  # the health changed
    await _shot(page, "roster-saved")

    await page.select_option("#bc-role", "leader")
    await page.fill("#bc-text", "Husk kick-off tirsdag kl. 9 i Aalborg.\nVel mødt!")
    await page.click("text=Vis beskeden")
    card = page.locator(".card-preview")
    assert "Sådan ser kortet ud" in await card.inner_text() and "Vel mødt!" in await card.inner_text()
    assert "Besked fra LEAD til" in await card.inner_text()
    await _shot(page, "broadcast-preview")
    await page.click("text=Send nu")
    sent = page.locator("#beskeder")
    assert "Kan ikke nås: 4" in await sent.inner_text()
    async with db.sessions() as session:
        (text,) = list(await session.scalars(select(Broadcast.text)))
    assert text == "Husk kick-off tirsdag kl. 9 i Aalborg.\nVel mødt!"  # the line break survives the preview
    await _shot(page, "broadcast-sent")

    narrow = await browser.new_context(viewport={"width": 320, "height": 700}, locale="da-DK")
    small = await narrow.new_page()
    await small.goto(f"{console_server.url}/console?as={LARS}")
    assert await small.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling at 320 px
    await _shot(small, "narrow")
    await narrow.close()
    await context.close()
    assert [p for p in problems if "status of 400" not in p] == []  # the bad upload answers 400 on purpose
