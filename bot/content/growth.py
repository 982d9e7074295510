"""content/completion.yaml: what "complete" means and when the readiness card goes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.yamlfile import LineDict, load_yaml_file
from bot.domain.completion import CompletionRule, expand_required
from bot.domain.errors import FileError, FileErrors
from bot.domain.programme import Programme
from bot.domain.readiness import ReadinessTiming

COMPLETION_FILE = "completion.yaml"
# Without completion.yaml: every module, the kick-off and the closing are required.
DEFAULT_RULE_ITEMS = ("kickoff", "m1", "m2", "m3", "m4", "m5", "m6", "closing")


@dataclass(frozen=True)
class GrowthContent:
    """The completion rule and the readiness timing from content/completion.yaml."""

    rule: CompletionRule
    readiness: ReadinessTiming = field(default_factory=ReadinessTiming)


def parse_growth_content(data: Any, path: str, programme: Programme) -> GrowthContent:
    """Build the rule from parsed YAML; FileErrors with lines for every problem."""
    errors: list[FileError] = []

    def line(node: Any, key: str) -> int:
        return node.line_of(key) if isinstance(node, LineDict) else 0

    if not isinstance(data, dict):
        raise FileErrors([FileError(path, 1, "expected a mapping with 'completion' and 'readiness'")])
    block = data.get("completion")
    if not isinstance(block, dict):
        errors.append(FileError(path, line(data, "completion"), "'completion' must be a mapping with required and allowed_absences"))
        block = {}
    items = block.get("required", list(DEFAULT_RULE_ITEMS))
    if not isinstance(items, list) or not items:
        errors.append(FileError(path, line(block, "required"), "completion.required must be a non-empty list of activities"))
        items = []
    required, problems = expand_required(items, programme)
    errors += [FileError(path, line(block, "required"), f"completion.required: {p}") for p in problems]
    allowed = block.get("allowed_absences", 0)
    if isinstance(allowed, bool) or not isinstance(allowed, int) or allowed < 0:
        errors.append(FileError(path, line(block, "allowed_absences"), "completion.allowed_absences must be a whole number ≥ 0"))
        allowed = 0
    timing = ReadinessTiming()
    ready = data.get("readiness")
    if ready is not None:
        if not isinstance(ready, dict):
            errors.append(FileError(path, line(data, "readiness"), "'readiness' must be a mapping with after and days"))
        else:
            after = str(ready.get("after", timing.after))
            _, anchor_problems = expand_required([after], programme)
            if anchor_problems:
                errors.append(FileError(path, line(ready, "after"), f"readiness.after: {anchor_problems[0]}"))
            days = ready.get("days", timing.days)
            if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 90:
                errors.append(FileError(path, line(ready, "days"), "readiness.days must be a whole number of days from 0 to 90"))
                days = timing.days
            timing = ReadinessTiming(after, days)
    if errors:
        raise FileErrors(errors)
    return GrowthContent(CompletionRule(required, allowed), timing)


def load_growth_content(content_dir: Path, programme: Programme) -> GrowthContent:
    """content/completion.yaml, or the defaults (all modules, kick-off and closing; no absences) without it."""
    path = content_dir / COMPLETION_FILE
    if not path.exists():
        required, _ = expand_required(DEFAULT_RULE_ITEMS, programme)
        return GrowthContent(CompletionRule(required, 0))
    return parse_growth_content(load_yaml_file(path), str(path), programme)
