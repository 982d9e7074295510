"""LEAD-konsol's Materialer as data: every step with what is in force, LEAD's edits, the form in progress and its preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.domain.danish import format_date
from bot.domain.material_edits import FIELD_LABELS_DA, FIELDS
from bot.domain.materials import KIND_LABELS_DA
from bot.services.core import Core
from bot.services.material_edits import EditPreview, MaterialEditor
from bot.storage.models import Person


def editor(core: Core) -> MaterialEditor:
    """The material editor over the core's services (it holds no state of its own)."""
    return MaterialEditor(core.db, core.learning, core.programme)


def step_id(activity_key: str, topic: str) -> str:
    """The form value naming a step, e.g. m1.intro."""
    return f"{activity_key}.{topic}"


def _when(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{format_date(local.date(), weekday=False, year=True)} kl. {local:%H.%M}"


async def _names(core: Core, actors: set[str]) -> dict[str, str]:
    """'person:17' -> the person's name ('cli:…' reads as the command line)."""
    ids = {int(a.split(":", 1)[1]) for a in actors if a.startswith("person:") and a.split(":", 1)[1].isdigit()}
    async with core.db.sessions() as session:
        found = {f"person:{i}": n for i, n in (await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))).all()}
    return {a: found.get(a, "kommandolinjen" if a.startswith("cli:") else "en administrator") for a in actors}


def _preview(preview: EditPreview) -> dict[str, Any]:
    return {
        "changed": preview.changed,
        "refused": preview.refused,
        "notice_count": preview.notice_count,
        "revert": preview.change.values is None,
        "steps": [
            {
                "label": s.label,
                "fields": [{"label": f[0], "before": f[1], "after": f[2]} for f in s.fields],
                "notices": [{"cohort": c, "count": len(n), "names": n} for c, n in s.notices.items()],
                "unreachable": [{"cohort": c, "count": len(n), "names": n} for c, n in s.unreachable.items()],
                "notice_count": s.notice_count,
            }
            for s in preview.steps
        ],
    }


async def materials_section(core: Core, tz: ZoneInfo, extra: dict[str, Any]) -> dict[str, Any]:
    """The Materialer section: per activity its steps; the step being edited carries its form, errors and preview."""
    steps = await editor(core).steps()
    focus = str(extra.get("material_step", ""))
    form: dict[str, Any] = extra.get("material_form") or {}
    errors: dict[str, str] = extra.get("material_errors") or {}
    preview: EditPreview | None = extra.get("material_preview")
    names = await _names(core, {s.edited_by for s in steps if s.edited_by})
    activities: dict[str, dict[str, Any]] = {}
    for s in steps:
        sid = step_id(s.activity_key, s.topic)
        current = {name: getattr(s.current, name) for name in FIELDS}
        mine = sid == focus
        activity = activities.setdefault(s.activity_key, {"key": s.activity_key, "name": s.activity_name, "steps": [], "open": False})
        activity["open"] = activity["open"] or mine
        activity["steps"].append(
            {
                "id": sid,
                "label": s.topic_label,
                "kind_label": KIND_LABELS_DA.get(s.current.kind, s.current.kind),
                "current": current,
                "form": {**current, **{k: v for k, v in form.items() if k in FIELDS}} if mine else current,
                "errors": errors if mine else {},
                "preview": _preview(preview) if mine and preview is not None else None,
                "edited": [FIELD_LABELS_DA[f] for f in s.edited],
                "edited_by": names.get(s.edited_by, ""),
                "edited_at": _when(s.edited_at, tz) if s.edited_at else "",
                "original": {name: getattr(s.original, name) for name in FIELDS},
                "focus": mine,
            }
        )
    return {
        "activities": list(activities.values()),
        "kinds": [{"value": k, "label": v} for k, v in KIND_LABELS_DA.items()],
        "edited_count": sum(1 for s in steps if s.edited),
        "done": extra.get("material_done", ""),
    }
