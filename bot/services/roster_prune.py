"""The roster file is the truth for its cohort: memberships it no longer lists, shown or removed."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import BuddyMember, Membership, PlannedDelivery


def stale_memberships(memberships: dict[tuple[int, str], Membership], in_file: set[tuple[int, str]]) -> list[Membership]:
    """The cohort's (person, role) memberships the file does not list, in a stable order."""
    return [m for key, m in sorted(memberships.items()) if key not in in_file]


async def remove_memberships(session: AsyncSession, cohort_id: int, stale: list[Membership], in_file: set[tuple[int, str]]) -> None:
    """Delete the memberships and what would still go out for them, inside the import's transaction."""
    if not stale:
        return
    for membership in stale:
        await session.delete(membership)
    remaining = {pid for pid, _ in in_file}
    gone = {m.person_id for m in stale} - remaining  # off the cohort altogether
    talents_left = {pid for pid, role in in_file if role == "talent"}
    no_longer_talent = {m.person_id for m in stale if m.role == "talent"} - talents_left
    if gone:
        await session.execute(
            delete(PlannedDelivery).where(
                PlannedDelivery.cohort_id == cohort_id, PlannedDelivery.person_id.in_(gone), PlannedDelivery.status == "planned"
            )
        )
    changed = {m.person_id for m in stale} - gone  # a role changed: the re-plan adds what the new role wants
    if changed:
        rows = await session.scalars(
            select(PlannedDelivery).where(
                PlannedDelivery.cohort_id == cohort_id, PlannedDelivery.person_id.in_(changed), PlannedDelivery.status == "planned"
            )
        )
        for row in rows:
            if not (row.data or {}).get("parent"):  # a snooze of a sent nudge is the person's, not the role's
                await session.delete(row)
    if no_longer_talent:
        await session.execute(delete(BuddyMember).where(BuddyMember.cohort_id == cohort_id, BuddyMember.person_id.in_(no_longer_talent)))
    await session.flush()


def removal_lines(stale: list[Membership], emails: dict[int, str]) -> list[str]:
    """One line per membership for the operator: `email (role)`."""
    return [f"{emails.get(m.person_id, f'person:{m.person_id}')} ({m.role})" for m in stale]
