"""Log lines as the server writes them with LOG_FORMAT=json, captured for a test."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

from bot.logsetup import JsonLineFormatter
from bot.observe.context import ContextFilter


class JsonLines:
    """What a JSON log handler wrote: the raw text and each line parsed."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        """Every line as its JSON object (json.loads raises on a line that is not one)."""
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@contextlib.contextmanager
def json_logs(level: int = logging.INFO) -> Iterator[JsonLines]:
    """Within the block, every log record also goes through the JSON formatter into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield JsonLines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
