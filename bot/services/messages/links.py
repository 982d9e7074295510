"""Teams deep links that open a new meeting or a (group) chat with people filled in."""

from __future__ import annotations

from urllib.parse import quote

TEAMS_MEETING_URL = "https://teams.microsoft.com/l/meeting/new"
TEAMS_CHAT_URL = "https://teams.microsoft.com/l/chat/0/0"


def meeting_link(subject: str, attendees: list[str], content: str = "") -> str:
    """A Teams deep link that opens a new meeting with attendees and subject filled in."""
    url = f"{TEAMS_MEETING_URL}?subject={quote(subject)}&attendees={quote(','.join(attendees), safe=',@')}"
    return url + (f"&content={quote(content)}" if content else "")


def chat_link(users: list[str], topic: str = "") -> str:
    """A Teams deep link that opens a (group) chat with these people."""
    url = f"{TEAMS_CHAT_URL}?users={quote(','.join(users), safe=',@')}"
    return url + (f"&topicName={quote(topic)}" if topic and len(users) > 1 else "")
