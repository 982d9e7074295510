"""The page helper and settings the e2e suite shares: the personal chat as a person sees it."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from playground.stack import Stack, run_cli

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"  # gitignored; CI keeps it as an artifact
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
# The flags this machine needs: no sandbox as root, no GPU, and no background calls to the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1100}
TIMEOUT_MS = 20_000


class Chat:
    """The personal chat with the bot as a person sees it in the Playground."""

    def __init__(self, page: Any, stack: Stack) -> None:
        self.page = page
        self.stack = stack
        self.cards = page.locator(".ac-adaptiveCard")

    def card(self, text: str | re.Pattern[str]) -> Any:
        """The newest card that shows this text."""
        return self.cards.filter(has_text=text).last

    def send(self, text: str, reply: str | re.Pattern[str]) -> Any:
        """Write a message as the user and press Enter; the new card that shows `reply`.

        Waiting for that text (not for "the next card") keeps a message the bot sends on its own in
        between from being taken for the answer."""
        from playwright.sync_api import expect

        answers = self.cards.filter(has_text=reply)
        before = answers.count()
        self.page.locator("[data-lexical-editor='true']").click()
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        try:
            expect(answers).not_to_have_count(before, timeout=TIMEOUT_MS)
        except AssertionError:
            raise AssertionError(f"no new card showing {reply!r} after writing {text!r}\n{self.problem()}") from None
        return answers.last

    def tick(self) -> str:
        """`python -m bot tick --now <the wall clock>` against the running bot's database."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        return run_cli(self.stack.env, "tick", "--now", now).stderr

    def shot(self, name: str) -> Path:
        """A screenshot of the page as it is now, under tests/e2e/screenshots/."""
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def problem(self) -> str:
        """For failure messages: whether a process died, and the cards on the page."""
        died = self.stack.died() or "bot and Playground still running"
        texts = [self.cards.nth(i).inner_text()[:160].replace("\n", " | ") for i in range(self.cards.count())]
        return f"{died}\ncards on the page:\n" + "\n".join(f"  [{i}] {t}" for i, t in enumerate(texts))
