"""LEAD-konsol as data: which cohort an admin works on and the sections built from the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import access as rules
from bot.domain.danish import format_date
from bot.domain.people import Profile
from bot.domain.programme import LEVEL_NAMES_DA as LEVELS_DA
from bot.services.audit import read_audit
from bot.services.broadcast_view import BroadcastDeliveries, broadcast_deliveries
from bot.services.core import Core
from bot.services.files import NUDGE_LABELS_DA, TOPIC_LABELS_DA, attachment_label
from bot.web.companion import Page
from bot.web.materials_view import materials_section
from bot.web.people_view import people_section
from bot.web.schedule_view import schedule_section

CONSOLE_ENTITY_ID = "lead-konsol"  # the staticTabs entityId in manifest/manifest.json.template
AUDIT_LIMIT = 200
ROLE_LABELS_DA = {"talent": "Talenter", "leader": "Ledere", "all": "Alle"}
ACTION_LABELS_DA = {
    "roster.import": "Deltagerliste importeret",
    "broadcast": "Besked sendt",
    "broadcast.schedule": "Besked planlagt",
    "broadcast.cancel": "Planlagt besked fortrudt",
    "roster.edit": "Deltager rettet",
    "console.open": "Konsollen åbnet",
    "cohort.import": "Holdets kalender importeret",
    "cohort.check": "Klar til start? tjekket",
    "files.add": "Fil uploadet",
    "files.remove": "Fil fjernet",
    "buddies.set": "Buddygrupper sat",
    "faq.edit": "Lært svar rettet",
    "faq.withdraw": "Lært svar trukket tilbage",
    "materials.edit": "Materiale rettet og publiceret",
    "materials.revert": "Materiale sat tilbage til filen",
}
OUTCOME_DA = {"allowed": "udført", "refused": "afvist", "failed": "fejlede"}


class NotAdmin(LookupError):
    """The person administers no cohort (or not the one asked for): they see a refusal and no data."""


def admin_cohort(profile: Profile, wanted: str) -> str:
    """The cohort the console shows: the one asked for when they administer it, else their first; NotAdmin otherwise."""
    own = rules.admin_cohorts(profile)
    if not own or (wanted and wanted not in own):
        raise NotAdmin(wanted)
    return wanted or own[0]


def _when(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{format_date(local.date(), weekday=False, year=True)} kl. {local:%H.%M}"


def _links_note(checked: datetime | None, unchecked: int, tz: ZoneInfo) -> str:
    """When the material links of the next 30 days were last checked (in the background), in Danish."""
    parts = [f"Materialelinks sidst tjekket {_when(checked, tz)}."] if checked else []
    if unchecked:
        parts.append(f"{unchecked} links er ikke tjekket endnu; de tjekkes i baggrunden.")
    return " ".join(parts)


class Console:
    """Builds the console's page for an admin; every figure comes from the services the CLI calls."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def page(self, profile: Profile, cohort_key: str, now: datetime, *, broadcast_id: int | None = None, **extra: Any) -> Page:
        """The whole console for one cohort: health, roster, messages, log and report."""
        role = next(r for r in profile.roles if r.cohort_key == cohort_key and r.role == "admin")
        tz = ZoneInfo(role.timezone)
        health = await self.core.health.check(cohort_key, now)
        deliveries = await broadcast_deliveries(self.core.db, cohort_key, broadcast_id) if broadcast_id else None
        audit = await read_audit(self.core.db, cohort_key, limit=AUDIT_LIMIT)
        report_url, expires = self.core.reports.link(cohort_key)
        files = await self.core.files.of_cohort(cohort_key)
        asked = await self.core.desk.overview(cohort_key)
        groups, stored = await self.core.buddies.proposal(cohort_key)
        number = {email: n for n, g in enumerate(groups, start=1) for email in g}
        talents = await self.core.buddies.talents(cohort_key)
        cohorts = [{"key": r.cohort_key, "name": r.cohort_name} for r in profile.roles if r.role == "admin"]
        return Page(
            "console.html.j2",
            {
                "who": {"name": profile.name, "first_name": profile.first_name},
                "cohort": {"key": cohort_key, "name": role.cohort_name},
                "cohorts": list({c["key"]: c for c in cohorts}.values()),
                "health": {
                    "ready": health.ready,
                    "next_start": _when(health.next_start, tz) if health.next_start else "",
                    "problems": [i.as_json() for i in health.items],
                    "links_note": _links_note(health.links_checked, health.links_unchecked, tz),
                },
                "roles": [{"value": k, "label": v} for k, v in ROLE_LABELS_DA.items()],
                "deliveries": _deliveries(deliveries, tz) if deliveries else None,
                "audit": [
                    {
                        "when": _when(a.at, tz),
                        "actor": a.actor,
                        "action": ACTION_LABELS_DA.get(a.action, a.action),
                        "target": a.target,
                        "outcome": OUTCOME_DA.get(a.outcome, a.outcome),
                        "refused": a.outcome != "allowed",
                    }
                    for a in reversed(audit)
                ],
                "report": {"url": report_url, "expires": _when(expires, tz)},
                "files": [
                    {
                        "id": f.id,
                        "title": f.title,
                        "filename": f.filename,
                        "kind": f.kind_label,
                        "size": _size(f.size),
                        "where": attachment_label(f, self.core.programme),
                        "url": self.core.files.link(f, profile.person_id),
                        "when": _when(f.created_at, tz),
                    }
                    for f in files
                ],
                "attach_options": self.attach_options(),
                "materials": await materials_section(self.core, tz, extra),
                "buddies": {
                    "stored": stored,
                    "count": len(groups),
                    "choices": list(range(1, len(groups) + 2)),
                    "groups": [[next((t[1] for t in talents if t[0] == e), e) for e in g] for g in groups],
                    "talents": [
                        {"email": e, "name": n, "meta": " · ".join(x for x in (o, LEVELS_DA.get(lv, lv)) if x), "group": number.get(e, 0)}
                        for e, n, o, lv in talents
                    ],
                    "error": extra.get("buddy_error", ""),
                },
                "questions": {
                    "open": [{"id": q.id, "text": q.text, "age": q.age_da(now)} for q in asked if q.status != "answered"],
                    "answered": [
                        {
                            "id": q.id,
                            "text": q.text,
                            "answer": q.answer,
                            "by": q.answered_by,
                            "learned": q.learned,
                            "when": _when(q.answered_at, tz) if q.answered_at else "",
                            "age": q.age_da(now),
                        }
                        for q in asked
                        if q.status == "answered"
                    ],
                    "error": extra.get("faq_error", ""),
                },
                "file_error": extra.get("file_error", ""),
                "file_max_mb": self.core.files.max_bytes // (1024 * 1024),
                "preview": extra.get("preview"),
                "errors": extra.get("errors", []),
                "draft": extra.get("draft"),
                "imported": extra.get("imported", ""),
                **await people_section(self.core, cohort_key, extra),
                **await schedule_section(self.core, cohort_key, tz, now, extra),
            },
        )

    def attach_options(self) -> list[dict[str, str]]:
        """Where a file can be attached: the library only, an activity (its slides), a step of it, or a kind of nudge."""
        options = [{"value": "", "label": "Kun i biblioteket"}]
        for a in self.core.programme.activities:
            options.append({"value": a.key, "label": a.name})
            options += [{"value": f"{a.key}.{t}", "label": f"{a.name} · {label}"} for t, label in TOPIC_LABELS_DA.items()]
        options += [{"value": f"nudge:{k}", "label": f"Påmindelse: {v}"} for k, v in NUDGE_LABELS_DA.items()]
        return options


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",") if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def _deliveries(d: BroadcastDeliveries, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": d.broadcast_id,
        "text": d.text,
        "role": ROLE_LABELS_DA.get(d.role, d.role),
        "when": _when(d.sent_at, tz),
        "heading": {"waiting": "Besked planlagt til", "cancelled": "Fortrudt besked, planlagt til"}.get(d.state, "Besked sendt"),
        "delivered": d.count("sent"),
        "failed": d.count("dead"),
        "unreachable": d.count("unreachable") + d.count("no-chat"),
        "queued": d.count("pending") + d.count("sending"),
        "rows": [r.__dict__ for r in d.rows],
    }
