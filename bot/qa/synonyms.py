"""The synonym table of the question index (content/qa-synonyms.yaml): phrases, synonyms and exact word forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from bot.content.yamlfile import LineDict, load_yaml_file
from bot.domain.errors import FileError, FileErrors

SYNONYMS_FILE = Path(__file__).resolve().parents[2] / "content" / "qa-synonyms.yaml"
SECTIONS = ("phrases", "synonyms", "exact")


class SynonymTable(NamedTuple):
    """What text.py maps: multi-word phrases, stemmed synonyms and exact-form synonyms."""

    phrases: dict[tuple[str, ...], tuple[str, ...]]
    synonyms: dict[str, str]
    exact: dict[str, str]


def _section(data: LineDict, name: str, path: str, errors: list[FileError]) -> dict[str, str]:
    """One word -> word(s) mapping; every non-string key or value is an error at its line."""
    raw: Any = data.get(name)
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        errors.append(FileError(path, data.line_of(name), f"{name}: expected a mapping of words to words"))
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        # YAML reads 360 as a number: a bare number is a word here too
        if not isinstance(key, (str, int)) or not isinstance(value, (str, int)) or not str(value).strip():
            errors.append(FileError(path, raw.line_of(key), f"{name}: {key!r} needs a word, got {value!r}"))
            continue
        out[str(key).strip().lower()] = str(value).strip().lower()
    return out


def load_synonyms(path: Path = SYNONYMS_FILE) -> SynonymTable:
    """The table in a synonym file; FileErrors with file:line for every problem in it."""
    data: Any = load_yaml_file(path)
    if not isinstance(data, LineDict):
        raise FileErrors([FileError(str(path), 1, f"expected the sections {', '.join(SECTIONS)}")])
    errors: list[FileError] = []
    for key in data:
        if key not in SECTIONS:
            errors.append(FileError(str(path), data.line_of(key), f"unknown section {key!r}; expected {', '.join(SECTIONS)}"))
    phrases_raw = _section(data, "phrases", str(path), errors)
    synonyms = _section(data, "synonyms", str(path), errors)
    exact = _section(data, "exact", str(path), errors)
    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, value in phrases_raw.items():
        if len(key.split()) < 2:
            errors.append(FileError(str(path), data["phrases"].line_of(key), f"phrases: {key!r} is one word; put it under synonyms"))
            continue
        phrases[tuple(key.split())] = tuple(value.split())
    for name, table in (("synonyms", synonyms), ("exact", exact)):
        for key, value in table.items():
            if len(key.split()) != 1 or len(value.split()) != 1:
                errors.append(FileError(str(path), data[name].line_of(key), f"{name}: {key!r} -> {value!r} must be one word each"))
    if errors:
        raise FileErrors(errors)
    return SynonymTable(phrases, synonyms, exact)
