"""The instructors' SLA: one reminder in the card's thread for a question open longer than the working-hours limit."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.questions import working_hours_between
from bot.outbox.writer import enqueue
from bot.services.questions.channel import InstructorsChannel
from bot.storage.db import changed_rows
from bot.storage.models import Cohort, Conversation, Question

log = logging.getLogger(__name__)


class SlaReminders(InstructorsChannel):
    """Reminders of overdue questions; a part of QuestionDesk (desk.py)."""

    reminder_hours: int

    async def remind_overdue(self, now: datetime | None = None) -> int:
        """One reminder in the card's thread for each open question older than the working-hours limit."""
        now = now or self.clock()
        hours = self.reminder_hours
        reminded = 0
        async with self.db.sessions() as session, session.begin():
            # working hours never exceed clock hours, so the clock-hours cut is a cheap first filter
            rows = (
                await session.execute(
                    select(Question, Cohort.timezone)
                    .join(Cohort, Cohort.id == Question.cohort_id)
                    .where(
                        Question.status == "open",
                        Question.reminded_at.is_(None),
                        Question.channel_id.is_not(None),
                        Question.created_at <= now - timedelta(hours=hours),
                    )
                    .order_by(Question.id)
                )
            ).all()
            for q, tz in rows:
                if working_hours_between(q.created_at, now, ZoneInfo(tz)) < hours:
                    continue
                root = await self._card_activity_id(session, q)
                channel = await session.get(Conversation, q.channel_id)
                if root is None or channel is None or q.thread_conversation_id is None:
                    continue  # the card is not out yet: nothing to remind in
                claimed = await changed_rows(
                    session, update(Question).where(Question.id == q.id, Question.reminded_at.is_(None)).values(reminded_at=now)
                )
                if claimed != 1:
                    continue
                thread = await self._thread(session, channel, q.thread_conversation_id)
                text = (
                    f"Påmindelse: Dette spørgsmål har ventet på svar i mere end {hours} arbejdstimer. "
                    "Svar på kortet eller her i tråden, så sender jeg svaret til talentet."
                )
                await enqueue(
                    session, key=f"question/{q.id}/reminder", conversation_id=thread.id, payload={"type": "message", "text": text}, at=now
                )
                reminded += 1
        if reminded:
            log.info("reminded the instructors of %d open question(s)", reminded)
        return reminded

    async def _thread(self, session: AsyncSession, channel: Conversation, thread_id: str) -> Conversation:
        """The conversation row that posts into one thread of a channel (made on first use)."""
        row = await session.scalar(select(Conversation).where(Conversation.conversation_id == thread_id))
        if row is None:
            reference = dict(channel.reference or {})
            reference["conversation"] = {**(reference.get("conversation") or {}), "id": thread_id}
            row = Conversation(
                conversation_id=thread_id,
                kind="channel",
                person_id=None,
                service_url=channel.service_url,
                tenant_id=channel.tenant_id,
                reference=reference,
            )
            session.add(row)
            await session.flush()
        return row
