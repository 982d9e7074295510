"""The instructors' channel: where it is (set by an admin), and each question's card there, posted and kept up to date."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.danish import format_date, format_time
from bot.domain.programme import LEVEL_NAMES_DA
from bot.domain.questions import thread_conversation_id
from bot.outbox.updates import replacing
from bot.outbox.writer import enqueue
from bot.services.cohorts import get_cohort
from bot.services.messages.render import card_message
from bot.services.reply import Reply
from bot.storage.db import Database
from bot.storage.models import (
    Cohort,
    Conversation,
    InstructorChannel,
    Membership,
    OutboxMessage,
    Person,
    Question,
    QuestionAsker,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelPlace:
    """Where a Teams channel is: what the bot needs to post there on its own."""

    channel_id: str  # 19:…@thread.tacv2, without ;messageid=
    service_url: str
    tenant_id: str | None
    team_id: str | None
    reference: dict[str, Any]  # a ConversationReference pointing at the channel itself


def local_moment_text(moment: datetime, tz: ZoneInfo) -> str:
    """'4. januar kl. 10.00' in the cohort's time zone."""
    local = moment.astimezone(tz)
    return f"{format_date(local.date(), weekday=False, year=False)} {format_time(local)}"


class InstructorsChannel:
    """The channel and its cards; a part of QuestionDesk (desk.py), whose _activity_name it uses."""

    db: Database
    clock: Callable[[], datetime]
    tz: ZoneInfo
    _activity_name: Callable[[str | None], str]  # QuestionDesk's

    async def _card(self, session: AsyncSession, q: Question) -> Reply:
        """The question's card in the instructors' channel, as it is now."""
        cohort = await session.get(Cohort, q.cohort_id)
        asker = await session.get(Person, q.asker_id) if q.asker_id is not None else None
        level = await session.scalar(
            select(Membership.level).where(
                Membership.cohort_id == q.cohort_id, Membership.person_id == q.asker_id, Membership.level.is_not(None)
            )
        )
        askers = await session.scalar(select(func.count(QuestionAsker.id)).where(QuestionAsker.question_id == q.id)) or 1
        tz = ZoneInfo(cohort.timezone) if cohort else self.tz
        answered = None
        if q.status == "answered" and q.answered_at is not None:
            by = await session.get(Person, q.answered_by) if q.answered_by is not None else None
            answered = {
                "by_line": f"Besvaret af {by.name if by else 'en underviser'} {local_moment_text(q.answered_at, tz)}",
                "answer": q.answer or "",
            }
        return Reply(
            "question_channel",
            {
                "question_id": q.id,
                "question": q.text,
                "asker": asker.name if asker else "(slettet)",
                "organisation": asker.organisation if asker else "",
                "level": LEVEL_NAMES_DA.get(level or "", ""),
                "cohort": cohort.name if cohort else "",
                "activity": self._activity_name(q.activity_key),
                "asked": local_moment_text(q.created_at, tz),
                "others": max(0, askers - 1),
                "answered": answered,
            },
        )

    async def _post_card(self, session: AsyncSession, q: Question) -> bool:
        """Queue the question's card for its cohort's instructors' channel; False when there is none."""
        channel = await session.scalar(select(InstructorChannel).where(InstructorChannel.cohort_id == q.cohort_id))
        if channel is None:
            cohort_key = await session.scalar(select(Cohort.key).where(Cohort.id == q.cohort_id))
            log.warning(
                "question %d waits: cohort %s has no instructors' channel (an admin writes 'underviserkanal' "
                "in the channel, or run `python -m bot channel instructors`)",
                q.id,
                cohort_key,
            )
            return False
        q.channel_id = channel.conversation_id
        q.card_key = f"question/{q.id}/card"
        card = await self._card(session, q)
        await enqueue(
            session,
            key=q.card_key,
            conversation_id=channel.conversation_id,
            payload=card_message(card, "Nyt spørgsmål fra et talent"),
            at=self.clock(),
        )
        log.info("question %d queued for the instructors' channel", q.id)
        return True

    async def _card_activity_id(self, session: AsyncSession, q: Question) -> str | None:
        """The posted card's message id (the thread's root), once the sender has posted it."""
        if q.card_activity_id is None and q.card_key is not None:
            activity_id = await session.scalar(
                select(OutboxMessage.activity_id).where(OutboxMessage.key == q.card_key, OutboxMessage.status == "sent")
            )
            channel = await session.get(Conversation, q.channel_id) if q.channel_id is not None else None
            if activity_id and channel is not None:
                q.card_activity_id = activity_id
                q.thread_conversation_id = thread_conversation_id(channel.conversation_id, activity_id)
        return q.card_activity_id

    async def _update_card(self, session: AsyncSession, q: Question, card: Reply, stamp: str) -> None:
        """Replace the channel card in place (through the outbox), or the card itself if not posted yet."""
        if q.channel_id is None or q.card_key is None:
            return
        payload = card_message(card, "Spørgsmål fra et talent")
        activity_id = await self._card_activity_id(session, q)
        if activity_id is not None:
            await enqueue(
                session,
                key=f"question/{q.id}/card/{stamp}",
                conversation_id=q.channel_id,
                payload=replacing(payload, activity_id),
                at=self.clock(),
            )
            return
        posting = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == q.card_key))
        if posting is not None and posting.status == "pending":
            posting.payload = payload  # not out yet: it goes out as it is now
        else:
            log.warning("question %d: card not updated (its post is %s)", q.id, posting.status if posting else "missing")

    # ---- the admins' side ------------------------------------------------------------------

    async def make_channel(self, cohort_key: str, place: ChannelPlace, set_by: int | None) -> str:
        """`underviserkanal` from an admin of the cohort: make this the channel; the Danish confirmation."""
        pending = await self.set_channel_for(cohort_key, place, set_by=set_by)
        async with self.db.sessions() as session:
            name = await session.scalar(select(Cohort.name).where(Cohort.key == cohort_key)) or cohort_key
        waiting = f" {pending} spørgsmål, der ventede på en kanal, er lagt her nu." if pending else ""
        return (
            f"Denne kanal er nu underviserkanal for {name}. Spørgsmål, som jeg ikke selv kan besvare, lægger jeg "
            "her som kort. Svar på kortet eller i kortets tråd, så sender jeg svaret til talentet." + waiting
        )

    async def set_channel_for(self, cohort_key: str, place: ChannelPlace, set_by: int | None = None) -> int:
        """Make a channel the cohort's instructors' channel; post the open questions that waited. UnknownCohort if no cohort."""
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            cohort = await get_cohort(session, cohort_key)
            conversation = await session.scalar(select(Conversation).where(Conversation.conversation_id == place.channel_id))
            if conversation is None:
                conversation = Conversation(
                    conversation_id=place.channel_id,
                    kind="channel",
                    person_id=None,
                    service_url=place.service_url,
                    tenant_id=place.tenant_id,
                    reference=place.reference,
                )
                session.add(conversation)
                await session.flush()
            else:
                conversation.service_url, conversation.reference = place.service_url, place.reference
                conversation.unreachable_at, conversation.unreachable_reason = None, None
            channel = await session.scalar(select(InstructorChannel).where(InstructorChannel.cohort_id == cohort.id))
            if channel is None:
                channel = InstructorChannel(cohort_id=cohort.id)
                session.add(channel)
            channel.conversation_id, channel.tenant_id, channel.team_id = conversation.id, place.tenant_id, place.team_id
            channel.set_by, channel.set_at = set_by, now
            await session.flush()
            waiting = list(
                await session.scalars(
                    select(Question)
                    .where(Question.cohort_id == cohort.id, Question.status == "open", Question.card_key.is_(None))
                    .order_by(Question.id)
                )
            )
            for q in waiting:
                await self._post_card(session, q)
        log.info("instructors' channel set for cohort %s; %d waiting question(s) posted", cohort_key, len(waiting))
        return len(waiting)
