"""A cohort's definition and calendar (bot/content/cohort.py reads them from YAML)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

COHORT_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class SessionSpec:
    """One dated part of an activity: a half-day session, or day 1 / day 2 of a module."""

    activity_key: str
    part: str  # "main", "day1", "day2"
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    venue: str


@dataclass(frozen=True)
class CohortSpec:
    """A cohort as LEAD describes it in a YAML file."""

    key: str
    name: str
    timezone: str
    tenant: str | None
    sessions: tuple[SessionSpec, ...]
    plan_settings: dict[str, Any] | None = None  # offsets_days / send_time overriding the programme's
    warnings: tuple[str, ...] = ()  # file:line notes on the calendar (overlaps, weekends, holidays): shown, not refused
