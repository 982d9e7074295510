"""The digital track's use cases: publishing materials, marking them seen, the library."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.danish import format_date
from bot.domain.material_edits import Change, merged
from bot.domain.materials import KIND_LABELS_DA, TOPICS, Materials
from bot.domain.programme import Programme
from bot.outbox.writer import Outgoing, enqueue_all, reachable_chats
from bot.services.idempotent import retry_on_conflict
from bot.services.link_guard import PlaceholderLinks, placeholder_links_soon
from bot.services.material_store import load_edits, store_change
from bot.services.messages.builder import MessageBuilder, seen_label
from bot.services.messages.render import card_message
from bot.services.planning import Planner
from bot.services.reply import Reply
from bot.storage.db import Database
from bot.storage.models import (
    CalendarSession,
    Cohort,
    Material,
    Membership,
    PlannedDelivery,
    Progress,
)

log = logging.getLogger(__name__)


@dataclass
class PublishSummary:
    """What publishing changed."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    update_notices: int = 0

    def __str__(self) -> str:
        return f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged; {self.update_notices} update notice(s) queued"


@dataclass(frozen=True)
class SeenResult:
    """The refreshed card after marking a material seen."""

    reply: Reply
    first_time: bool


class Learning:
    """Publishing, progress and the library."""

    def __init__(
        self,
        db: Database,
        programme: Programme,
        materials: Materials,
        messages: MessageBuilder,
        planner: Planner,
        clock: Callable[[], datetime],
        *,
        timezone: str,
        refuse_placeholders: bool = False,
        demo_cohort: str = "",
    ) -> None:
        self.db = db
        self.refuse_placeholders = refuse_placeholders  # Azure mode: real people would get example links
        self.demo_cohort = demo_cohort
        self.timezone = timezone  # settings.timezone, for someone in no cohort
        self.programme = programme
        self.materials = materials
        self.messages = messages
        self.planner = planner
        self.clock = clock

    async def effective(self, session: AsyncSession, change: Change | None = None) -> Materials:
        """The materials a publish writes: content/materials.yaml with LEAD's stored edits (and a pending change) over it."""
        return merged(self.materials, await load_edits(session, change))

    async def publish(self, *, checked: bool = True, change: Change | None = None) -> PublishSummary:
        """Store the materials (the file with LEAD's edits over it), re-plan, and queue one 'opdateret materiale'
        per changed, already-sent step. A change (an edit or a revert from the console or `content edit`) is stored
        in the same transaction, so a refused publish keeps nothing of it.

        In Azure mode a checked publish refuses (PlaceholderLinks) while an activity within 30 days has example links.
        """
        summary = PublishSummary()
        now = self.clock()
        changed_steps: list[tuple[str, str, str]] = []
        async with self.db.sessions() as session, session.begin():
            materials = await self.effective(session, change)
            if checked and self.refuse_placeholders:
                links = await placeholder_links_soon(session, materials, now, skip_cohorts=(self.demo_cohort,))
                if links:
                    raise PlaceholderLinks(links)
            if change is not None:
                await store_change(session, change, now)
            existing = {(m.activity_key, m.topic): m for m in await session.scalars(select(Material))}
            for sequence in materials.sequences.values():
                for step in sequence.steps:
                    row = existing.get((step.activity_key, step.topic))
                    fields = dict(
                        kind=step.kind,
                        title=step.title,
                        url=step.url,
                        minutes=step.minutes,
                        description=step.description,
                        version=step.version,
                    )
                    if row is None:
                        session.add(Material(activity_key=step.activity_key, topic=step.topic, published_at=now, **fields))
                        summary.new += 1
                    elif row.version != step.version:
                        for name, value in fields.items():
                            setattr(row, name, value)
                        row.published_at = now
                        summary.changed += 1
                        changed_steps.append((step.activity_key, step.topic, step.version))
                    else:
                        summary.unchanged += 1
            await session.flush()
            for activity_key, topic, version in changed_steps:
                summary.update_notices += await self._queue_updates(session, activity_key, topic, version, now)
        await self.planner.replan_all()
        log.info("materials published: %s", summary)
        return summary

    async def _queue_updates(self, session: AsyncSession, activity_key: str, topic: str, version: str, now: datetime) -> int:
        """One update message per person who already got an older version of this step."""
        rows = (
            await session.execute(
                select(PlannedDelivery, Cohort.timezone)
                .join(Cohort, Cohort.id == PlannedDelivery.cohort_id)
                .where(
                    PlannedDelivery.kind == "material",
                    PlannedDelivery.activity_key == activity_key,
                    PlannedDelivery.topic == topic,
                    PlannedDelivery.status == "sent",
                    PlannedDelivery.sent_version != version,
                )
            )
        ).all()
        updates: list[Outgoing] = []
        chats = await reachable_chats(session, {row.person_id for row, _ in rows})
        for row, tz_name in rows:
            row.sent_version = version
            chat = chats.get(row.person_id)
            if chat is None:
                continue
            card, _ = await self.messages.material_card(session, row.person_id, activity_key, topic, ZoneInfo(tz_name), updated=True)
            updates.append(Outgoing(f"{row.key}/updated/{version}", chat, card_message(card, "Opdateret materiale"), now, plan_id=row.id))
        return await enqueue_all(session, updates)

    async def ensure_published(self) -> None:
        """First start: publish when nothing is published yet."""
        async with self.db.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Material))
        if not count:
            try:
                await self.publish(checked=False)  # the first start must come up; `content publish` checks
            except IntegrityError:
                # Replicas starting together on an empty database race here; one wins, that is enough.
                async with self.db.sessions() as session:
                    if not await session.scalar(select(func.count()).select_from(Material)):
                        raise

    async def mark_seen(self, person_id: int, activity_key: str, topic: str) -> SeenResult:
        """Record that a person saw a material (idempotent, also clicked twice at once) and return the refreshed card."""
        return await retry_on_conflict(lambda: self._mark_seen(person_id, activity_key, topic), "seen")

    async def _mark_seen(self, person_id: int, activity_key: str, topic: str) -> SeenResult:
        """One attempt at mark_seen."""
        if topic not in TOPICS or activity_key not in self.programme.keys:
            raise LookupError(f"unknown material {activity_key}/{topic}")
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            existing = await session.scalar(
                select(Progress).where(Progress.person_id == person_id, Progress.activity_key == activity_key, Progress.topic == topic)
            )
            if existing is None:
                session.add(Progress(person_id=person_id, activity_key=activity_key, topic=topic, seen_at=now))
                await session.flush()
            tz = await self._timezone(session, person_id)
            reply, _ = await self.messages.material_card(session, person_id, activity_key, topic, tz)
        return SeenResult(reply, existing is None)

    async def _timezone(self, session: AsyncSession, person_id: int) -> ZoneInfo:
        name = await session.scalar(
            select(Cohort.timezone).join(Membership, Membership.cohort_id == Cohort.id).where(Membership.person_id == person_id)
        )
        return ZoneInfo(name or self.timezone)

    async def library(self, person_id: int) -> dict[str, Any]:
        """The data for the library card: released materials grouped by activity, with what was seen."""
        now = self.clock()
        async with self.db.sessions() as session:
            tz = await self._timezone(session, person_id)
            closes = await self._library_closes(session, person_id)
            if closes is not None and now >= closes:
                return {
                    "closed": True,
                    "closed_text": (
                        "Adgangen til programmets materialer sluttede "
                        f"{format_date(closes.astimezone(tz).date(), weekday=False)}, et år efter programmets sidste aktivitet. "
                        "Tak fordi du var med – kontakt LEAD, hvis du har brug for et materiale igen."
                    ),
                    "groups": [],
                }
            # A step skipped because the activity had started (always already due) stays in the library.
            released = (
                await session.execute(
                    select(PlannedDelivery.activity_key, PlannedDelivery.topic)
                    .where(
                        PlannedDelivery.person_id == person_id,
                        PlannedDelivery.kind == "material",
                        PlannedDelivery.due_at <= now,
                        or_(PlannedDelivery.status != "skipped", PlannedDelivery.status_reason == "activity started"),
                    )
                    .distinct()
                )
            ).all()
            wanted = {(a, t) for a, t in released}
            materials = {(m.activity_key, m.topic): m for m in await session.scalars(select(Material))}
            seen = {
                (p.activity_key, p.topic): p.seen_at for p in await session.scalars(select(Progress).where(Progress.person_id == person_id))
            }
        groups = []
        for activity in self.programme.activities:
            items = []
            for topic in TOPICS:
                material = materials.get((activity.key, topic))
                if (activity.key, topic) not in wanted or material is None:
                    continue
                items.append(
                    {
                        "title": material.title,
                        "kind_label": KIND_LABELS_DA.get(material.kind, material.kind),
                        "minutes": material.minutes,
                        "url": material.url,
                        "seen": seen_label(seen.get((activity.key, topic)), tz),
                    }
                )
            if items:
                groups.append({"activity": activity.name, "seen": sum(1 for i in items if i["seen"]), "total": len(items), "items": items})
        return {"closed": False, "closed_text": "", "groups": groups}

    async def _library_closes(self, session: AsyncSession, person_id: int) -> datetime | None:
        """One year (configurable) after the last activity of the person's latest cohort."""
        last = await session.scalar(
            select(func.max(CalendarSession.ends_at))
            .join(Membership, Membership.cohort_id == CalendarSession.cohort_id)
            .where(Membership.person_id == person_id)
        )
        if last is None:
            return None
        return last + timedelta(days=round(365 * self.programme.library_months_after_end / 12))
