"""LEAD-konsol's Deltagere list as data: one page of the cohort's memberships (search, role filter), and the one edit open."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.domain.programme import LEVEL_NAMES_DA, LEVELS, ROLE_NAMES_DA, ROLES
from bot.domain.roster import RosterRow
from bot.services.core import Core
from bot.services.roster_edit import cohort_rows
from bot.storage.models import Cohort, Membership, Person

PAGE_SIZE = 50
PEOPLE_PARAMS = ("q", "rolle", "side", "ret")  # the GET parameters of the list, carried into the view inside Teams
MAX_QUERY = 100
ROLE_FILTER_DA = {
    "talent": "Talenter",
    "leader": "Nærmeste ledere",
    "mentor": "Mentorer",
    "instructor": "Undervisere",
    "admin": "Administratorer (LEAD)",
    "consultant": "Interne konsulenter",
    "steering": "Styregruppe",
}


@dataclass(frozen=True)
class PeopleFilter:
    """What LEAD asked the list for: words to search, one role, a page, and the person whose form is open."""

    query: str = ""
    role: str = ""
    page: int = 1
    open: int = 0  # the membership's id: no e-mail goes into the address

    def params(self, **change: Any) -> dict[str, str]:
        """The query parameters of this filter (with changes), empty ones left out, for a link."""
        values = {"q": self.query, "rolle": self.role, "side": str(self.page), "ret": str(self.open or "")}
        values.update({k: str(v) for k, v in change.items()})
        return {k: v for k, v in values.items() if v and not (k == "side" and v == "1")}


def people_filter(params: Mapping[str, Any]) -> PeopleFilter:
    """The filter from GET parameters or the hidden fields of a Ret form; anything unknown falls back to the default."""
    query = " ".join(str(params.get("q", "")).split())[:MAX_QUERY]
    role = str(params.get("rolle", ""))
    page = str(params.get("side", ""))
    opened = str(params.get("ret", ""))
    return PeopleFilter(
        query=query,
        role=role if role in ROLES else "",
        page=int(page) if page.isdigit() and 0 < len(page) < 6 else 1,
        open=int(opened) if opened.isdigit() and len(opened) < 12 else 0,
    )


def _matches(words: list[str], row: RosterRow, names: dict[str, str]) -> bool:
    """Every word is in the person's name, e-mail, organisation, role, or their leader's or mentor's name or e-mail (case-insensitive)."""
    hay = " ".join(
        (
            row.name,
            row.email,
            row.organisation,
            row.role,
            ROLE_NAMES_DA.get(row.role, ""),
            row.leader_email or "",
            names.get(row.leader_email or "", ""),
            row.mentor_email or "",
            names.get(row.mentor_email or "", ""),
        )
    ).casefold()
    return all(w in hay for w in words)


async def _membership_ids(core: Core, cohort_key: str) -> dict[tuple[str, str], int]:
    """Each (e-mail, role) of the cohort and its membership's id, the key a Ret link carries."""
    async with core.db.sessions() as s:
        rows = await s.execute(
            select(Person.email, Membership.role, Membership.id)
            .join(Membership, Membership.person_id == Person.id)
            .join(Cohort, Cohort.id == Membership.cohort_id)
            .where(Cohort.key == cohort_key)
        )
        return {(email, role): mid for email, role, mid in rows.all()}


async def people_section(core: Core, cohort_key: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The template's `people`: one page of the filtered rows, the role counts, paging, and the one form open."""
    wanted: PeopleFilter = extra.get("people_filter") or PeopleFilter()
    rows = await cohort_rows(core.db, cohort_key)
    ids = await _membership_ids(core, cohort_key)
    names = {r.email: r.name for r in rows}
    edit = extra.get("person_edit")
    words = wanted.query.casefold().split()
    found = [r for r in rows if (not wanted.role or r.role == wanted.role) and (not words or _matches(words, r, names))]
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(wanted.page, pages)
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

    def key(r: RosterRow) -> int:
        return ids.get((r.email, r.role), 0)

    def is_open(r: RosterRow) -> bool:
        return (edit["email"] == r.email and edit["role"] == r.role) if edit is not None else key(r) == wanted.open

    opened = next((r for r in rows if is_open(r)), None)
    if opened is not None and opened not in shown:  # the form under way stays in view whatever the page shows
        shown = [opened, *shown]
    here = PeopleFilter(wanted.query, wanted.role, page, 0)
    counts = {role: sum(1 for r in rows if r.role == role) for role in ROLES}
    return {
        "people": {
            "rows": [
                {
                    "anchor": f"p{key(r)}",
                    "email": r.email,
                    "name": r.name,
                    "role": r.role,
                    "role_da": ROLE_NAMES_DA.get(r.role, r.role),
                    "level": r.level or "",
                    "level_da": LEVEL_NAMES_DA.get(r.level or "", ""),
                    "leader": r.leader_email or "",
                    "leader_name": names.get(r.leader_email or "", ""),
                    "mentor": r.mentor_email or "",
                    "mentor_name": names.get(r.mentor_email or "", ""),
                    "editing": r is opened,
                    "open_params": here.params(ret=key(r)),
                }
                for r in shown
            ],
            "total": len(rows),
            "found": len(found),
            "first": (page - 1) * PAGE_SIZE + 1 if found else 0,
            "last": min(page * PAGE_SIZE, len(found)),
            "page": page,
            "pages": pages,
            "prev_params": here.params(side=page - 1),
            "next_params": here.params(side=page + 1),
            "close_params": here.params(),
            "filter": {"q": wanted.query, "rolle": wanted.role, "side": str(page)},
            "filtered": bool(wanted.query or wanted.role),
            "role_options": [{"value": "", "label": f"Alle roller ({len(rows)})"}]
            + [{"value": r, "label": f"{ROLE_FILTER_DA[r]} ({counts[r]})"} for r in ROLES if counts[r] or r == wanted.role],
            "leaders": [{"email": r.email, "name": r.name} for r in rows if r.role == "leader"] if opened else [],
            "mentors": [{"email": r.email, "name": r.name} for r in rows if r.role == "mentor"] if opened else [],
            "roles": [{"value": r, "label": ROLE_NAMES_DA[r]} for r in ROLES],
            "levels": [{"value": "", "label": "Intet niveau"}] + [{"value": lv, "label": LEVEL_NAMES_DA[lv]} for lv in LEVELS],
            "edit": edit,
            "notice": extra.get("people_notice", ""),  # shown by the list, where the confirm lands (#h-people)
        }
    }
