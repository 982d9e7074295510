"""FieldChecker: reads fields from line-numbered YAML mappings and collects file:line errors."""

from __future__ import annotations

from typing import Any

from bot.content.yamlfile import LineDict
from bot.domain.errors import FileError


class FieldChecker:
    """Collects errors while reading fields from LineDicts."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[FileError] = []

    def error(self, node: Any, key: Any, message: str) -> None:
        """Record a problem at the line of key in node (0 when node has no lines)."""
        line = node.line_of(key) if isinstance(node, LineDict) else 0
        self.errors.append(FileError(self.path, line, message))

    def text(self, node: LineDict, key: str, where: str, required: bool = True) -> str:
        """The stripped text at key; records an error (and gives '') when it is missing or not text."""
        value = node.get(key)
        if value is None:
            if required:
                self.error(node, key, f"{where}: '{key}' mangler (missing)")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(node, key, f"{where}: '{key}' must be non-empty text")
            return ""
        return value.strip()
