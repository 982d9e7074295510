"""What a service answers with: a card template's name and its data, rendered only at the edges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A card to show: template name and its data (the turn, the invoke answer or the outbox renders it)."""

    card: str
    data: dict[str, Any] = field(default_factory=dict)


def notice(title: str, text: str, sender: str | None = None) -> Reply:
    """A titled text card (refusals, confirmations, broadcasts)."""
    return Reply("notice", {"title": title, "text": text, "sender": sender})
