"""LEAD's messages to a whole cohort (or its talents or leaders), through the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.limits import LIMITS
from bot.domain.text import clean
from bot.outbox.writer import Outgoing, enqueue_all, reachable_chats
from bot.services.cohorts import get_cohort
from bot.services.messages.builder import MessageBuilder
from bot.storage.db import Database
from bot.storage.models import Broadcast, Membership, Person

log = logging.getLogger(__name__)
BROADCAST_ROLES = ("talent", "leader", "all")
# The words an admin may write in Teams for each audience (Danish first; the CLI's English names too).
ROLE_WORDS = {
    "talenter": "talent",
    "talent": "talent",
    "ledere": "leader",
    "leder": "leader",
    "leader": "leader",
    "alle": "all",
    "all": "all",
}
MAX_BROADCAST_CHARS = LIMITS["broadcast"]


def broadcast_title(cohort_name: str) -> str:
    """The card's heading every recipient sees."""
    return f"Besked fra LEAD til {cohort_name}"


class BroadcastError(ValueError):
    """The broadcast cannot be sent as asked (Danish message for the admin)."""


@dataclass
class BroadcastResult:
    """Who the message was queued for, and who cannot be reached yet."""

    broadcast_id: int
    queued: int
    unreachable: list[str] = field(default_factory=list)  # emails


def checked_text(text: str, role: str) -> str:
    """The message as it will be sent (stripped), or BroadcastError saying in Danish what is wrong."""
    text = clean(text).strip()  # a browser's textarea sends CRLF, a command line may carry NUL: plain lines only
    if not text:
        raise BroadcastError("Beskeden er tom.")
    if len(text) > MAX_BROADCAST_CHARS:
        raise BroadcastError(f"Beskeden er for lang ({len(text)} tegn; højst {MAX_BROADCAST_CHARS}).")
    if role not in BROADCAST_ROLES:
        raise BroadcastError(f"Ukendt målgruppe {role!r}; brug talent, leader eller all.")
    return text


async def audience(session: AsyncSession, cohort_id: int, role: str) -> dict[int, str]:
    """Person id -> email of everyone the broadcast is for."""
    query = select(Person.id, Person.email).join(Membership, Membership.person_id == Person.id).where(Membership.cohort_id == cohort_id)
    if role != "all":
        query = query.where(Membership.role == role)
    return dict((await session.execute(query.distinct())).all())


class Broadcaster:
    """Queues one outbox message per recipient; the sender paces them."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def broadcast(self, cohort_key: str, text: str, role: str = "all", sender: str = "LEAD") -> BroadcastResult:
        """Queue LEAD's message for everyone concerned in a cohort, once per person."""
        text = checked_text(text, role)
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            cohort = await get_cohort(session, cohort_key)
            people = await audience(session, cohort.id, role)
            chats = await reachable_chats(session, people)
            record = Broadcast(cohort_id=cohort.id, text=text, role=role, sender=sender, created_at=now)
            session.add(record)
            await session.flush()
            payload = MessageBuilder.notice(broadcast_title(cohort.name), text, sender)
            unreachable = []
            messages: list[Outgoing] = []
            for person_id, email in sorted(people.items()):
                chat = chats.get(person_id)
                if chat is None:
                    unreachable.append(email)
                    continue
                messages.append(Outgoing(f"broadcast/{record.id}/{person_id}", chat, payload, now, broadcast_id=record.id))
            await enqueue_all(session, messages)
            record.recipients = len(people) - len(unreachable)
        log.info("broadcast %d queued for %d people; %d without a chat", record.id, record.recipients, len(unreachable))
        return BroadcastResult(record.id, record.recipients, unreachable)
