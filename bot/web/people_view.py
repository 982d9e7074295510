"""LEAD-konsol's Deltagere list as data: each membership with its role, level, leader and mentor, and the edit under way."""

from __future__ import annotations

from typing import Any

from bot.domain.programme import LEVEL_NAMES_DA, LEVELS, ROLE_NAMES_DA, ROLES
from bot.services.core import Core
from bot.services.roster_edit import cohort_rows


async def people_section(core: Core, cohort_key: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The template's `people`: the cohort's rows, the leaders and mentors a link may name, and any edit shown."""
    rows = await cohort_rows(core.db, cohort_key)
    names = {r.email: r.name for r in rows}
    edit = extra.get("person_edit")
    return {
        "people": {
            "rows": [
                {
                    "anchor": f"p{i}",
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
                    "editing": edit is not None and edit["email"] == r.email and edit["role"] == r.role,
                }
                for i, r in enumerate(rows, start=1)
            ],
            "leaders": [{"email": r.email, "name": r.name} for r in rows if r.role == "leader"],
            "mentors": [{"email": r.email, "name": r.name} for r in rows if r.role == "mentor"],
            "roles": [{"value": r, "label": ROLE_NAMES_DA[r]} for r in ROLES],
            "levels": [{"value": "", "label": "Intet niveau"}] + [{"value": lv, "label": LEVEL_NAMES_DA[lv]} for lv in LEVELS],
            "edit": edit,
        }
    }
