"""The audit log: who did (or tried) which admin action, when, on which cohort; never message contents."""

from __future__ import annotations

import getpass
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.models import AuditEntry, Cohort

log = logging.getLogger(__name__)
OUTCOMES = ("allowed", "refused", "failed")
MAX_TARGET = 300


def person_actor(person_id: int) -> str:
    """The actor name for someone acting from Teams."""
    return f"person:{person_id}"


def cli_actor() -> str:
    """The actor name for the operating-system user running `python -m bot`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container without a passwd entry for the uid
        user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as read back."""

    at: datetime
    actor: str
    tenant_id: str | None
    cohort_key: str | None
    action: str
    target: str
    outcome: str

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "tenant": self.tenant_id,
            "cohort": self.cohort_key,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
        }


async def record_audit(
    store: Database | AsyncSession,
    *,
    actor: str,
    action: str,
    outcome: str = "allowed",
    cohort_key: str | None = None,
    tenant_id: str | None = None,
    target: str = "",
    actor_person_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Write one audit row; given a session it joins the caller's transaction, given a Database it commits its own."""
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {OUTCOMES}, not {outcome!r}")
    if actor_person_id is None and actor.startswith("person:") and actor[7:].isdigit():
        actor_person_id = int(actor[7:])
    entry = AuditEntry(
        at=at or datetime.now(UTC),
        actor=actor[:200],
        actor_person_id=actor_person_id,
        tenant_id=tenant_id,
        cohort_key=cohort_key,
        action=action[:64],
        target=target[:MAX_TARGET],
        outcome=outcome,
    )
    if isinstance(store, AsyncSession):
        if tenant_id is None and cohort_key is not None:
            entry.tenant_id = await store.scalar(select(Cohort.tenant_id).where(Cohort.key == cohort_key))
        store.add(entry)
        await store.flush()
    else:
        async with store.sessions() as session, session.begin():
            if tenant_id is None and cohort_key is not None:
                entry.tenant_id = await session.scalar(select(Cohort.tenant_id).where(Cohort.key == cohort_key))
            session.add(entry)
    log.info("audit: %s %s on %s: %s", actor, action, cohort_key or "-", outcome)


async def read_audit(db: Database, cohort_key: str | None = None, limit: int = 1000) -> list[AuditRow]:
    """The newest audit rows (of one cohort, when named), oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if cohort_key is not None:
        query = query.where(AuditEntry.cohort_key == cohort_key)
    async with db.sessions() as session:
        rows = list(await session.scalars(query))
    return [AuditRow(r.at, r.actor, r.tenant_id, r.cohort_key, r.action, r.target, r.outcome) for r in reversed(rows)]
