"""The answers to an Action.Execute invoke: a card in place, a message to the clicker, or an error."""

from __future__ import annotations

from typing import ClassVar

from botbuilder.schema import AdaptiveCardInvokeResponse

import cards
from bot.services.reply import Reply

UNKNOWN_ACTION_DA = "Ukendt handling på kortet."


class _MessageResponse(AdaptiveCardInvokeResponse):
    """An invoke answer whose value is a message text (botbuilder's model only serialises a dict there)."""

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        **AdaptiveCardInvokeResponse._attribute_map,
        "value": {"key": "value", "type": "object"},
    }


def card_response(reply: Reply) -> AdaptiveCardInvokeResponse:
    """Replace the clicked card with the reply, rendered."""
    return AdaptiveCardInvokeResponse(status_code=200, type=cards.CARD_CONTENT_TYPE, value=cards.render(reply.card, reply.data))


def message_response(text: str) -> AdaptiveCardInvokeResponse:
    """Show a message to the person who clicked; the card stays as it is."""
    return _MessageResponse(status_code=200, type="application/vnd.microsoft.activity.message", value=text)


def error_response(message: str = UNKNOWN_ACTION_DA, status: int = 400, code: str = "BadRequest") -> AdaptiveCardInvokeResponse:
    """The error object Teams documents for a card action that failed."""
    return AdaptiveCardInvokeResponse(
        status_code=int(status), type="application/vnd.microsoft.error", value={"code": code, "message": message}
    )
