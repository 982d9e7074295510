"""content/programme.yaml: the programme's activities, read and checked into a Programme."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.fields import FieldChecker
from bot.content.yamlfile import LineDict, load_yaml_file
from bot.domain.errors import FileError, FileErrors
from bot.domain.programme import ACTIVITY_FORMATS, ACTIVITY_KEYS, ROLES, Activity, Programme

PROGRAMME_FILE = "programme.yaml"


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
            definite=check.text(raw, "definite", where, required=False),
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
