"""Logging to stderr for the server and the command line: text for a terminal, or one JSON object per line."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from bot.observe.context import ContextFilter

FORMATS = ("text", "json")
NOISY = ("aiohttp.access", "msrest", "msal", "urllib3", "alembic.runtime.migration", "apscheduler")

# Defence in depth: the code logs ids, never emails or tokens, but a library's exception text might.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_JWT = re.compile(r"eyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[\w.~+/=-]{8,}")


def scrub(text: str) -> str:
    """The text with email addresses and bearer/JWT tokens replaced by placeholders."""
    text = _BEARER.sub(r"\1 <token>", text)
    text = _JWT.sub("<token>", text)
    return _EMAIL.sub("<email>", text)


class TextFormatter(logging.Formatter):
    """The terminal format, with the correlation id (when there is one) and nothing secret."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """One line (plus a traceback when there is one), scrubbed."""
        line = super().format(record)
        correlation = getattr(record, "correlation_id", None)
        if correlation:
            head, sep, rest = line.partition(": ")
            line = f"{head} [{correlation}]{sep}{rest}"
        return scrub(line)


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, correlation_id, cohort, person_id and extras."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "error"},
            json_ensure_ascii=False,
        )

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        """The standard fields first, then the context (always present, null where unknown)."""
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)
        for name in ("correlation_id", "cohort", "person_id"):
            log_data.setdefault(name, getattr(record, name, None))

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line, scrubbed (the scrub keeps it valid JSON: it only swaps word characters)."""
        return scrub(super().format(record))


def formatter_for(fmt: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT `text` or `json`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}")
    return JsonLineFormatter() if fmt == "json" else TextFormatter()


def setup_logging(level: str = "INFO", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Send logs to stderr (or `stream`) in the chosen format; quieten chatty libraries.

    Like logging.basicConfig, it leaves a root logger that someone else configured alone (a test
    runner's capture, an embedding host) unless a stream is given; a second call replaces its own handler."""
    formatter = formatter_for(fmt)
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "talentnord", False)]
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if stream is None and root.handlers and not ours:
        return
    for old in ours:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.talentnord = True  # type: ignore[attr-defined]  # marks the handler this function owns
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level)
