"""Free text as it comes in: one sanitiser for every input edge and linear markup stripping."""

from __future__ import annotations

import re
from typing import Any

# A chat message longer than this is cut at the turn's start: no command or question needs more,
# and every later step (markup, classification, retrieval) then works on a bounded string.
MAX_TURN_CHARS = 8000
# Classification only looks at the start of a message: a command is a few words.
MAX_CLASSIFY_CHARS = 4000

# C0 and C1 controls, DEL, and the Unicode non-characters; tab and newline are text. NUL is among
# them (PostgreSQL refuses it in text columns). A lone \r becomes a newline below.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def drop_controls(text: str) -> str:
    """Text without control characters and NUL; tab, newline and carriage return kept as they are."""
    return _CONTROL_RE.sub("", text)


def clean(text: Any, limit: int | None = None) -> str:
    """Free text without control characters (tab and newline kept), cut to limit characters."""
    if text is None:
        return ""
    text = str(text)
    if limit is not None:
        text = text[: limit * 2]  # bound the work before cleaning; controls removed may shorten it
    text = drop_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    return text[:limit] if limit is not None else text


def clean_value(value: Any, limit: int = MAX_TURN_CHARS) -> Any:
    """A card submit's value with every string cleaned (nested dicts and lists too)."""
    if isinstance(value, str):
        return clean(value, limit)
    if isinstance(value, dict):
        return {clean(k, 200): clean_value(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v, limit) for v in value]
    return value


def strip_mentions(text: str, replacement: str = " ") -> str:
    """Text with every <at>…</at> (case-insensitive) replaced; linear, unlike a lazy regex."""
    lower = text.lower()
    out: list[str] = []
    pos = 0
    while True:
        start = lower.find("<at>", pos)
        if start < 0:
            break
        end = lower.find("</at>", start + 4)
        if end < 0:  # no closing tag after this one means none after any later one either
            break
        out.append(text[pos:start])
        out.append(replacement)
        pos = end + 5
    out.append(text[pos:])
    return "".join(out)


def strip_tags(text: str, replacement: str = " ") -> str:
    """Text with every <…> tag replaced (what `<[^>]+>` matches), in one pass."""
    out: list[str] = []
    pos = scan = 0
    while True:
        start = text.find("<", scan)
        if start < 0:
            break
        end = text.find(">", start + 1)
        if end < 0:  # no '>' after this '<' means no tag can start later either
            break
        if end == start + 1:  # "<>" is no tag; look on from the '>'
            scan = end
            continue
        out.append(text[pos:start])
        out.append(replacement)
        pos = scan = end + 1
    out.append(text[pos:])
    return "".join(out)
