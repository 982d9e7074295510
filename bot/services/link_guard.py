"""Refusing to publish example links to real people: placeholder materials of activities in the next 30 days."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.danish import format_date
from bot.domain.materials import Materials
from bot.services.errors import ActionError
from bot.storage.models import CalendarSession, Cohort

HORIZON_DAYS = 30  # preparation starts about two weeks before; a month leaves LEAD time to fix the links


class PlaceholderLinks(ActionError):
    """Publishing would send materialer.example links; `links` lists each as 'activity/step: url (hold, date)'."""

    def __init__(self, links: list[str]) -> None:
        super().__init__(
            "Materialerne er ikke publiceret: disse links peger stadig på eksempeladressen, og aktiviteten ligger "
            f"inden for {HORIZON_DAYS} dage. Ret dem i content/materials.yaml, og publicér igen:\n"
            + "\n".join(f"- {line}" for line in links)
        )
        self.links = links


async def placeholder_links_soon(
    session: AsyncSession, materials: Materials, now: datetime, skip_cohorts: tuple[str, ...] = ()
) -> list[str]:
    """Every placeholder step of an activity that starts in a real cohort within the horizon, soonest first."""
    rows = await session.execute(
        select(CalendarSession.activity_key, CalendarSession.starts_at, Cohort.key, Cohort.timezone)
        .join(Cohort, Cohort.id == CalendarSession.cohort_id)
        .where(CalendarSession.starts_at >= now, CalendarSession.starts_at <= now + timedelta(days=HORIZON_DAYS))
        .order_by(CalendarSession.starts_at)
    )
    first: dict[tuple[str, str], str] = {}
    for activity_key, starts_at, cohort_key, tz in rows.all():
        if cohort_key not in skip_cohorts:
            day = format_date(starts_at.astimezone(ZoneInfo(tz)).date(), weekday=False)
            first.setdefault((activity_key, cohort_key), day)
    out = []
    for (activity_key, cohort_key), day in first.items():
        sequence = materials.sequences.get(activity_key)
        for step in sequence.steps if sequence else ():
            if step.is_placeholder:
                out.append(f"{activity_key}/{step.topic}: {step.url} ({cohort_key}, {day})")
    return out
