"""Writing to the outbox: which chats the bot can write to, and queueing a message once per key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from bot.observe.context import correlation_id
from bot.storage.db import dialect_insert
from bot.storage.models import Conversation, OutboxMessage


def reachable_chat(person_id: ColumnElement[int] | QueryableAttribute[int] | int | None = None) -> ColumnElement[bool]:
    """The condition on Conversation for a stored personal chat not marked unreachable (person_id's, when given).

    The one definition of "we can write to this person": a channel is never anyone's chat, and a
    chat the sender found gone (403/404, the app removed) stays out until the person is seen again.
    Given a column (PlannedDelivery.person_id, say) it is a join or EXISTS condition.
    """
    chat = and_(Conversation.kind == "personal", Conversation.unreachable_at.is_(None))
    return chat if person_id is None else and_(Conversation.person_id == person_id, chat)


async def reachable_chats(session: AsyncSession, person_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Person id -> the id of their reachable 1:1 chat row, for these people (None: everyone); people without one are left out.

    A person with two such chats gets the newest, the one stored last.
    """
    query = (
        select(Conversation.person_id, Conversation.id)
        .where(reachable_chat(), Conversation.person_id.is_not(None))
        .order_by(Conversation.id)
    )
    if person_ids is not None:
        wanted = set(person_ids)
        if not wanted:
            return {}
        query = query.where(Conversation.person_id.in_(wanted))
    # the query leaves out chats without a person; the `if` says so to the type checker
    return {person: chat for person, chat in (await session.execute(query)).all() if person is not None}


@dataclass(frozen=True)
class Outgoing:
    """One message to queue: its send-once key, the conversation row it goes to, the activity, when it is due."""

    key: str
    conversation_id: int
    payload: dict[str, Any]
    at: datetime
    plan_id: int | None = None
    broadcast_id: int | None = None


async def enqueue_all(session: AsyncSession, messages: Iterable[Outgoing]) -> int:
    """Queue these messages in the order given; the number newly queued (a key already queued is skipped).

    The key makes a message send-once: INSERT … ON CONFLICT (key) DO NOTHING, so queueing a key
    again (a re-run, a second replica, a double click) is a no-op on SQLite and PostgreSQL alike
    and never raises IntegrityError, which would roll back the caller's whole transaction. Many
    rows go in one statement: a broadcast to thousands costs a few round trips, not thousands.
    """
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    correlation = correlation_id()  # the turn or command under way: its send logs under the same id
    rows = [
        {
            "key": m.key,
            "conversation_id": m.conversation_id,
            "payload": m.payload,
            "next_attempt_at": m.at,
            "plan_id": m.plan_id,
            "broadcast_id": m.broadcast_id,
            "status": "pending",
            "correlation_id": correlation,
        }
        for m in messages
    ]
    if not rows:
        return 0
    statement = (
        dialect_insert(OutboxMessage, is_sqlite=is_sqlite)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.key])
        .returning(OutboxMessage.id)
    )
    # A list of parameter sets: SQLAlchemy sends them as multi-row INSERTs in batches
    # ("insertmanyvalues"), with RETURNING giving one id per row that was written.
    return len((await session.scalars(statement, rows)).all())


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    conversation_id: int,
    payload: dict[str, Any],
    at: datetime,
    plan_id: int | None = None,
    broadcast_id: int | None = None,
) -> bool:
    """Queue one message for a conversation row, due at `at`; False, and nothing written, when the key is already queued."""
    message = Outgoing(key, conversation_id, payload, at, plan_id=plan_id, broadcast_id=broadcast_id)
    return await enqueue_all(session, [message]) == 1
