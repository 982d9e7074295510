"""Loads and checks content/ into domain objects, with file:line errors."""
from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

from bot.domain.errors import FileError, FileErrors
from bot.domain.nudges import ANCHOR_RE, NUDGE_TOPICS, RECIPIENTS, NudgeDef, Nudges, Occasion
from bot.domain.materials import STEP_OFFSETS, TOPIC_KINDS, TOPICS, Material, Materials, Sequence, Timing
from bot.domain.programme import ACTIVITY_FORMATS, ACTIVITY_KEYS, ROLES, Activity, Programme
from bot.yamlfile import LineDict, load_yaml_file

PROGRAMME_FILE = "programme.yaml"


class FieldChecker:
    """Collects errors while reading fields from LineDicts."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[FileError] = []

    def error(self, node: Any, key: Any, message: str) -> None:
        line = node.line_of(key) if isinstance(node, LineDict) else 0
        self.errors.append(FileError(self.path, line, message))

    def text(self, node: LineDict, key: str, where: str, required: bool = True) -> str:
        value = node.get(key)
        if value is None:
            if required:
                self.error(node, key, f"{where}: '{key}' mangler (missing)")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(node, key, f"{where}: '{key}' must be non-empty text")
            return ""
        return value.strip()


def parse_programme(data: Any, path: str) -> Programme:
    """Build a Programme from parsed YAML; raise FileErrors listing every problem."""
    check = FieldChecker(path)
    if not isinstance(data, LineDict):
        raise FileErrors([FileError(path, 1, "expected a mapping with 'programme' and 'activities'")])
    head = data.get("programme")
    if not isinstance(head, LineDict):
        check.error(data, "programme", "'programme' must be a mapping with key and name")
        head = LineDict()
    key = check.text(head, "key", "programme")
    name = check.text(head, "name", "programme")
    months = head.get("library_months_after_end", 12)
    if isinstance(months, bool) or not isinstance(months, int) or months < 0:
        check.error(head, "library_months_after_end", "library_months_after_end must be a whole number ≥ 0")
        months = 12

    raw_activities = data.get("activities")
    activities: list[Activity] = []
    if not isinstance(raw_activities, list) or not raw_activities:
        check.error(data, "activities", "'activities' must be a non-empty list")
        raw_activities = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_activities, start=1):
        where = f"activity #{index}"
        if not isinstance(raw, LineDict):
            check.error(data, "activities", f"{where} must be a mapping")
            continue
        akey = check.text(raw, "key", where)
        if akey:
            where = f"activity '{akey}'"
            if akey not in ACTIVITY_KEYS:
                check.error(raw, "key", f"{where}: unknown key; expected one of {', '.join(ACTIVITY_KEYS)}")
            if akey in seen:
                check.error(raw, "key", f"{where}: defined twice")
            seen.add(akey)
        fmt = raw.get("format")
        if fmt not in ACTIVITY_FORMATS:
            check.error(raw, "format", f"{where}: format must be one of {', '.join(ACTIVITY_FORMATS)}")
        participants = raw.get("participants")
        if not isinstance(participants, list) or not participants or not all(p in ROLES for p in participants):
            check.error(raw, "participants", f"{where}: participants must be a list of roles from {', '.join(ROLES)}")
            participants = []
        competence_no = raw.get("competence_no")
        if competence_no is not None and (
            isinstance(competence_no, bool) or not isinstance(competence_no, int) or not 1 <= competence_no <= 6
        ):
            check.error(raw, "competence_no", f"{where}: competence_no must be 1–6")
            competence_no = None
        is_module = fmt == "module"
        if is_module and competence_no is None:
            check.error(raw, "key", f"{where}: a module needs competence_no (1–6) and competence")
        activity = Activity(
            key=akey,
            name=check.text(raw, "name", where),
            format=fmt if isinstance(fmt, str) else "",
            duration=check.text(raw, "duration", where),
            participants=tuple(participants),
            participants_text=check.text(raw, "participants_text", where),
            purpose=check.text(raw, "purpose", where),
            content=check.text(raw, "content", where),
            outcome=check.text(raw, "outcome", where),
            competence_no=competence_no,
            competence=check.text(raw, "competence", where, required=competence_no is not None),
            day1=check.text(raw, "day1", where, required=is_module),
            day2=check.text(raw, "day2", where, required=is_module),
            bring=check.text(raw, "bring", where, required=False),
        )
        activities.append(activity)
    missing = [k for k in ACTIVITY_KEYS if k not in seen]
    if raw_activities and missing:
        check.error(data, "activities", f"activities missing: {', '.join(missing)}")
    elif raw_activities and [a.key for a in activities] != list(ACTIVITY_KEYS):
        check.error(data, "activities", f"activities must be in programme order: {', '.join(ACTIVITY_KEYS)}")
    if check.errors:
        raise FileErrors(check.errors)
    extra = {k: v for k, v in data.items() if k not in ("programme", "activities")}
    return Programme(
        key=key,
        name=name,
        activities=tuple(activities),
        library_months_after_end=months,
        extra=extra,
    )


def load_programme(content_dir: Path) -> Programme:
    """Load content/programme.yaml into a Programme; FileErrors on any problem."""
    path = content_dir / PROGRAMME_FILE
    return parse_programme(load_yaml_file(path), str(path))


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
            if topic != expected:
                check.error(step, "topic", f"{swhere}: topic must be {expected!r} here (order: {', '.join(TOPICS)})")
                continue
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
            check.error(raw, "send_time", "send_time must be a time in working hours, e.g. \"08:30\" (07:00–16:00)")
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


NUDGES_FILE = "nudges.yaml"


def parse_nudges(data: Any, path: str, programme: Programme) -> Nudges:
    """Build Nudges from parsed YAML; raise FileErrors listing every problem."""
    check = FieldChecker(path)
    if not isinstance(data, LineDict):
        raise FileErrors([FileError(path, 1, "expected a mapping with 'defaults' and 'nudges'")])
    defaults = data.get("defaults") or LineDict()
    reminder_days = defaults.get("reminder_after_days", 7) if isinstance(defaults, dict) else 7
    if isinstance(reminder_days, bool) or not isinstance(reminder_days, int) or not 1 <= reminder_days <= 60:
        check.error(defaults, "reminder_after_days", "reminder_after_days must be a whole number of days from 1 to 60")
        reminder_days = 7
    shadow = defaults.get("skyggepraktik_module", "m4") if isinstance(defaults, dict) else "m4"
    modules = [a.key for a in programme.activities if a.is_module]
    if shadow not in modules:
        check.error(defaults, "skyggepraktik_module", f"skyggepraktik_module must be one of {', '.join(modules)}")
        shadow = "m4"
    raw = data.get("nudges")
    definitions: dict[str, NudgeDef] = {}
    if not isinstance(raw, LineDict):
        check.error(data, "nudges", "'nudges' must map nudge topics to their definitions")
        raw = LineDict()
    for topic, block in raw.items():
        where = f"nudges.{topic}"
        if topic not in NUDGE_TOPICS:
            check.error(raw, topic, f"{where}: unknown nudge; expected one of {', '.join(NUDGE_TOPICS)}")
            continue
        if not isinstance(block, LineDict):
            check.error(raw, topic, f"{where}: expected to, title, text and occasions")
            continue
        to = block.get("to")
        if not isinstance(to, list) or not to or not all(r in RECIPIENTS for r in to):
            check.error(block, "to", f"{where}: to must be a list from {', '.join(RECIPIENTS)}")
            to = []
        questions = block.get("questions", [])
        if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
            check.error(block, "questions", f"{where}: questions must be a list of texts")
            questions = []
        occasions = []
        raw_occasions = block.get("occasions")
        if not isinstance(raw_occasions, list):
            check.error(block, "occasions", f"{where}: occasions must be a list (may be empty)")
            raw_occasions = []
        for index, occ in enumerate(raw_occasions, start=1):
            owhere = f"{where}.occasions[{index}]"
            if not isinstance(occ, LineDict):
                check.error(block, "occasions", f"{owhere}: expected a mapping like {{after: m1.day2, days: 7}}")
                continue
            parsed = _parse_occasion(occ, owhere, check, programme, shadow)
            if parsed is not None:
                occasions.append(parsed)
        definitions[topic] = NudgeDef(
            topic=topic,
            to=tuple(to),
            title=check.text(block, "title", where),
            text=check.text(block, "text", where),
            meeting_subject=check.text(block, "meeting_subject", where, required=False),
            questions=tuple(q.strip() for q in questions),
            occasions=tuple(occasions),
        )
    if check.errors:
        raise FileErrors(check.errors)
    return Nudges(definitions, reminder_after_days=reminder_days, skyggepraktik_module=shadow)


def _parse_occasion(occ: LineDict, where: str, check: FieldChecker, programme: Programme, shadow: str) -> Occasion | None:
    allowed = {"after", "before", "days", "months", "until", "note", "after_each_activity"}
    for extra in sorted(set(map(str, occ)) - allowed):
        check.error(occ, extra, f"{where}: unknown field {extra!r}")
    if occ.get("after_each_activity") is True:
        days = occ.get("days", 0)
        return Occasion("", "after", days if isinstance(days, int) else 0, each_activity=True)
    if ("after" in occ) == ("before" in occ):
        check.error(occ, "after", f"{where}: give exactly one of after: or before:")
        return None
    direction = "after" if "after" in occ else "before"
    anchor = str(occ[direction])
    ok = _check_anchor(occ, direction, anchor, where, check, programme, shadow)
    until = occ.get("until")
    if until is not None:
        ok = _check_anchor(occ, "until", str(until), where, check, programme, shadow) and ok
    numbers = {}
    for name in ("days", "months"):
        value = occ.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 400:
            check.error(occ, name, f"{where}: {name} must be a whole number ≥ 0")
            ok = False
        numbers[name] = value
    note = occ.get("note", "")
    if not isinstance(note, str):
        check.error(occ, "note", f"{where}: note must be text")
        ok = False
    if not ok:
        return None
    return Occasion(anchor, direction, numbers["days"], numbers["months"], str(until) if until else None, note)


def _check_anchor(occ: LineDict, field_name: str, anchor: str, where: str, check: FieldChecker, programme: Programme, shadow: str) -> bool:
    match = ANCHOR_RE.match(anchor.replace("{skyggepraktik_module}", shadow))
    if not match or match["activity"] not in programme.keys:
        check.error(occ, field_name, f"{where}: {field_name} {anchor!r} must be an activity key, optionally .main/.day1/.day2")
        return False
    activity = programme.activity(match["activity"])
    part = match["part"]
    if part and part not in activity.parts:
        check.error(occ, field_name, f"{where}: {activity.key} has no {part} (it has {', '.join(activity.parts)})")
        return False
    return True


def load_nudges(content_dir: Path, programme: Programme) -> Nudges:
    """Load content/nudges.yaml; FileErrors on any problem."""
    path = content_dir / NUDGES_FILE
    return parse_nudges(load_yaml_file(path), str(path), programme)
