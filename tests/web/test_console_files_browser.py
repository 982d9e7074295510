"""LEAD-konsol's Filer in a real headless Chromium: a wrong type refused in Danish, an upload, 320 px in dark theme."""

from __future__ import annotations

from typing import Any

from tests.support import ANNA, Server
from tests.support.browser import NEEDS_CHROMIUM, screenshot
from tests.support.console import LARS
from tests.support.files import HTML_AS_PDF, office

pytestmark = NEEDS_CHROMIUM


async def _shot(page: Any, name: str) -> None:
    await screenshot(page, f"console-{name}")


async def test_admin_uploads_a_conversation_guide_and_the_talent_finds_it(console_server: Server, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 320, "height": 800}, locale="da-DK", color_scheme="dark")
    page = await context.new_page()
    await page.goto(f"{console_server.url}/console?as={LARS}&theme=dark")
    await page.set_input_files("#file-file", files=[{"name": "guide.pdf", "mimeType": "application/pdf", "buffer": HTML_AS_PDF}])
    await page.click("#filer button[type=submit]")
    assert "Filtypen er ikke tilladt" in await page.locator("#file-error").inner_text()
    await _shot(page, "files-refused")

    await page.fill("#file-title", "Samtaleguide til samtale 1")
    await page.select_option("#file-attach", "nudge:leader-conversation")
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    await page.set_input_files("#file-file", files=[{"name": "guide.docx", "mimeType": docx, "buffer": office("docx")}])
    await page.click("#filer button[type=submit]")
    listed = page.locator(".files")
    assert "Samtaleguide til samtale 1" in await listed.inner_text()
    assert "Samtaler med nærmeste leder" in await listed.inner_text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling at 320 px
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")  # the dark theme is on
    await _shot(page, "files-uploaded-narrow-dark")

    tab = await context.new_page()
    await tab.goto(f"{console_server.url}/tab?as={ANNA}&theme=dark")
    assert "Samtaleguide til samtale 1" in await tab.locator("body").inner_text()
    await _shot(tab, "files-in-library")
    await context.close()
