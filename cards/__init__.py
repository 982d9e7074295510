"""Adaptive Cards: Jinja2 templates that render JSON, every value JSON-escaped."""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.domain.text import drop_controls
from cards.plain import chunks, plain

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_CARD_BYTES = 27 * 1024  # Teams refuses a message above ~28 KB; the activity around the card needs the rest
MAX_TEXT = 2000  # longest single text we show; longer user text is cut with an ellipsis
# When a card is still too large, every text is cut shorter, step by step, until it fits.
_TEXT_STEPS = (MAX_TEXT, 1000, 500, 250, 120)
_text_limit: ContextVar[int] = ContextVar("card_text_limit", default=MAX_TEXT)


class CardTooLarge(ValueError):
    """A rendered card would exceed the Teams message size limit."""


def _json_value(value: Any) -> str:
    # Every {{ expression }} is emitted as a JSON literal, so no template can forget to escape.
    if isinstance(value, str):
        value = drop_controls(value)  # control characters show as nothing but cost six bytes each in JSON
        limit = _text_limit.get()
        if len(value) > limit:
            value = value[: limit - 1] + "…"
    return json.dumps(value, ensure_ascii=False)


def _raw(value: Any) -> _Raw:
    return _Raw(value)


class _Raw(str):
    """Template text that is already JSON (used only for literal fragments)."""


def _finalize(value: Any) -> str:
    return str(value) if isinstance(value, _Raw) else _json_value(value)


_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    undefined=StrictUndefined,
    autoescape=False,
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    auto_reload=False,  # templates ship with the code: no stat() of the file on every render
)
_env.filters["raw"] = _raw


def _short(value: str, limit: int) -> str:
    """Cut text to `limit` characters with an ellipsis (for list cards that must stay small)."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


_env.filters["short"] = _short
_env.filters["plain"] = plain  # for every field that shows someone else's free text
_env.filters["chunks"] = lambda value, limit=MAX_TEXT: chunks(value, limit)  # long texts as several blocks, none cut


def template_names() -> list[str]:
    """Every card template's name, without the .json.j2 suffix."""
    return sorted(p.name[: -len(".json.j2")] for p in TEMPLATES_DIR.glob("*.json.j2"))


def render(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Render a card template to an Adaptive Card dict, texts cut shorter until it fits; CardTooLarge if it cannot."""
    size = 0
    for limit in _TEXT_STEPS:
        token = _text_limit.set(limit)
        try:
            text = _env.get_template(f"{name}.json.j2").render(**data)
        finally:
            _text_limit.reset(token)
        try:
            card = json.loads(text)
        except json.JSONDecodeError as exc:  # a template bug, not user input: say where
            raise ValueError(f"card template {name} rendered invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        size = len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
        if size <= MAX_CARD_BYTES:
            return card
    raise CardTooLarge(f"card {name} is {size} bytes even with texts cut to {_TEXT_STEPS[-1]} (limit {MAX_CARD_BYTES})")


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    """Wrap a card as a Bot Framework attachment."""
    return {"contentType": CARD_CONTENT_TYPE, "content": card}
