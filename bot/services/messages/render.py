"""A reply rendered as a message Activity with one Adaptive Card: the services' one place that renders cards."""

from __future__ import annotations

from typing import Any

import cards
from bot.services.reply import Reply


def card_message(reply: Reply, summary: str | None = None) -> dict[str, Any]:
    """The reply rendered as a message Activity carrying one Adaptive Card (summary shows in notifications).

    Without a summary the card's first text (its title) is used.
    """
    card = cards.render(reply.card, reply.data)
    text = summary if summary is not None else card["body"][0]["text"]
    return {"type": "message", "summary": text[:200], "attachments": [cards.attachment(card)]}
