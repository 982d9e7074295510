"""A cohort file (key, name, time zone, tenant, calendar, plan overrides), read and checked against the programme."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.content.yamlfile import LineDict, load_yaml_file
from bot.domain.calendar_checks import calendar_notes, local_time_problem, session_label
from bot.domain.cohort import COHORT_KEY_RE, CohortSpec, SessionSpec
from bot.domain.errors import FileError, FileErrors
from bot.domain.limits import too_long
from bot.domain.materials import STEP_OFFSETS
from bot.domain.placements import CHOICES as PLACEMENT_CHOICES
from bot.domain.programme import Programme


def _parse_local(value: Any, tz: ZoneInfo) -> datetime | None:
    """A local ISO date-time (or one with an offset) as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def _wall_clock(value: Any) -> datetime | None:
    """The value as written, when it is a date-time (for the DST check)."""
    try:
        return datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        return None


def _warnings(sessions: list[tuple[SessionSpec, int]], path: str, tz: ZoneInfo) -> tuple[str, ...]:
    """file:line notes on sessions that overlap, or fall on a weekend or a public holiday (shown, not refused)."""
    line_of = {id(session): line for session, line in sessions}
    out: list[str] = []
    for note in calendar_notes([session for session, _ in sessions], tz):
        label = session_label(note.session)
        if note.kind == "overlap" and note.other is not None:
            text = f"{label} overlaps {session_label(note.other)}"
        elif note.kind == "holiday":
            text = f"{label} is on a public holiday ({note.holiday}, {note.day})"
        else:
            text = f"{label} is on a {'Saturday' if note.day.weekday() == 5 else 'Sunday'} ({note.day})"
        out.append(str(FileError(path, line_of[id(note.session)], text)))
    return tuple(out)


