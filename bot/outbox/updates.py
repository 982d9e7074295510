"""Outbox rows that replace a message the bot posted earlier (a card updated in place) instead of posting."""

from __future__ import annotations

from typing import Any

from bot.delivery.connector import ConnectorClient, SendResult

# An outbox payload with this key is PUT over that activity id; the key itself never goes to Teams.
REPLACES = "replacesActivityId"
# The status a replace that found no message gets: not the conversation's fault, so not a 403/404,
# which would mark the whole channel unreachable; the sender dead-letters it with an error log.
MESSAGE_GONE = 410


def replacing(payload: dict[str, Any], activity_id: str) -> dict[str, Any]:
    """The payload as an outbox row that updates activity_id in place."""
    return {**payload, REPLACES: activity_id}


async def deliver(client: ConnectorClient, service_url: str, conversation_id: str, payload: dict[str, Any]) -> SendResult:
    """POST the payload as a new message, or PUT it over the message it replaces."""
    target = payload.get(REPLACES)
    if not isinstance(target, str) or not target:
        return await client.send(service_url, conversation_id, payload)
    body = {key: value for key, value in payload.items() if key != REPLACES}
    result = await client.update(service_url, conversation_id, target, body)
    if result.status in (403, 404):
        return SendResult(MESSAGE_GONE, error=f"message to update is gone ({result.status}) {result.error or ''}"[:300])
    return result
