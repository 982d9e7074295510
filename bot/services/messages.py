"""Turning plan rows and notices into the message payloads the outbox sends."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import cards
from bot.domain.danish import format_date, format_span
from bot.domain.materials import KIND_LABELS_DA, TOPIC_LABELS_DA, TOPICS, Materials
from bot.domain.programme import Programme
from bot.storage.models import CalendarSession, Cohort, Material, PlannedDelivery, Progress

PART_LABELS = {"main": "Tid", "day1": "Dag 1", "day2": "Dag 2"}


def card_message(card: dict[str, Any], summary: str) -> dict[str, Any]:
    """A message Activity carrying one Adaptive Card (summary shows in notifications)."""
    return {"type": "message", "summary": summary[:200], "attachments": [cards.attachment(card)]}


def seen_label(seen_at: datetime | None, tz: ZoneInfo) -> str | None:
    """'Set ✔ 12. jan' for a seen material."""
    if seen_at is None:
        return None
    local = seen_at.astimezone(tz)
    return f"Set ✔ {format_date(local.date(), weekday=False, year=False)}"


class MessageBuilder:
    """Builds cards for material steps, reminders and notices."""

    def __init__(self, programme: Programme, materials: Materials) -> None:
        self.programme = programme
        self.materials = materials

    async def material_card(
        self,
        session: AsyncSession,
        person_id: int,
        activity_key: str,
        topic: str,
        tz: ZoneInfo,
        *,
        updated: bool = False,
    ) -> tuple[dict[str, Any], str]:
        """The card for one material step as the person should see it now, and its version."""
        material = await session.scalar(
            select(Material).where(Material.activity_key == activity_key, Material.topic == topic)
        )
        if material is None:
            raise LookupError(f"material {activity_key}/{topic} is not published")
        progress = {
            p.topic: p.seen_at
            for p in await session.scalars(
                select(Progress).where(Progress.person_id == person_id, Progress.activity_key == activity_key)
            )
        }
        sequence = self.materials.sequences.get(activity_key)
        total = len(sequence.steps) if sequence else len(TOPICS)
        budget = sequence.minutes if sequence else material.minutes
        step_no = TOPICS.index(topic) + 1
        activity = self.programme.activity(activity_key)
        seen_at = progress.get(topic)
        card = cards.render(
            "material",
            {
                "activity": activity.name,
                "activity_key": activity_key,
                "topic": topic,
                "topic_label": TOPIC_LABELS_DA[topic],
                "kind_label": KIND_LABELS_DA.get(material.kind, material.kind),
                "title": material.title,
                "minutes": material.minutes,
                "description": material.description,
                "url": material.url,
                "step": step_no,
                "total": total,
                "seen_count": len(progress),
                "budget_minutes": budget,
                "seen": seen_label(seen_at, tz),
                "optional": topic == "literature",
                "updated": updated,
            },
        )
        return card, material.version

    async def reminder_card(self, session: AsyncSession, cohort_id: int, activity_key: str, tz: ZoneInfo) -> dict[str, Any]:
        """The practical reminder: when, where, what to bring."""
        activity = self.programme.activity(activity_key)
        rows = (
            await session.scalars(
                select(CalendarSession)
                .where(CalendarSession.cohort_id == cohort_id, CalendarSession.activity_key == activity_key)
                .order_by(CalendarSession.starts_at)
            )
        ).all()
        sequence = self.materials.sequences.get(activity_key)
        return cards.render(
            "reminder",
            {
                "activity": activity.name,
                "sessions": [
                    {
                        "label": PART_LABELS.get(r.part, r.part),
                        "when": format_span(r.starts_at.astimezone(tz), r.ends_at.astimezone(tz)),
                        "venue": r.venue,
                    }
                    for r in rows
                ],
                "bring": (sequence.reminder if sequence else "") or activity.bring,
            },
        )

    async def for_plan_row(self, session: AsyncSession, row: PlannedDelivery, now: datetime) -> tuple[dict[str, Any], str | None]:
        """The payload to send for a due plan row, and the content version it carries."""
        cohort = await session.get(Cohort, row.cohort_id)
        assert cohort is not None
        tz = ZoneInfo(cohort.timezone)
        if row.kind == "material" and row.activity_key:
            card, version = await self.material_card(session, row.person_id, row.activity_key, row.topic, tz)
            activity = self.programme.activity(row.activity_key)
            return card_message(card, f"Forberedelse til {activity.name}"), version
        if row.kind == "reminder" and row.activity_key:
            card = await self.reminder_card(session, row.cohort_id, row.activity_key, tz)
            return card_message(card, f"Praktisk påmindelse: {self.programme.activity(row.activity_key).name}"), None
        raise LookupError(f"no message for plan row kind {row.kind!r}")

    @staticmethod
    def notice(title: str, text: str, sender: str | None = None) -> dict[str, Any]:
        """A titled text message (broadcasts, notices)."""
        return card_message(cards.render("notice", {"title": title, "text": text, "sender": sender}), title)
