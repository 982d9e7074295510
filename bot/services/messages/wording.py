"""Filling the Danish texts of content/ for one reader: placeholders and the reader's role."""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter
from typing import Any

from bot.storage.models import Membership


class _Keep(dict[str, Any]):
    """Leaves an unknown {placeholder} as it is, so a typo in content/ shows instead of crashing a send."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: Mapping[str, Any]) -> str:
    """The text with its {placeholders} filled from values."""
    return Formatter().vformat(text, (), _Keep(values))


def reader_role(recipient_id: int, talent_id: int, membership: Membership | None) -> str:
    """Who reads a nudge about this talent: the talent (or a buddy), their leader or their mentor."""
    if membership is not None and recipient_id != talent_id:
        if membership.mentor_id == recipient_id and membership.leader_id != recipient_id:
            return "mentor"
        if membership.leader_id == recipient_id:
            return "leader"
    return "talent"
