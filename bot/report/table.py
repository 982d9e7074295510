"""The report's figures as CSV rows (section, item, value, target, unit) for spreadsheets."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.report.figures import CohortReport


def report_csv(report: CohortReport) -> str:
    """Every figure as rows of section, item, value, target, unit (long format for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "item", "value", "target", "unit"])
    rows: list[tuple[str, str, Any, Any, str]] = [
        ("completion", "talents", report.talents, "", "people"),
        ("completion", "completed", report.completed, "", "people"),
        ("completion", "on track", report.on_track, "", "people"),
        ("completion", "not completed", report.not_completed, "", "people"),
        ("completion", "rate", _r(report.completion_rate), report.completion_target, "share"),
        ("expectations", "answers", report.expectation_answers, "", "answers"),
        *[("expectations", k, v, "", "answers") for k, v in report.expectation_counts.items()],
        ("expectations", "rate", _r(report.expectations_rate), report.expectations_target, "share"),
        ("expectations-activities", "answers", report.activity_expectation_answers, "", "answers"),
        ("expectations-activities", "rate", _r(report.activity_expectations_rate), "", "share"),
    ]
    for r in report.ratings:
        rows += [
            ("rating", f"{r.activity_key} mean", _r(r.mean_rating), "", "1-5"),
            ("rating", f"{r.activity_key} answers", r.answers, "", "answers"),
            ("rating", f"{r.activity_key} invited", r.invited, "", "people"),
            *[("rating", f"{r.activity_key} expectations {k}", v, "", "answers") for k, v in r.expectations.items()],
        ]
    for p in report.preparation:
        for label, opened in p.steps:
            rows.append(("preparation", f"{p.activity_key} {label}", opened, p.audience, "people"))
    for m in report.meetings:
        rows += [(m.topic, "held", m.held, m.due, "occasions"), (m.topic, "planned", m.planned, "", "occasions")]
    for (aim, box), n in sorted(report.readiness.items()):
        rows.append(("readiness", f"box {box} {aim}", n, "", "talents"))
    rows.append(("readiness", "not assessed", report.not_assessed, "", "talents"))
    q = report.questions
    rows += [
        ("questions", "open", q.open if q.available else "", "", "questions"),
        ("questions", "median answer time", _r(q.median_hours) if q.available else "", "", "hours"),
    ]
    for t in report.time:
        rows.append(("time", f"{t.role} average", _r(t.average), t.budget, t.unit))
        for track, value in t.tracks.items():
            rows.append(("time", f"{t.role} {track}", _r(value), t.track_budget.get(track, ""), t.unit))
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def _r(value: float | None) -> Any:
    """A share or average for the sheet: four decimals, '' for none."""
    return "" if value is None else round(value, 4)
