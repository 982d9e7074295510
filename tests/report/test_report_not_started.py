"""Before the first required activity has passed, the report says 'ikke startet', never a green 100 %."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import cards
from app import CORE
from bot.report.html import render_html
from bot.storage.db import Database
from tests.fakes.connector import card_text
from tests.support import NOW, Clock, seed, start_server

AFTER_KICKOFF = datetime(2027, 1, 13, 9, 0, tzinfo=UTC)  # the kick-off is 12 January 2027


async def test_completion_is_not_started_until_the_first_required_session_has_passed(db: Database, settings: Any, programme: Any) -> None:
    await seed(db, programme)
    clock = Clock(NOW)
    server = await start_server(settings, clock)
    try:
        reports = server.app[CORE].reports
        before = await reports.build("hold-2027")
        assert before.talents == 5 and before.completion_rate == 1.0 and not before.started
        status = cards.render("status_summary", await reports.status("hold-2027"))
        text = card_text(status)
        assert "ikke startet" in text and "100 %" not in text
        assert _colour_of(status, "ikke startet") == "Default"
        page = render_html(before)
        assert "ikke startet" in page and 'class="big good"' not in page
        clock.now = AFTER_KICKOFF
        after = await reports.build("hold-2027")
        assert after.started and after.completion_label == "100 %"
        assert 'class="big good"' in render_html(after)
    finally:
        await server.close()


def _colour_of(node: Any, text: str) -> str | None:
    """The colour of the TextBlock showing text, anywhere in the card."""
    if isinstance(node, dict):
        if node.get("type") == "TextBlock" and node.get("text") == text:
            return node.get("color")
        node = list(node.values())
    if isinstance(node, list):
        return next((c for n in node if (c := _colour_of(n, text)) is not None), None)
    return None
