"""The steering group's meetings (styregruppemøder): dated per cohort, each nudged a week before with the report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.plan import PlanItem, plan_key
from bot.domain.workdays import previous_working_day

TOPIC = "steering"
DAYS_BEFORE = 7  # a week: time to read the report before the meeting
MEETINGS_IN_TEXT = 3  # the programme text: three steering-group meetings during the programme


def steering_meetings(plan_settings: Mapping[str, Any] | None) -> list[date]:
    """The cohort's steering-group meeting days (steering_meetings: in the cohort file), in order."""
    return sorted(date.fromisoformat(d) for d in (plan_settings or {}).get("steering_meetings") or [])


def plan_steering(cohort_key: str, meetings: list[date], members: Iterable[int], send_time: time, tz: ZoneInfo) -> list[PlanItem]:
    """One nudge per steering-group member per meeting, a working day a week before; pointless from the meeting on."""
    items = []
    members = list(members)
    for n, day in enumerate(meetings, start=1):
        due = datetime.combine(previous_working_day(day - timedelta(days=DAYS_BEFORE)), send_time, tz).astimezone(UTC)
        not_after = datetime.combine(day, time(0, 0), tz).astimezone(UTC)
        for person_id in members:
            items.append(
                PlanItem(
                    key=plan_key(cohort_key, person_id, None, f"{TOPIC}-{n}"),
                    person_id=person_id,
                    kind="nudge",
                    activity_key=None,
                    topic=TOPIC,
                    seq=n,
                    due_at=due,
                    not_after=not_after,
                    data={"n": n, "of": len(meetings), "meeting": day.isoformat()},
                )
            )
    return items
