"""The development plan's parts other texts refer to: the apprentices (mesterlære) and the talent-environment plan."""

from __future__ import annotations

from typing import Any

APPRENTICE_TOPICS = ("leader-conversation",)  # nudges that name the apprentices once they are chosen (module 3)
APPRENTICES_FROM_OCCASION = 5  # the leader conversation after module 3, where the talent names them
ENVIRONMENT_TOPICS = ("buddy-meeting", "follow-up", "alumni")  # nudges after the closing seminar that follow up on its plan
ENVIRONMENT_FROM_OCCASION = {"buddy-meeting": 5, "follow-up": 1, "alumni": 1}


def apprentices_text(apprentices: list[dict[str, Any]] | None) -> str:
    """'Ida Holm (teamleder) og Bo Berg (sagsbehandler)', or '' when none are named."""
    names = [f"{a.get('name', '')} ({a.get('role', '')})" for a in apprentices or [] if a.get("name")]
    return " og ".join(names)


def shows_apprentices(topic: str, n: int) -> bool:
    """Whether a nudge occasion names the talent's apprentices (from the conversation after module 3 on)."""
    return topic in APPRENTICE_TOPICS and n >= APPRENTICES_FROM_OCCASION


def shows_environment(topic: str, n: int) -> bool:
    """Whether a nudge occasion follows up on the closing seminar's plan for local talent environments."""
    return topic in ENVIRONMENT_TOPICS and n >= ENVIRONMENT_FROM_OCCASION[topic]
