"""YAML loading that remembers line numbers, and line-numbered errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.domain.errors import FileError, FileErrors
from bot.domain.text import clean


class LineDict(dict):
    """A mapping from YAML that knows the line of itself and of each key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        """The line where key stands, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


MAX_DEPTH = 64  # far beyond any real content file; deeper nesting would exhaust Python's recursion


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are LineDicts and whose nesting is bounded."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose as usual, refusing nesting deeper than MAX_DEPTH before recursion can fail."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: _LineLoader | _FastLineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark
            ) from None
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


# YAML 1.1 reads 10:30 as the base-60 number 630 (but 08:30 as text); like YAML 1.2, no base 60 here,
# so an unquoted time of day stays the text it looks like.
_NO_BASE_60 = {
    "tag:yaml.org,2002:int": re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    "tag:yaml.org,2002:float": re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
}


# "\0" and "\x07" escapes are valid YAML; no file of ours means them, and PostgreSQL refuses NUL.
def _construct_str(loader: _LineLoader | _FastLineLoader, node: yaml.ScalarNode) -> str:
    return clean(loader.construct_scalar(node))


try:
    from yaml import CSafeLoader as _CSafeLoader
except ImportError:  # PyYAML built without libyaml: FAST is False and _FastLineLoader is never used
    _CSafeLoader = yaml.SafeLoader  # type: ignore[misc,assignment]
FAST = yaml.__with_libyaml__  # without libyaml (a pure-Python PyYAML build) every parse takes the line-tracking path


class _FastLineLoader(_CSafeLoader):
    """The same LineDicts and values, with libyaml composing the nodes in C (7–9× faster than _LineLoader).

    libyaml's nodes carry the same line marks, so the fast path keeps every line number; only its error
    messages differ, so on any error load_yaml_text parses again with _LineLoader and reports that error."""

    def get_single_data(self) -> Any:
        """Compose in C, refuse nesting deeper than MAX_DEPTH, then construct with the LineDict constructors."""
        node = self.get_single_node()
        if node is None:
            return None
        if _too_deep(node, 1, set()):
            raise _TooDeep
        return self.construct_document(node)


class _TooDeep(Exception):
    """The fast path met nesting deeper than MAX_DEPTH; _LineLoader reports it with its line."""


def _too_deep(node: yaml.Node, depth: int, seen: set[int]) -> bool:
    """Whether a node nests deeper than MAX_DEPTH, counted as _LineLoader.compose_node counts (an alias once more)."""
    if depth > MAX_DEPTH:
        return True
    if id(node) in seen:  # an alias: its node was measured where its anchor stands (anchors may even recurse)
        return False
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        return any(_too_deep(child, depth + 1, seen) for child in node.value)
    if isinstance(node, yaml.MappingNode):
        return any(_too_deep(part, depth + 1, seen) for pair in node.value for part in pair)
    return False


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor("tag:yaml.org,2002:str", _construct_str)  # a str tag is always on a scalar node
    # Dates stay strings: the domain parses them itself and reports with the line.
    _loader.yaml_implicit_resolvers = {
        k: [(tag, _NO_BASE_60.get(tag, rx)) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def load_yaml_text(text: str, path: str, *, fast: bool = True) -> Any:
    """Parse YAML text into LineDicts that know their lines; a syntax error becomes a FileErrors with its line.

    fast=False (or no libyaml) parses with the pure-Python _LineLoader alone; the result is the same."""
    if fast and FAST:
        try:
            return yaml.load(text, Loader=_FastLineLoader)
        except Exception:  # whatever failed, _LineLoader parses again and decides: the same error text and line as ever
            pass
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise FileErrors([FileError(path, line, f"YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise FileErrors([FileError(path, 0, f"YAML: {exc}")]) from None


def load_yaml_file(path: Path) -> Any:
    """Read and parse a YAML file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileErrors([FileError(str(path), 0, f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise FileErrors([FileError(str(path), 0, "is not UTF-8 text")]) from None
    return load_yaml_text(text, str(path))
