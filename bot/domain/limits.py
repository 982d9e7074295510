"""The one table of field limits: the longest text (in characters) each stored field accepts."""

from __future__ import annotations

# Sized to the columns in bot/storage/models.py where they have one, else to what a card can show.
LIMITS: dict[str, int] = {
    "cohort name": 200,
    "venue": 300,
    "tenant": 64,
    "email": 254,  # RFC 5321's longest path
    "person name": 200,
    "organisation": 200,
    "area": 200,
    "plan text": 2000,  # each of a development plan's fields, and its notes
    "evaluation comment": 1000,
    "attendance note": 1000,
    "question": 2000,
    "answer": 4000,
    "broadcast": 4000,  # delivered whole as several text blocks (cards.chunks)
}


def too_long(field: str, value: str) -> str | None:
    """An English problem for file errors when value is over the field's limit, else None."""
    limit = LIMITS[field]
    return f"{field} is {len(value)} characters; at most {limit}" if len(value) > limit else None
