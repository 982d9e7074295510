"""LEAD-konsol's person edit and scheduled broadcast forms in a real headless Chromium, at 1024 and 320 px wide."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Broadcast
from tests.support import Server
from tests.support.browser import NEEDS_CHROMIUM, SCREENSHOTS
from tests.support.console import ANNA, LARS, add_talents, leader_of

pytestmark = NEEDS_CHROMIUM
WIDTHS = [pytest.param(1024, id="wide"), pytest.param(320, id="320px")]
JENS = "jens.leder@rn.example"


async def _open(browser: Any, server: Server, width: int) -> tuple[Any, Any, list[str]]:
    context = await browser.new_context(viewport={"width": width, "height": 900}, locale="da-DK")
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{server.url}/console?as={LARS}")
    return context, page, problems


async def _shot(page: Any, section: str, name: str, width: int) -> None:
    """The section as SCREENSHOTS/console-<name>-<width>.png; at every step nothing scrolls sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.locator(section).screenshot(path=str(SCREENSHOTS / f"console-{name}-{width}.png"))
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
async def test_admin_finds_a_person_fixes_a_bad_leader_previews_and_saves(
    console_server: Server, db: Database, browser: Any, width: int
) -> None:
    context, page, problems = await _open(browser, console_server, width)
    await page.fill("#people-q", "anna")
    await page.click("#deltagere .people-search button")
    people = page.locator("#deltagere .people-list")
    assert await people.locator(".person-item").count() == 1
    assert "1 af 12 passer på »anna«" in await page.locator(".people-count").inner_text()
    await _shot(page, "#deltagere", "people-search", width)

    await page.click("text=Ret Anna Jensen")
    form = page.locator("#deltagere .person-edit")
    assert await page.locator("#deltagere .person-edit form.plan-form").count() == 1  # one form, Anna's
    await form.locator("input[name=leader]").fill("bo.talent@rn.example")
    await form.locator("text=Vis ændringen").click()
    error = page.locator("#deltagere .field-error")
    assert "står på holdet som talent. Vælg en nærmeste leder fra holdet." in await error.inner_text()
    leader = page.locator("#deltagere .person-edit input[name=leader]")
    assert await leader.get_attribute("aria-invalid") == "true"
    assert await leader.input_value() == "bo.talent@rn.example"  # what LEAD wrote stays, to be fixed
    assert await leader_of(db, ANNA) == "mette.leder@aalborg.example"
    await _shot(page, "#deltagere", "people-error", width)

    await leader.fill(JENS)
    await page.locator("#deltagere .person-edit").locator("text=Vis ændringen").click()
    preview = page.locator("#deltagere .person-edit .preview")
    text = await preview.inner_text()
    assert "intet er gemt endnu" in text and f"mette.leder@aalborg.example → {JENS}" in text
    assert await page.locator("#deltagere .field-error").count() == 0
    assert await leader_of(db, ANNA) == "mette.leder@aalborg.example"
    await _shot(page, "#deltagere", "people-preview", width)

    await preview.locator("text=Bekræft og gem").click()
    assert "Ændringen er gemt." in await page.locator("#deltagere .notice-ok").inner_text()  # where the confirm lands
    anna = page.locator("#deltagere .person-item", has_text="Anna Jensen")
    assert "Nærmeste leder: Jens Sørensen" in await anna.inner_text()  # the list shows the change
    assert await page.locator("#deltagere .person-edit").count() == 0  # and the form has closed
    assert "1 af 12 passer på »anna«" in await page.locator(".people-count").inner_text()  # on the search LEAD came from
    assert await leader_of(db, ANNA) == JENS
    await _shot(page, "#deltagere", "people-saved", width)
    await context.close()
    assert [p for p in problems if "status of 400" not in p] == []  # the refused preview answers 400 on purpose


@pytest.mark.parametrize("width", WIDTHS)
async def test_admin_schedules_a_broadcast_after_a_bad_time_then_cancels_it(
    console_server: Server, db: Database, browser: Any, width: int
) -> None:
    context, page, problems = await _open(browser, console_server, width)
    await page.select_option("#bc-role", "talent")
    await page.fill("#bc-text", "Husk at læse artiklen før modul 1.")
    await page.click("text=Vis beskeden")
    assert "Sådan ser kortet ud" in await page.locator(".card-preview").inner_text()

    await page.fill("#bc-at", "2027-03-28T02:30")  # the hour the clocks skip: the browser takes it, the server does not
    await page.get_by_role("button", name="Planlæg").click()
    error = page.locator("#bc-at-error")
    assert "Kl. 02.30 findes ikke den 28. marts 2027: uret springer frem." in await error.inner_text()
    assert await page.locator("#bc-at").get_attribute("aria-invalid") == "true"
    assert await page.locator("#bc-at").input_value() == "2027-03-28T02:30"
    assert "Husk at læse artiklen" in await page.locator(".card-preview").inner_text()  # the card is still there
    async with db.sessions() as s:
        assert list(await s.scalars(select(Broadcast))) == []
    await _shot(page, "#beskeder", "schedule-error", width)

    await page.fill("#bc-at", "2027-01-10T09:00")
    await page.get_by_role("button", name="Planlæg").click()
    await page.wait_for_url("**/console?**#beskeder")  # POST, then redirect to the section (no notice without tab.js)
    row = page.locator("#beskeder tr.broadcast-waiting")
    assert await row.count() == 1
    assert "Planlagt" in await row.inner_text() and "talenter" in await row.inner_text() and "10. januar 2027" in await row.inner_text()
    await _shot(page, "#beskeder", "schedule-listed", width)

    await row.get_by_role("button", name="Fortryd").click()
    await page.locator("#beskeder tr.broadcast-cancelled").wait_for()
    assert await page.locator("#beskeder tr.broadcast-waiting").count() == 0
    assert "Fortrudt" in await page.locator("#beskeder tr.broadcast-cancelled").inner_text()
    async with db.sessions() as s:
        assert [b.cancelled_at is not None and b.released_at is None for b in await s.scalars(select(Broadcast))] == [True]
    await _shot(page, "#beskeder", "schedule-cancelled", width)
    await context.close()
    assert [p for p in problems if "status of 400" not in p] == []  # the refused time answers 400 on purpose


@pytest.mark.parametrize("width", WIDTHS)
async def test_admin_pages_through_a_larger_cohort_and_filters_by_role(
    console_server: Server, db: Database, browser: Any, width: int
) -> None:
    await add_talents(db, 60)
    context, page, problems = await _open(browser, console_server, width)
    people = page.locator("#deltagere .person-item")
    assert await people.count() == 50 and "Side 1 af 2" in await page.locator(".pager").inner_text()
    await page.click("text=Næste →")
    assert await people.count() == 72 - 50 and "Side 2 af 2" in await page.locator(".pager").inner_text()
    assert page.url.endswith("#h-people") and "side=2" in page.url
    await _shot(page, "#deltagere", "people-page2", width)
    await page.click("text=← Forrige")
    assert await people.count() == 50 and "Side 1 af 2" in await page.locator(".pager").inner_text()

    await page.select_option("#people-role", "mentor")
    await page.click("#deltagere .people-search button")
    assert await people.count() == 1 and "Ole Andersen" in await people.inner_text()
    assert await page.locator(".pager").count() == 0 and "1 af 72 passer" in await page.locator(".people-count").inner_text()
    await _shot(page, "#deltagere", "people-role", width)
    await context.close()
    assert problems == []
