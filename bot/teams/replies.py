"""Replies within a turn, posted as JSON through the bot's own pooled Bot Connector client.

botbuilder's TurnContext.send_activity deep-copies the activity, msrest-serialises the whole card,
builds a connector client and msrest-deserialises the answer: about a third of a turn's CPU here.
A reply is one POST of JSON we already have, so it goes the way proactive sends go.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.delivery.connector import ConnectorClient, SendResult
from bot.delivery.retry import backoff

log = logging.getLogger(__name__)

# An interactive reply may wait a little for Teams, never long: the user is looking at the chat.
ATTEMPTS = 3
MAX_WAIT_SECONDS = 4.0


class ReplyFailed(RuntimeError):
    """Teams did not take the reply after the allowed attempts."""


def _without_nulls(value: Any) -> Any:
    """Drop None fields (as msrest does): clients such as the Agents Playground reject a null locale."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def reply_body(incoming: Activity, attachment: dict[str, Any]) -> dict[str, Any]:
    """The reply activity as botbuilder's apply_conversation_reference would address it."""
    conversation = incoming.conversation
    return _without_nulls(
        {
            "type": "message",
            "attachments": [attachment],
            "from": {"id": incoming.recipient.id, "name": incoming.recipient.name},
            "recipient": {"id": incoming.from_property.id, "name": incoming.from_property.name},
            "conversation": {
                "id": conversation.id,
                "conversationType": conversation.conversation_type,
                "tenantId": conversation.tenant_id,
                "isGroup": conversation.is_group,
            },
            "channelId": incoming.channel_id,
            "serviceUrl": incoming.service_url,
            "replyToId": incoming.id,
            "locale": incoming.locale,
            "inputHint": "acceptingInput",
        }
    )


def _wait_before_retry(result: SendResult, attempt: int) -> float | None:
    """Seconds to wait before the next attempt, or None when retrying cannot help."""
    if result.status == 429:
        return min(result.retry_after if result.retry_after is not None else 1.0, MAX_WAIT_SECONDS)
    if result.status == 0 or result.status == 412 or result.status >= 500:
        # timeouts, conflicts and server errors pass; no jitter: a reply is one request, not a herd
        return backoff(attempt, base=0.25, cap=MAX_WAIT_SECONDS, jitter=False)
    return None  # 4xx: the same request fails again


class DirectReplies:
    """Sends a turn's replies; retries what Teams asks us to retry, then raises ReplyFailed."""

    def __init__(self, client: ConnectorClient) -> None:
        self.client = client

    async def send(self, ctx: TurnContext, attachment: dict[str, Any]) -> str | None:
        """Post one reply to the incoming activity; returns the id Teams gave it."""
        incoming = ctx.activity
        body = reply_body(incoming, attachment)
        for attempt in range(ATTEMPTS):
            result = await self.client.reply(incoming.service_url, incoming.conversation.id, incoming.id or "", body)
            if 200 <= result.status < 300:
                ctx.responded = True
                return result.activity_id
            wait = _wait_before_retry(result, attempt)
            if wait is None or attempt == ATTEMPTS - 1:
                break
            log.info("reply got %s, retrying in %.2f s", result.status or result.error, wait)
            await asyncio.sleep(wait)
        raise ReplyFailed(f"reply not accepted: status {result.status} ({result.error or 'no detail'})")
