"""A talent's first week in a real Teams-like client: the Microsoft 365 Agents Playground.

The Playground's mock user is Anna Jensen (playground/m365agentsplayground.yml), a talent on the
demo roster. The steps run in order on one page; each asserts on what the page shows and saves
a screenshot under tests/e2e/screenshots/."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import REPO_ROOT
from bot.content.programme import load_programme
from bot.domain.danish import format_date
from bot.services.demo import demo_spec
from tests.e2e.client import TIMEOUT_MS, Chat

try:
    from playwright.sync_api import expect
except ImportError:  # the `requirements` fixture says so: a skip here, an error under CI
    expect = None  # type: ignore[assignment]

TIMEZONE = "Europe/Copenhagen"
QUESTION = "Hvor mange buddy-møder er der?"


def kickoff_date() -> str:
    """How the welcome card names the demo kick-off's day, e.g. 'mandag 7. december 2026'."""
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    spec = demo_spec(load_programme(REPO_ROOT / "content"), TIMEZONE, today)
    start = next(s.starts_at for s in spec.sessions if s.activity_key == "kickoff")
    return format_date(start.astimezone(ZoneInfo(TIMEZONE)).date())


def test_1_opening_the_personal_chat_shows_the_welcome_card(chat: Chat) -> None:
    # The Playground sends installationUpdate and conversationUpdate when the page opens; the bot
    # looks Anna up through the Playground's connector (getConversationMember) and greets her.
    welcome = chat.card("Velkommen til Talent Nord 2.0, Anna!")
    try:
        expect(welcome).to_be_visible(timeout=TIMEOUT_MS)
    except AssertionError:
        chat.shot("01-welcome")
        raise AssertionError(f"no welcome card for Anna\n{chat.problem()}") from None
    expect(welcome).to_contain_text("Talent på Demohold")
    expect(welcome).to_contain_text("nærmeste leder: Mette Kristensen")
    expect(welcome).to_contain_text("Det næste for dig")
    expect(welcome).to_contain_text("Kick-off")
    expect(welcome).to_contain_text(kickoff_date())
    expect(welcome.get_by_role("button", name="Hvad er det næste?")).to_be_visible()
    expect(chat.card("Det forstod jeg ikke helt")).to_have_count(0)
    chat.shot("01-welcome")


def test_2_hjaelp_shows_the_help_card(chat: Chat) -> None:
    help_card = chat.send("hjælp", "Det kan jeg hjælpe med")
    chat.shot("02-help")
    for command in ("næste", "materialer", "hjælp"):
        expect(help_card).to_contain_text(command)
    expect(help_card).to_contain_text("Dit bibliotek med forberedelsesmaterialer")


def test_3_naeste_shows_the_next_activity_and_its_preparation(chat: Chat) -> None:
    nxt = chat.send("næste", "Sådan forbereder du dig")
    chat.shot("03-next")
    expect(nxt).to_contain_text("Det næste for dig")
    expect(nxt).to_contain_text("Kick-off")
    expect(nxt).to_contain_text(kickoff_date())
    expect(nxt).to_contain_text("Formål")
    expect(nxt).to_contain_text("Sådan forbereder du dig")
    expect(nxt).to_contain_text("kort video eller podcast")


def test_4_material_card_mark_seen_updates_in_place_and_library_shows_it(chat: Chat) -> None:
    # The bot's own clock ticks once an hour in this suite, so this tick is what releases the
    # kick-off's intro (due 14 days before); the running server's sender sends it within a second.
    before = chat.cards.count()
    said = chat.tick()
    released = re.search(r"released (\d+) row", said)
    assert released and int(released.group(1)) >= 1, said
    material = chat.card("Forberedelse til kick-off'en: 1 af 3")
    try:
        expect(material).to_be_visible(timeout=TIMEOUT_MS)
        # everything this tick released (the intro, and whatever else fell due today) has arrived
        chat.page.wait_for_function(
            "([selector, n]) => document.querySelectorAll(selector).length >= n",
            arg=[".ac-adaptiveCard", before + int(released.group(1))],
            timeout=TIMEOUT_MS,
        )
    except Exception:
        chat.shot("04a-material")
        raise AssertionError(f"the intro card did not arrive after `tick`: {said}\n{chat.problem()}") from None
    expect(material).to_contain_text("0 af 3 set indtil nu")
    title = material.locator(".ac-textBlock").nth(1).inner_text().strip()
    assert title and "Forberedelse" not in title
    count = chat.cards.count()
    index = next(i for i in range(count) if "Forberedelse til kick-off'en: 1 af 3" in chat.cards.nth(i).inner_text())
    chat.shot("04a-material")

    material.get_by_role("button", name="Markér som set").click()
    updated = chat.cards.nth(index)  # the same card, replaced in place by the invoke response
    expect(updated).to_contain_text("Set ✔", timeout=TIMEOUT_MS)
    expect(updated).to_contain_text("1 af 3 set")
    expect(updated).to_contain_text(title)
    expect(updated.get_by_role("button", name="Markér som set")).to_have_count(0)
    expect(chat.cards).to_have_count(count)  # no new message: the card itself changed
    expect(chat.page.get_by_text(re.compile(r"invoke\s*200")).first).to_be_visible()  # the Playground's log panel
    chat.shot("04b-material-seen")

    library = chat.send("materialer", "Dit bibliotek")
    chat.shot("04c-library")
    expect(library).to_contain_text(re.compile(r"Kick-off \(1 af \d+ set\)"))
    expect(library).to_contain_text(title)
    expect(library).to_contain_text("✔")


def test_5_a_question_the_bot_knows_is_answered_with_its_source(chat: Chat) -> None:
    expect(chat.cards.filter(has_text="Fra:")).to_have_count(0)
    try:
        answer = chat.send(QUESTION, "Fra:")
    finally:
        chat.shot("05-question")
    expect(answer).to_contain_text(re.compile(r"buddy", re.IGNORECASE))
    expect(answer).not_to_contain_text("Det forstod jeg ikke helt")
