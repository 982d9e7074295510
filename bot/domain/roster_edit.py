"""Editing one person of a roster in place: the change asked for, applied to their row and checked like an import."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.domain.programme import LEVEL_NAMES_DA, LEVELS, ROLE_NAMES_DA, ROLES
from bot.domain.roster import EMAIL_RE, RosterRow, normalise_email

EDIT_FIELDS = ("role", "level", "leader", "mentor")


@dataclass(frozen=True)
class PersonEdit:
    """One membership (email and role) and what changes: None leaves a field as it is, "" clears it."""

    email: str
    role: str
    new_role: str | None = None
    level: str | None = None
    leader: str | None = None
    mentor: str | None = None

    def key(self) -> str:
        """The edit as one line of text, for the confirmation's seal."""
        return "\x1f".join(
            v if v is not None else "\x00" for v in (self.email, self.role, self.new_role, self.level, self.leader, self.mentor)
        )


def person_edit(email: str, role: str, **fields: str | None) -> PersonEdit:
    """A PersonEdit with emails and words normalised as the roster file's are."""

    def norm(value: str | None, *, email: bool = False) -> str | None:
        if value is None:
            return None
        return normalise_email(value) if email else value.strip().lower()

    return PersonEdit(
        normalise_email(email),
        role.strip().lower(),
        norm(fields.get("new_role")),
        norm(fields.get("level")),
        norm(fields.get("leader"), email=True),
        norm(fields.get("mentor"), email=True),
    )


def apply_edit(row: RosterRow, edit: PersonEdit) -> RosterRow:
    """The row as the edit leaves it."""
    return replace(
        row,
        role=row.role if edit.new_role is None else edit.new_role,
        level=row.level if edit.level is None else (edit.level or None),
        leader_email=row.leader_email if edit.leader is None else (edit.leader or None),
        mentor_email=row.mentor_email if edit.mentor is None else (edit.mentor or None),
    )


def edit_problems(before: RosterRow, after: RosterRow, cohort_roles: dict[str, set[str]]) -> dict[str, str]:
    """Field -> what is wrong, in Danish; the roster file's rules, with the cohort's people as the ones a link may name."""
    problems: dict[str, str] = {}
    if after.role not in ROLES:
        problems["role"] = "Vælg en af rollerne: " + ", ".join(ROLE_NAMES_DA[r] for r in ROLES) + "."
    elif after.role != before.role and after.role in cohort_roles.get(after.email, set()):
        problems["role"] = f"{after.name} er allerede {ROLE_NAMES_DA[after.role]} på holdet."
    levels = " eller ".join(LEVEL_NAMES_DA[lv] for lv in LEVELS)
    if after.role == "talent" and after.level not in LEVELS:
        problems["level"] = f"En talent skal have et niveau: {levels}."
    elif after.level is not None and after.level not in LEVELS:
        problems["level"] = f"Niveauet skal være {levels}."
    if after.role == "talent" and not after.leader_email:
        problems["leader"] = "En talent skal have en nærmeste leder."
    for name, other, wanted in (("leader", after.leader_email, "leader"), ("mentor", after.mentor_email, "mentor")):
        if not other:
            continue
        has = cohort_roles.get(other, set())
        if not EMAIL_RE.match(other):
            problems[name] = f"{other} er ikke en e-mailadresse."
        elif other == after.email:
            problems[name] = f"{after.name} kan ikke være sin egen {ROLE_NAMES_DA[wanted]}."
        elif wanted not in has:
            where = f"står på holdet som {', '.join(ROLE_NAMES_DA[r] for r in sorted(has))}" if has else "står ikke på holdet"
            problems[name] = f"{other} {where}. Vælg en {ROLE_NAMES_DA[wanted]} fra holdet."
    return problems
