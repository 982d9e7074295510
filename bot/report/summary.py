"""The admin's status card data: headline figures against their targets, the facts, and the link note."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.danish import format_date, format_time
from bot.domain.readiness import BOXES
from bot.report.figures import CohortReport, num, pct


def warnings(report: CohortReport) -> list[str]:
    """What LEAD must act on before the figures mean anything: today, talents without a buddy group."""
    if not report.unpaired:
        return []
    who = (
        "Ingen af talenterne har en buddy"
        if report.unpaired == report.talents
        else f"{report.unpaired} af {report.talents} talenter har ingen buddy"
    )
    return [
        f"Buddy-grupperne er ikke dannet: {who}, så de får ingen påmindelser om buddy-møder og "
        f"skyggepraktik. Dan grupperne med »python -m bot buddies suggest --cohort {report.cohort_key}« "
        "eller »buddies set«."
    ]


def status_summary(report: CohortReport, report_url: str | None, expires: datetime | None) -> dict[str, Any]:
    """The data for the admin's status card (report_url and expires None: no link note)."""
    tz = ZoneInfo(report.timezone)
    local = report.generated_at.astimezone(tz)
    completion_label = "gennemført" if report.finished else "gennemført eller på vej"
    facts = [
        {
            "title": "Talenter",
            "value": f"{report.talents} i alt – {report.completed} gennemført, {report.on_track} på vej, {report.not_completed} ikke gennemført",
        },
        {
            "title": "Forventninger indfriet",
            "value": f"{pct(report.expectations_rate)} ja af {report.expectation_answers} svar i den afsluttende evaluering (mål {pct(report.expectations_target)})",
        },
        {
            "title": "Forventninger pr. aktivitet",
            "value": f"{pct(report.activity_expectations_rate)} ja af {report.activity_expectation_answers} svar",
        },
    ]
    rated = [r for r in report.ratings if r.mean_rating is not None]
    if rated:
        facts.append(
            {"title": "Vurdering pr. aktivitet", "value": " · ".join(f"{r.name.split(':')[0]} {num(r.mean_rating)}" for r in rated)}
        )
    for m in report.meetings:
        facts.append({"title": m.name, "value": f"{m.held} holdt af {m.due}, der skulle være holdt nu ({m.planned} planlagt i alt)"})
    boxes = " · ".join(f"boks {b}: {report.readiness_box(b)}" for b in BOXES)
    facts.append({"title": "Parathed", "value": f"{boxes} · ikke vurderet: {report.not_assessed}"})
    q = report.questions
    facts.append({"title": "Åbne spørgsmål", "value": f"{q.open} · svartid (median) {num(q.median_hours)} t" if q.available else "–"})
    for t in report.time:
        facts.append(
            {"title": f"Tidsforbrug, {t.name.lower()}", "value": f"{num(t.average)} af {num(t.budget, 2)} {t.unit} (gns. pr. person)"}
        )
    return {
        "cohort": report.cohort_name,
        "generated": f"Opgjort {format_date(local.date(), weekday=False)} {format_time(local)}",
        "headline": [
            {
                "title": f"{completion_label} (mål {pct(report.completion_target)})",
                "value": report.completion_label,
                "good": report.completion_good,
                "pending": not report.started,
            },
            {
                "title": f"synes Talent Nord levede op til forventningerne (mål {pct(report.expectations_target)})",
                "value": pct(report.expectations_rate),
                "good": report.expectations_rate is not None and report.expectations_rate >= report.expectations_target,
            },
        ],
        "facts": facts,
        "warnings": warnings(report),
        "report_url": report_url,
        "link_note": (
            f"Linket til rapporten virker til {format_date(expires.astimezone(tz).date(), weekday=False)} {format_time(expires.astimezone(tz))} "
            "og kun for dig – del det ikke."
            if report_url and expires
            else ""
        ),
    }
