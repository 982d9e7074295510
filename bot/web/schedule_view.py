"""LEAD-konsol's planned broadcasts as data: those waiting for their time (with Fortryd) and the last ones that went."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.send_time import local_label
from bot.services.broadcast_view import scheduled_and_recent
from bot.services.core import Core

ROLE_DA = {"talent": "talenter", "leader": "ledere", "all": "alle"}
STATE_DA = {"waiting": "Planlagt", "sent": "Sendt", "cancelled": "Fortrudt"}


async def schedule_section(core: Core, cohort_key: str, tz: ZoneInfo, now: datetime, extra: dict[str, Any]) -> dict[str, Any]:
    """The template's `schedule`: broadcasts waiting and recent, the time field's error and the earliest time allowed."""
    items = await scheduled_and_recent(core.db, cohort_key)
    return {
        "schedule": {
            "rows": [
                {
                    "id": b.id,
                    "text": b.text if len(b.text) <= 120 else b.text[:119] + "…",
                    "role": ROLE_DA.get(b.role, b.role),
                    "when": local_label(b.at, tz),
                    "state": b.state,
                    "state_da": STATE_DA[b.state],
                    "people": b.people,
                }
                for b in items
            ],
            "error": extra.get("schedule_error", ""),
            "at": extra.get("schedule_at", ""),
            "min": now.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
            "zone": tz.key,
        }
    }
