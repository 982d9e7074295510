"""content/materials.yaml: the digital track's preparation per activity, read and checked into Materials."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

from bot.content.fields import FieldChecker
from bot.content.programme import load_programme
from bot.content.yamlfile import LineDict, load_yaml_file
from bot.domain.errors import FileError, FileErrors
from bot.domain.materials import STEP_OFFSETS, TOPIC_KINDS, TOPICS, Material, Materials, Sequence, Timing
from bot.domain.programme import ROLES, Programme

MATERIALS_FILE = "materials.yaml"


def parse_materials(data: Any, path: str, programme: Programme) -> Materials:
    """Build Materials from parsed YAML; raise FileErrors listing every problem."""
    check = FieldChecker(path)
    if not isinstance(data, LineDict):
        raise FileErrors([FileError(path, 1, "expected a mapping with 'defaults' and 'activities'")])
    timing = _parse_timing(data.get("defaults"), data, check)
    raw = data.get("activities")
    sequences: dict[str, Sequence] = {}
    if not isinstance(raw, LineDict):
        check.error(data, "activities", "'activities' must map activity keys to their sequences")
        raw = LineDict()
    for akey, block in raw.items():
        where = f"activities.{akey}"
        if akey not in programme.keys:
            check.error(raw, akey, f"{where}: unknown activity; expected one of {', '.join(programme.keys)}")
            continue
        if not isinstance(block, LineDict):
            check.error(raw, akey, f"{where}: expected audience, steps and reminder")
            continue
        audience = block.get("audience")
        if not isinstance(audience, list) or not audience or not all(r in ROLES for r in audience):
            check.error(block, "audience", f"{where}: audience must be a list of roles from {', '.join(ROLES)}")
            audience = []
        steps_raw = block.get("steps")
        steps: list[Material] = []
        if not isinstance(steps_raw, list):
            check.error(block, "steps", f"{where}: steps must be a list of intro, article and literature")
            steps_raw = []
        for index, step in enumerate(steps_raw):
            swhere = f"{where}.steps[{index + 1}]"
            if not isinstance(step, LineDict):
                check.error(block, "steps", f"{swhere}: expected a mapping")
                continue
            topic = step.get("topic")
            expected = TOPICS[index] if index < len(TOPICS) else None
            if expected is None or topic != expected:  # a step past the last topic: an error, not a KeyError below
                check.error(step, "topic", f"{swhere}: topic must be {expected!r} here (order: {', '.join(TOPICS)})")
                continue
            topic = expected  # the same value, now known to be a str
            kind = step.get("kind")
            if kind not in TOPIC_KINDS[topic]:
                check.error(step, "kind", f"{swhere}: kind for {topic} must be {' or '.join(TOPIC_KINDS[topic])}")
            url = check.text(step, "url", swhere)
            if url and not url.startswith("https://"):
                check.error(step, "url", f"{swhere}: url must start with https://")
            minutes = step.get("minutes")
            if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 600:
                check.error(step, "minutes", f"{swhere}: minutes must be a whole number from 1 to 600")
                minutes = 0
            steps.append(
                Material(
                    activity_key=akey,
                    topic=topic,
                    kind=kind if isinstance(kind, str) else "",
                    title=check.text(step, "title", swhere),
                    url=url,
                    minutes=minutes,
                    description=check.text(step, "description", swhere),
                )
            )
        if isinstance(steps_raw, list) and len(steps_raw) != len(TOPICS):
            check.error(block, "steps", f"{where}: expected exactly {len(TOPICS)} steps ({', '.join(TOPICS)})")
        reminder = check.text(block, "reminder", where)
        sequences[akey] = Sequence(akey, tuple(audience), tuple(steps), reminder)
    if check.errors:
        raise FileErrors(check.errors)
    ordered = {k: sequences[k] for k in programme.keys if k in sequences}
    return Materials(timing, ordered)


def _parse_timing(raw: Any, parent: LineDict, check: FieldChecker) -> Timing:
    if raw is None:
        return Timing()
    if not isinstance(raw, LineDict):
        check.error(parent, "defaults", "defaults must be a mapping with send_time and offsets_days")
        return Timing()
    return parse_timing(raw, check) or Timing()


def parse_timing(raw: LineDict, check: FieldChecker, base: Timing | None = None) -> Timing | None:
    """send_time and offsets_days from a mapping (programme defaults or a cohort's overrides)."""
    base = base or Timing()
    ok = True
    send_time = base.send_time
    if "send_time" in raw:
        try:
            send_time = time.fromisoformat(str(raw["send_time"]))
            if not time(7, 0) <= send_time <= time(16, 0):
                raise ValueError
        except ValueError:
            check.error(raw, "send_time", 'send_time must be a time in working hours, e.g. "08:30" (07:00–16:00)')
            ok = False
    offsets = dict(base.offsets_days)
    given = raw.get("offsets_days", {})
    if not isinstance(given, dict):
        check.error(raw, "offsets_days", "offsets_days must map intro/article/literature/reminder to days")
        return None
    for name, days in given.items():
        if name not in STEP_OFFSETS:
            check.error(given, name, f"offsets_days: unknown step {name!r}; expected {', '.join(STEP_OFFSETS)}")
            ok = False
        elif isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 90:
            check.error(given, name, f"offsets_days.{name} must be a whole number of days from 0 to 90")
            ok = False
        else:
            offsets[name] = days
    return Timing(offsets, send_time) if ok else None


def load_materials(content_dir: Path, programme: Programme) -> Materials:
    """Load content/materials.yaml; FileErrors on any problem."""
    path = content_dir / MATERIALS_FILE
    return parse_materials(load_yaml_file(path), str(path), programme)


def load_content(content_dir: Path) -> tuple[Programme, Materials]:
    """Programme and materials together, errors from both files reported at once."""
    programme = load_programme(content_dir)
    return programme, load_materials(content_dir, programme)
