"""The cohorts' calendars as the Teams edge reads them: each cohort's sessions in one query."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from bot.domain.calendar import Session
from bot.storage.db import Database
from bot.storage.models import CalendarSession

_SESSIONS_QUERY = select(
    CalendarSession.cohort_id,
    CalendarSession.activity_key,
    CalendarSession.part,
    CalendarSession.starts_at,
    CalendarSession.ends_at,
    CalendarSession.venue,
).where(CalendarSession.cohort_id.in_(bindparam("ids", expanding=True)))


class Calendars:
    """Calendar reads; a part of Directory (directory.py)."""

    db: Database

    async def sessions(self, cohort_ids: tuple[int, ...]) -> dict[int, list[Session]]:
        """The calendar of each cohort."""
        out: dict[int, list[Session]] = {cid: [] for cid in cohort_ids}
        if not cohort_ids:
            return out
        async with self.db.sessions() as session:
            for cid, key, part, starts, ends, venue in await session.execute(_SESSIONS_QUERY, {"ids": list(cohort_ids)}):
                out[cid].append(Session(key, part, starts, ends, venue))
        return out