def parse_cohort(data: Any, path: str, programme: Programme) -> CohortSpec:
    """Check a parsed cohort YAML document; raise FileErrors listing every problem."""
    errors: list[FileError] = []

    def err(node: Any, key: Any, message: str) -> None:
        errors.append(FileError(path, node.line_of(key) if isinstance(node, LineDict) else 0, message))

    if not isinstance(data, LineDict):
        raise FileErrors([FileError(path, 1, "expected a mapping with key, name, timezone and activities")])
    key = data.get("key")
    if not isinstance(key, str) or not COHORT_KEY_RE.match(key):
        err(data, "key", "key must be lower-case letters, digits and dashes (e.g. hold-2027)")
        key = ""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        err(data, "name", "name must be non-empty text")
        name = ""
    elif problem := too_long("cohort name", name.strip()):
        err(data, "name", problem)
    tz_name = data.get("timezone", "Europe/Copenhagen")
    try:
        tz = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        err(data, "timezone", f"unknown time zone {tz_name!r}")
        tz = ZoneInfo("Europe/Copenhagen")
    tenant = data.get("tenant")
    if tenant is not None and (not isinstance(tenant, str) or not tenant.strip()):
        err(data, "tenant", "tenant must be the tenant id as text")
        tenant = None
    elif tenant is not None and (problem := too_long("tenant", tenant.strip())):
        err(data, "tenant", problem)

    plan_settings: dict[str, Any] = {}
    if "send_time" in data:
        raw_time = str(data["send_time"])
        if not re.match(r"^(0[7-9]|1[0-5]):[0-5][0-9]$", raw_time):
            err(data, "send_time", 'send_time must be a working-hours time like "08:30" (07:00–15:59)')
        else:
            plan_settings["send_time"] = raw_time
    if "offsets_days" in data:
        offsets = data["offsets_days"]
        if not isinstance(offsets, LineDict):
            err(data, "offsets_days", "offsets_days must map intro/article/literature/reminder to days before")
        else:
            good = {}
            for step, days in offsets.items():
                if step not in STEP_OFFSETS:
                    err(offsets, step, f"offsets_days: unknown step {step!r}; expected {', '.join(STEP_OFFSETS)}")
                elif isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 90:
                    err(offsets, step, f"offsets_days.{step} must be a whole number of days from 0 to 90")
                else:
                    good[step] = days
            plan_settings["offsets_days"] = good
    if "placements" in data:
        chosen = data["placements"]
        if not isinstance(chosen, LineDict):
            err(data, "placements", "placements must map skyggepraktik and/or bootcamp to a module, e.g. {skyggepraktik: m3}")
        else:
            good_placements = {}
            for name, module in chosen.items():
                if name not in PLACEMENT_CHOICES:
                    err(chosen, name, f"placements: unknown {name!r}; expected {', '.join(PLACEMENT_CHOICES)}")
                elif module not in PLACEMENT_CHOICES[name]:
                    err(chosen, name, f"placements.{name} must be one of {', '.join(PLACEMENT_CHOICES[name])}")
                else:
                    good_placements[str(name)] = str(module)
            plan_settings["placements"] = good_placements
    if "steering_meetings" in data:
        days = data["steering_meetings"]
        good_days: list[str] = []
        if not isinstance(days, list):
            err(data, "steering_meetings", "steering_meetings must be a list of dates, e.g. [2027-03-01, 2027-06-14, 2027-11-22]")
        else:
            for value in days:
                try:
                    good_days.append(date.fromisoformat(str(value).strip()).isoformat())
                except ValueError:
                    err(data, "steering_meetings", f"steering_meetings: {value!r} is not a date (YYYY-MM-DD)")
        plan_settings["steering_meetings"] = sorted(good_days)
    unknown_top = set(data) - {
        "key",
        "name",
        "timezone",
        "tenant",
        "activities",
        "send_time",
        "offsets_days",
        "placements",
        "steering_meetings",
    }
    for extra in sorted(map(str, unknown_top)):
        err(data, extra, f"unknown field {extra!r}")

    sessions: list[SessionSpec] = []
    session_lines: list[tuple[SessionSpec, int]] = []
    activities = data.get("activities")
    if activities is None:
        activities = LineDict()
    if not isinstance(activities, LineDict):
        err(data, "activities", "activities must map each activity key to its dates")
        activities = LineDict()
    for akey, value in activities.items():
        try:
            activity = programme.activity(str(akey))
        except KeyError:
            err(activities, akey, f"unknown activity {akey!r}; expected one of {', '.join(programme.keys)}")
            continue
        parts: dict[str, Any]
        if activity.is_module:
            if not isinstance(value, LineDict) or set(value) != {"day1", "day2"}:
                err(activities, akey, f"{akey}: a module needs exactly day1 and day2, each with start, end, venue")
                continue
            parts = {"day1": value["day1"], "day2": value["day2"]}
            holder = value
        else:
            parts = {"main": value}
            holder = activities
        for part, block in parts.items():
            label = akey if part == "main" else f"{akey}.{part}"
            anchor = akey if part == "main" else part
            if not isinstance(block, LineDict):
                err(holder, anchor, f"{label}: expected start, end and venue")
                continue
            unknown = set(block) - {"start", "end", "venue"}
            if unknown:
                err(block, sorted(unknown)[0], f"{label}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
            start = _parse_local(block.get("start"), tz)
            end = _parse_local(block.get("end"), tz)
            if start is None:
                err(block, "start", f"{label}: start must be a date-time like 2027-01-14T09:00")
            if end is None:
                err(block, "end", f"{label}: end must be a date-time like 2027-01-14T16:00")
            for field in ("start", "end"):
                written = _wall_clock(block.get(field))
                problem = local_time_problem(written, tz) if written else None
                if problem:
                    err(block, field, f"{label}: {field} {problem}")
                    start, end = (None, end) if field == "start" else (start, None)
            if start and end and end <= start:
                err(block, "end", f"{label}: end must be after start")
            venue = block.get("venue", "")
            if not isinstance(venue, str):
                err(block, "venue", f"{label}: venue must be text")
                venue = ""
            elif problem := too_long("venue", venue.strip()):
                err(block, "venue", f"{label}: {problem}")
            if start and end:
                sessions.append(SessionSpec(str(akey), part, start, end, venue.strip()))
                session_lines.append((sessions[-1], block.line_of("start")))
        if activity.is_module and isinstance(value, LineDict):
            days = {s.part: s for s in sessions if s.activity_key == akey}
            if "day1" in days and "day2" in days and days["day2"].starts_at <= days["day1"].ends_at:
                err(value, "day2", f"{akey}: day2 must come after day1")
    if errors:
        raise FileErrors(errors)
    sessions.sort(key=lambda s: s.starts_at)
    return CohortSpec(
        key=key,
        name=name.strip(),
        timezone=tz.key,
        tenant=tenant,
        sessions=tuple(sessions),
        plan_settings=plan_settings or None,
        warnings=_warnings(session_lines, path, tz),
    )


def load_cohort(path: Path, programme: Programme) -> CohortSpec:
    """Read and check a cohort YAML file; FileErrors listing every problem."""
    return parse_cohort(load_yaml_file(path), str(path), programme)
