"""The chats and channels the bot may write to: remembered per turn, marked unreachable when Teams says so."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.services.idempotent import retry_on_conflict
from bot.storage.db import Database
from bot.storage.models import Conversation


class Conversations:
    """Stored conversations; a part of Directory (directory.py)."""

    db: Database

    async def save_conversation(
        self,
        *,
        conversation_id: str,
        kind: str,
        service_url: str,
        tenant_id: str | None,
        reference: dict[str, Any],
        person_id: int | None,
    ) -> None:
        """Remember where to write to someone (or a channel); a new install makes it reachable again."""
        # two turns of a new chat race (install event + first message): the loser finds the row and updates it
        await retry_on_conflict(
            lambda: self._save_conversation(
                conversation_id=conversation_id,
                kind=kind,
                service_url=service_url,
                tenant_id=tenant_id,
                reference=reference,
                person_id=person_id,
            ),
            "conversation save",
        )

    async def _save_conversation(
        self,
        *,
        conversation_id: str,
        kind: str,
        service_url: str,
        tenant_id: str | None,
        reference: dict[str, Any],
        person_id: int | None,
    ) -> None:
        async with self.db.sessions() as session, session.begin():
            row = await session.scalar(select(Conversation).where(Conversation.conversation_id == conversation_id))
            if row is None:
                session.add(
                    Conversation(
                        conversation_id=conversation_id,
                        kind=kind,
                        person_id=person_id,
                        service_url=service_url,
                        tenant_id=tenant_id,
                        reference=reference,
                    )
                )
                return
            row.reference = reference
            row.service_url = service_url
            row.person_id = person_id if person_id is not None else row.person_id
            row.unreachable_at = None
            row.unreachable_reason = None

    async def has_conversation(self, conversation_id: str) -> bool:
        """Whether we already stored this conversation."""
        async with self.db.sessions() as session:
            found = await session.scalar(
                select(Conversation.id).where(Conversation.conversation_id == conversation_id, Conversation.unreachable_at.is_(None))
            )
            return found is not None

    async def mark_unreachable(self, conversation_id: str, reason: str) -> None:
        """The bot can no longer write here (uninstalled, blocked, removed)."""
        async with self.db.sessions() as session, session.begin():
            row = await session.scalar(select(Conversation).where(Conversation.conversation_id == conversation_id))
            if row is not None and row.unreachable_at is None:
                row.unreachable_at = datetime.now(UTC)
                row.unreachable_reason = reason
