"""content/nudges.yaml: the group and everyday tracks' nudges, read and checked into Nudges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.fields import FieldChecker
from bot.content.yamlfile import LineDict, load_yaml_file
from bot.domain.errors import FileError, FileErrors
from bot.domain.nudges import ANCHOR_RE, NUDGE_TOPICS, READER_ROLES, RECIPIENTS, NudgeDef, Nudges, Occasion
from bot.domain.programme import Programme

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
            by_role=_parse_for(block, where, check),
            once_per_person=block.get("once_per_person") is True,
        )
    if check.errors:
        raise FileErrors(check.errors)
    final = data.get("final_evaluation") or LineDict()
    final_texts = (
        {k: check.text(final, k, "final_evaluation", required=False) for k in ("title", "text", "question")}
        if isinstance(final, LineDict)
        else {}
    )
    if check.errors:
        raise FileErrors(check.errors)
    return Nudges(
        definitions, reminder_after_days=reminder_days, skyggepraktik_module=shadow, final={k: v for k, v in final_texts.items() if v}
    )


def _parse_for(block: LineDict, where: str, check: FieldChecker) -> dict[str, tuple[str, str]]:
    """`for: {leader: {title: …, text: …}}`: wording for one recipient role where the shared one reads wrong."""
    raw = block.get("for")
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        check.error(block, "for", f"{where}: for must map roles ({', '.join(READER_ROLES)}) to a title and/or text")
        return {}
    out: dict[str, tuple[str, str]] = {}
    for role, wording in raw.items():
        if role not in READER_ROLES or not isinstance(wording, LineDict):
            check.error(raw, role, f"{where}.for: {role!r} must be one of {', '.join(READER_ROLES)} with title and/or text")
            continue
        out[str(role)] = (
            check.text(wording, "title", f"{where}.for.{role}", required=False),
            check.text(wording, "text", f"{where}.for.{role}", required=False),
        )
    return out


def _parse_occasion(occ: LineDict, where: str, check: FieldChecker, programme: Programme, shadow: str) -> Occasion | None:
    allowed = {"after", "before", "days", "months", "until", "note", "after_each_activity", "text"}
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
    own_text = occ.get("text", "")
    if not isinstance(own_text, str):
        check.error(occ, "text", f"{where}: text must be text")
        ok = False
    if not ok:
        return None
    return Occasion(anchor, direction, numbers["days"], numbers["months"], str(until) if until else None, note, text=own_text.strip())


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
