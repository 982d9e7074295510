"""The admin's daily status card: what is newly wrong since the last one (and what got fixed), per cohort.

What the last daily card listed is kept in `status_seen` as item code -> title and a hash per entry
(a detail's stable key), so the table holds no names or addresses; the next card compares today's
'Klar til start?' with it. The `status` command shows the same news without moving the baseline, so
"Nyt siden i går" keeps meaning the last daily card however often an admin asks.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.danish import format_date
from bot.outbox.writer import Outgoing, enqueue_all, reachable_chats
from bot.report.reports import Reports
from bot.services.health import URGENT_DAYS, CohortHealth, HealthCheck
from bot.services.messages.render import card_message
from bot.services.reply import Reply
from bot.storage.db import Database
from bot.storage.health_tables import StatusSeen
from bot.storage.models import CalendarSession, Cohort, Membership

log = logging.getLogger(__name__)
NEW_PER_ITEM = 5  # details of one item shown as new; the rest are counted


@dataclass(frozen=True)
class StatusNews:
    """What is new and what got fixed since the baseline (texts for the card; empty lists: nothing changed)."""

    heading: str
    new: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.fixed)

    def as_card(self) -> dict[str, Any] | None:
        """The card's `news` value (None: the card stays as usual)."""
        return {"heading": self.heading, "new": self.new, "fixed": self.fixed} if self.changed else None


def _digest(cohort_key: str, code: str, entry: str) -> str:
    return hashlib.sha256(f"{cohort_key}\x00{code}\x00{entry}".encode()).hexdigest()[:20]


def snapshot(health: CohortHealth) -> dict[str, Any]:
    """What the card remembers of a health: per item code its title and the hashes of its entries."""
    return {
        item.code: {"title": item.title, "entries": sorted({_digest(health.cohort_key, item.code, e) for e in item.entries()})}
        for item in health.items
    }


def compare(previous: dict[str, Any] | None, health: CohortHealth, heading: str) -> StatusNews:
    """The news of `health` against a snapshot (None: no card yet, so everything wrong now is new)."""
    before = previous or {}
    new: list[str] = []
    for item in sorted(health.items, key=lambda i: not i.urgent):  # what blocks the start first
        seen = set(before.get(item.code, {}).get("entries", ()))
        fresh = [
            (detail, entry)
            for detail, entry in zip(item.details or (item.title,), item.entries(), strict=False)
            if _digest(health.cohort_key, item.code, entry) not in seen
        ]
        if not fresh:
            continue
        if not item.details:
            new.append(item.title)
            continue
        shown = [f"{item.title}: {detail}" for detail, _ in fresh[:NEW_PER_ITEM]]
        if len(fresh) > NEW_PER_ITEM:
            shown.append(f"{item.title}: … og {len(fresh) - NEW_PER_ITEM} mere")
        new.extend(shown)
    now_entries = {i.code: {_digest(health.cohort_key, i.code, e) for e in i.entries()} for i in health.items}
    fixed: list[str] = []
    for code, old in before.items():
        gone = set(old.get("entries", ())) - now_entries.get(code, set())
        if not gone:
            continue
        if code not in now_entries:
            fixed.append(f"Ordnet: {old.get('title', code)}")
        else:
            fixed.append(f"Ordnet: {len(gone)} af »{old.get('title', code)}«")
    return StatusNews(heading, new, fixed)


def heading_since(seen_at: datetime | None, now: datetime, tz: ZoneInfo) -> str:
    """'Nyt siden i går', 'Nyt siden 2. januar' or, before any daily card, 'Det skal ordnes'."""
    if seen_at is None:
        return "Det skal ordnes"
    day, today = seen_at.astimezone(tz).date(), now.astimezone(tz).date()
    if day == today - timedelta(days=1):
        return "Nyt siden i går"
    if day == today:
        return "Nyt siden i morges"
    return f"Nyt siden {format_date(day, weekday=False, year=False)}"


class StatusCards:
    """Builds each admin's status card with the news, and queues the daily one to every admin of a running cohort."""

    def __init__(self, db: Database, health: HealthCheck, reports: Reports, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.health = health
        self.reports = reports
        self.clock = clock

    async def news(self, cohort_key: str, now: datetime | None = None, *, remember: bool = False) -> StatusNews:
        """What is new since the last daily card; remember=True makes today's health the new baseline."""
        now = now or self.clock()
        health = await self.health.check(cohort_key, now)
        async with self.db.sessions() as session, session.begin():
            cohort = await session.scalar(select(Cohort).where(Cohort.key == cohort_key))
            assert cohort is not None  # health.check raised UnknownCohort otherwise
            seen = await session.get(StatusSeen, cohort.id)
            news = compare(
                seen.items if seen else None, health, heading_since(seen.seen_at if seen else None, now, ZoneInfo(cohort.timezone))
            )
            if remember:
                if seen is None:
                    session.add(StatusSeen(cohort_id=cohort.id, items=snapshot(health), seen_at=now))
                else:
                    seen.items, seen.seen_at = snapshot(health), now
        return news

    async def card_data(self, cohort_key: str, now: datetime | None = None, *, remember: bool = False) -> dict[str, Any]:
        """The status card's data with its `news` (None when nothing changed)."""
        data = await self.reports.status(cohort_key)
        news = await self.news(cohort_key, now, remember=remember)
        return {**data, "news": news.as_card()}

    async def send_daily(self, now: datetime | None = None) -> int:
        """Queue today's status card to each reachable admin of every running cohort, once per day; the number queued."""
        now = now or self.clock()
        async with self.db.sessions() as session:
            cohorts = await _running(session, now)
        queued = 0
        for key, tz in cohorts:
            data = await self.card_data(key, now, remember=True)
            payload = card_message(Reply("status_summary", data), f"Status for {data['cohort']}")
            day = now.astimezone(ZoneInfo(tz)).date().isoformat()
            async with self.db.sessions() as session, session.begin():
                admins = await session.scalars(
                    select(Membership.person_id)
                    .join(Cohort, Cohort.id == Membership.cohort_id)
                    .where(Cohort.key == key, Membership.role == "admin")
                )
                chats = await reachable_chats(session, list(admins))
                # keyed by cohort, day and admin: a second replica or a rerun the same day queues nothing
                queued += await enqueue_all(
                    session, [Outgoing(f"status/{key}/{day}/{pid}", chat, payload, now) for pid, chat in sorted(chats.items())]
                )
        log.info("status cards: %d queued for %d running cohort(s)", queued, len(cohorts))
        return queued


async def _running(session: AsyncSession, now: datetime) -> list[tuple[str, str]]:
    """(key, timezone) of the cohorts with an activity under way or starting within URGENT_DAYS, and not over."""
    rows = await session.execute(
        select(Cohort.key, Cohort.timezone)
        .join(CalendarSession, CalendarSession.cohort_id == Cohort.id)
        .where(CalendarSession.ends_at > now, CalendarSession.starts_at <= now + timedelta(days=URGENT_DAYS))
        .distinct()
        .order_by(Cohort.key)
    )
    return [(key, tz) for key, tz in rows.all()]
