"""What goes into the chat (messages from talents) and what comes out (replies as cards)."""

from __future__ import annotations

from typing import Any

import cards
from bot.services.reply import Reply
from tests.fakes.connector import FakeConnector
from tests.support.reference import teams_activity


def personal_message(text: str, connector: FakeConnector, **over: Any) -> dict[str, Any]:
    """The recorded personal-chat message, aimed at our fake connector, with new text."""
    activity = teams_activity("message-personal-chat-recorded", text=text, serviceUrl=connector.url, **over)
    return activity


def message_from(email: str, text_: str, connector: FakeConnector, n: int) -> dict[str, Any]:
    """A personal-chat message from user n (email), in their own chat `a:conversation-<n>`."""
    activity = personal_message(text_, connector)
    activity["from"] = {"id": f"29:user-{n}", "name": email, "aadObjectId": f"00000000-0000-0000-0000-{n:012d}"}
    activity["conversation"] = {**activity["conversation"], "id": f"a:conversation-{n}"}
    connector.know(activity["from"], email)
    return activity


def rendered(reply: Reply) -> dict[str, Any]:
    """A service's reply as the card Teams would show (services return data; the edges render)."""
    return cards.render(reply.card, reply.data)


def card_strings(node: Any) -> list[str]:
    """Every string in a card's JSON, depth first."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in card_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in card_strings(v)]
    return []
