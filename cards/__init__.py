"""Adaptive Cards: Jinja2 templates that render JSON, every value JSON-escaped."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from cards.plain import chunks, plain

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_CARD_BYTES = 80 * 1024  # Teams rejects messages much above ~100 KB; keep a margin
MAX_TEXT = 2000  # longest single text we show; longer user text is cut with an ellipsis


class CardTooLarge(ValueError):
    """A rendered card would exceed the Teams message size limit."""


def _json_value(value: Any) -> str:
    # Every {{ expression }} is emitted as a JSON literal, so no template can forget to escape.
    if isinstance(value, str) and len(value) > MAX_TEXT:
        value = value[: MAX_TEXT - 1] + "…"
    return json.dumps(value, ensure_ascii=False)


def _raw(value: Any) -> "_Raw":
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
    """Render a card template to an Adaptive Card dict; CardTooLarge if over the limit."""
    text = _env.get_template(f"{name}.json.j2").render(**data)
    try:
        card = json.loads(text)
    except json.JSONDecodeError as exc:  # a template bug, not user input: say where
        raise ValueError(f"card template {name} rendered invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    size = len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    if size > MAX_CARD_BYTES:
        raise CardTooLarge(f"card {name} is {size} bytes (limit {MAX_CARD_BYTES})")
    return card


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    """Wrap a card as a Bot Framework attachment."""
    return {"contentType": CARD_CONTENT_TYPE, "content": card}
