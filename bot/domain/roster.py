"""Roster CSV rows: parsed and checked, with line numbers."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from bot.domain.errors import FileError, FileErrors
from bot.domain.limits import too_long
from bot.domain.programme import LEVELS, ROLES
from bot.domain.text import clean

REQUIRED_COLUMNS = ("email", "name", "role", "organisation", "level", "leader_email", "mentor_email")
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")


@dataclass(frozen=True)
class RosterRow:
    """One role of one person, as given on one line of the roster file."""

    line: int
    email: str
    name: str
    role: str
    organisation: str
    level: str | None
    leader_email: str | None
    mentor_email: str | None
    area: str | None = None  # optional column: the unit within the organisation


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space."""
    return email.strip().lower()


def parse_roster(text: str, path: str) -> list[RosterRow]:
    """Parse the roster CSV; raise FileErrors listing every bad line."""
    if text.startswith("\ufeff"):  # Excel writes a BOM
        text = text[1:]
    text = clean(text)  # control characters in a cell are never meant (and PostgreSQL refuses NUL)
    header_line = text.split("\n", 1)[0]  # Danish Excel saves CSV with ';': the header says which
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    errors: list[FileError] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise FileErrors([FileError(path, 1, "the file is empty; expected the header " + ",".join(REQUIRED_COLUMNS))]) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise FileErrors([FileError(path, 1, f"header lacks column(s): {', '.join(missing)}")])
    index = {name: header.index(name) for name in REQUIRED_COLUMNS}
    rows: list[RosterRow] = []
    seen: dict[tuple[str, str], int] = {}
    names: dict[str, tuple[str, int]] = {}
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) < len(header):
            errors.append(FileError(path, line, f"expected {len(header)} columns, found {len(fields)}"))
            continue

        def get(column: str, fields: list[str] = fields) -> str:
            return fields[index[column]].strip()

        email = normalise_email(get("email"))
        name, role, level = get("name"), get("role").lower(), get("level").lower() or None
        leader = normalise_email(get("leader_email")) or None
        mentor = normalise_email(get("mentor_email")) or None
        problems: list[str] = []
        if not EMAIL_RE.match(email):
            problems.append(f"email {get('email')!r} is not an email address")
        if not name:
            problems.append("name is empty")
        area_text = fields[header.index("area")].strip() if "area" in header else ""
        for field, value in (("email", email), ("person name", name), ("organisation", get("organisation")), ("area", area_text)):
            if problem := too_long(field, value):
                problems.append(problem)
        if role not in ROLES:
            problems.append(f"role {get('role')!r} is not one of {', '.join(ROLES)}")
        if role == "talent":
            if level not in LEVELS:
                problems.append(f"a talent needs level {' or '.join(LEVELS)}; got {get('level')!r}")
            if not leader:
                problems.append("a talent needs leader_email (their nearest leader)")
        elif level is not None and level not in LEVELS:
            problems.append(f"level {get('level')!r} is not one of {', '.join(LEVELS)}")
        for label, other in (("leader_email", leader), ("mentor_email", mentor)):
            if other and not EMAIL_RE.match(other):
                problems.append(f"{label} {other!r} is not an email address")
            elif other and other == email:
                problems.append(f"{label} is the person themself")
        if (email, role) in seen:
            problems.append(f"{email} with role {role} is already on line {seen[(email, role)]}")
        if email in names and names[email][0] != name:
            problems.append(f"{email} has another name on line {names[email][1]} ({names[email][0]!r})")
        for problem in problems:
            errors.append(FileError(path, line, problem))
        if not problems:
            seen[(email, role)] = line
            names.setdefault(email, (name, line))
            area = fields[header.index("area")].strip() if "area" in header else ""
            rows.append(RosterRow(line, email, name, role, get("organisation"), level, leader, mentor, area or None))
    if errors:
        raise FileErrors(errors)
    return rows
