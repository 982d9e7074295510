"""content/report.yaml: the report's targets, time budget and the hours one held occasion counts for."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.yamlfile import LineDict, load_yaml_file
from bot.domain.errors import FileError, FileErrors

REPORT_FILE = "report.yaml"


@dataclass(frozen=True)
class ReportSettings:
    """Targets, the time budget and the hours one held occasion counts for."""

    completion_target: float = 0.95
    expectations_target: float = 0.80
    talent_days: float = 20.76
    leader_days: float = 3.0
    mentor_hours: float = 3.0
    talent_tracks: dict[str, float] = field(default_factory=lambda: {"common": 13.5, "group": 2.5, "digital": 2.25, "everyday": 2.51})
    hours_per_day: float = 8.0
    module_day: float = 1.0
    session_day: float = 0.5
    hours: dict[str, float] = field(
        default_factory=lambda: {
            "buddy-meeting": 1,
            "lederspejl": 8,
            "skyggepraktik": 8,
            "leader-conversation": 1,
            "leader-group": 3,
            "mentor": 1,
        }
    )


def parse_report_settings(data: Any, path: str) -> ReportSettings:
    """ReportSettings from parsed YAML; FileErrors with lines for every bad number."""
    base = ReportSettings()
    errors: list[FileError] = []
    if not isinstance(data, dict):
        raise FileErrors([FileError(path, 1, "expected a mapping with targets, budget, hours")])

    def number(node: Any, key: str, default: float, low: float, high: float, where: str) -> float:
        if not isinstance(node, dict) or key not in node:
            return default
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            line = node.line_of(key) if isinstance(node, LineDict) else 0
            errors.append(FileError(path, line, f"{where}.{key} must be a number from {low} to {high}"))
            return default
        return float(value)

    targets, budget, day_value = data.get("targets") or {}, data.get("budget") or {}, data.get("day_value") or {}
    hours_node = data.get("hours") or {}
    hours = dict(base.hours)
    for key in list(hours_node):
        if key not in hours:
            line = hours_node.line_of(key) if isinstance(hours_node, LineDict) else 0
            errors.append(FileError(path, line, f"hours: unknown occasion {key!r}; expected {', '.join(hours)}"))
        else:
            hours[key] = number(hours_node, key, hours[key], 0, 100, "hours")
    settings = ReportSettings(
        completion_target=number(targets, "completion", base.completion_target, 0, 1, "targets"),
        expectations_target=number(targets, "expectations", base.expectations_target, 0, 1, "targets"),
        talent_days=number(budget, "talent_days", base.talent_days, 0, 365, "budget"),
        leader_days=number(budget, "leader_days", base.leader_days, 0, 365, "budget"),
        mentor_hours=number(budget, "mentor_hours", base.mentor_hours, 0, 1000, "budget"),
        hours_per_day=number(data, "hours_per_day", base.hours_per_day, 1, 24, "report"),
        module_day=number(day_value, "module_day", base.module_day, 0, 2, "day_value"),
        session_day=number(day_value, "session", base.session_day, 0, 2, "day_value"),
        hours=hours,
    )
    if errors:
        raise FileErrors(errors)
    return settings


def load_report_settings(content_dir: Path) -> ReportSettings:
    """content/report.yaml, or the programme's own figures without it."""
    path = content_dir / REPORT_FILE
    return parse_report_settings(load_yaml_file(path), str(path)) if path.exists() else ReportSettings()
