"""The shape an inbound Activity must have before botbuilder and the handler touch it."""

from __future__ import annotations

from typing import Any

# Fields that, when present, must be JSON objects: botbuilder and the handler call .get() on them.
_OBJECTS = ("from", "recipient", "conversation", "channelData")
# Fields that, when present, must be lists of objects: botbuilder iterates them as models.
_LISTS_OF_OBJECTS = ("membersAdded", "membersRemoved", "entities", "attachments", "reactionsAdded", "reactionsRemoved")
# Parts of Teams' channelData that botbuilder deserialises as models.
_CHANNEL_DATA_OBJECTS = ("tenant", "team", "channel", "notification", "meeting", "settings")
# Accounts whose id botbuilder uses as a key or in a URL path.
_ACCOUNTS = ("from", "recipient", "conversation")


def activity_problem(payload: dict[str, Any]) -> str | None:
    """Why a parsed Activity cannot be processed (a short English reason), or None when it can."""
    for name in _OBJECTS:
        if name in payload and payload[name] is not None and not isinstance(payload[name], dict):
            return f"{name} must be an object"
    for name in _LISTS_OF_OBJECTS:
        value = payload.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(item, dict) for item in value)):
            return f"{name} must be a list of objects"
    for name in _ACCOUNTS:
        account = payload.get(name)
        if isinstance(account, dict) and "id" in account and not isinstance(account["id"], str):
            return f"{name}.id must be a string"
    channel_data = payload.get("channelData")
    if isinstance(channel_data, dict):
        for name in _CHANNEL_DATA_OBJECTS:
            if channel_data.get(name) is not None and not isinstance(channel_data[name], dict):
                return f"channelData.{name} must be an object"
        if channel_data.get("eventType") is not None and not isinstance(channel_data["eventType"], str):
            return "channelData.eventType must be a string"
    elif payload.get("type") == "conversationUpdate" and payload.get("channelId") == "msteams":
        return "a Teams conversationUpdate needs channelData"
    for name in ("text", "name", "serviceUrl", "replyToId", "channelId", "locale"):
        if payload.get(name) is not None and not isinstance(payload[name], str):
            return f"{name} must be a string"
    if payload.get("type") in ("message", "invoke"):
        # a reply goes from the recipient back to the sender
        for name in ("from", "recipient"):
            if not isinstance(payload.get(name), dict):
                return f"a {payload['type']} needs {name}"
    if payload.get("type") == "invoke" and payload.get("name") == "adaptiveCard/action":
        value = payload.get("value")
        if not isinstance(value, dict) or not isinstance(value.get("action"), dict):
            return "an adaptiveCard/action invoke needs value.action as an object"
    return None
