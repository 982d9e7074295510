"""Keeping the question index fresh: the instructors' reusable answers, also those other replicas took."""

from __future__ import annotations

import logging
import time as monotonic
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from bot.domain.danish import format_date
from bot.domain.programme import Programme
from bot.qa import AnyIndex, Entry
from bot.storage.db import Database
from bot.storage.models import Question

log = logging.getLogger(__name__)
REFRESH_SECONDS = 30.0  # how stale this process's view of other processes' answers may get


def answered_source(moment: datetime, tz: ZoneInfo) -> str:
    """The source line of an instructor's reusable answer: 'Besvaret af en underviser 12. januar'."""
    return f"Besvaret af en underviser {format_date(moment.astimezone(tz).date(), weekday=False, year=False)}"


class IndexRefresh:
    """Answered questions into the index; a part of QuestionDesk (desk.py), whose _activity_name it uses."""

    db: Database
    index: AnyIndex
    programme: Programme
    tz: ZoneInfo
    _watermark: datetime | None
    _refreshed: float
    _activity_name: Callable[[str | None], str]  # QuestionDesk's

    def _entry(self, q: Question) -> Entry:
        activity = self._activity_name(q.activity_key)
        assert q.answered_at is not None and q.answer is not None
        return Entry(
            f"answered:{q.id}",
            q.text,
            (),
            q.answer,
            answered_source(q.answered_at, self.tz),
            q.activity_key if q.activity_key in self.programme.keys else None,
            "answered",
            context=activity,
        )

    async def load_answered(self) -> int:
        """Add every reusable answered question not yet in the index (all of them at start)."""
        query = select(Question).where(Question.status == "answered")
        if self._watermark is None:
            query = query.where(Question.reuse.is_(True))
        else:  # new answers, and learned answers LEAD edited or withdrew (maybe on another replica)
            query = query.where(or_(Question.answered_at > self._watermark, Question.faq_changed_at > self._watermark))
        async with self.db.sessions() as session:
            rows = list(await session.scalars(query.order_by(Question.answered_at)))
        for q in rows:
            if q.reuse:
                self.index.add(self._entry(q))
            else:
                self.index.remove(f"answered:{q.id}")
            for moment in (q.answered_at, q.faq_changed_at):
                if moment is not None and (self._watermark is None or moment > self._watermark):
                    self._watermark = moment
        self._refreshed = monotonic.monotonic()
        if rows:
            log.info("question index: %d answered question(s) added", len(rows))
        return len(rows)

    async def _refresh(self) -> None:
        # Another replica may have taken an answer: pick new ones up, at most every REFRESH_SECONDS.
        if monotonic.monotonic() - self._refreshed >= REFRESH_SECONDS:
            await self.load_answered()
