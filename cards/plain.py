"""Show someone else's free text as plain text: Teams markdown escaped, bidi controls removed."""

from __future__ import annotations

import re
from typing import Any

# Embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069) reorder what follows them on screen.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Characters that start links, emphasis, code, headings and quotes anywhere in Teams' markdown.
_INLINE = re.compile(r"([\\\[\]()*_#>`~])")
# A line that starts a list: "- x", "+ x" or "1. x" ("* x" is escaped above).
_BULLET_START = re.compile(r"^(\s*)([-+])", re.MULTILINE)
_NUMBER_START = re.compile(r"^(\s*\d+)\.", re.MULTILINE)


def plain(value: Any) -> Any:
    """Text with every markdown character backslash-escaped and bidi controls dropped; other values as they are."""
    if not isinstance(value, str):
        return value
    text = _INLINE.sub(r"\\\1", _BIDI.sub("", value))
    return _NUMBER_START.sub(r"\1\\.", _BULLET_START.sub(r"\1\\\2", text))


def chunks(value: Any, limit: int = 2000) -> list[Any]:
    """Text in consecutive pieces of at most `limit` characters, cut after a space or newline where one is near."""
    if not isinstance(value, str) or len(value) <= limit:
        return [value]
    parts: list[str] = []
    rest = value
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit)) + 1
        if cut < limit // 2:  # no break in the second half: cut mid-word rather than make tiny pieces
            cut = limit
        parts.append(rest[:cut])
        rest = rest[cut:]
    return parts + ([rest] if rest else [])
