"""LEAD's stored material edits: read them for a publish, and write one step's change inside the publish's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.material_edits import FIELDS, Change, Values
from bot.storage.models import MaterialEdit


async def edit_rows(session: AsyncSession) -> list[MaterialEdit]:
    """Every stored edit, in activity and step order."""
    return list(await session.scalars(select(MaterialEdit).order_by(MaterialEdit.activity_key, MaterialEdit.id)))


def values_of(row: MaterialEdit) -> Values:
    """The fields an edit row overrides (None columns follow the file)."""
    return {name: getattr(row, name) for name in FIELDS if getattr(row, name) is not None}


async def load_edits(session: AsyncSession, change: Change | None = None) -> dict[tuple[str, str], Values]:
    """The stored edits per (activity, step), with a not yet stored change laid over them."""
    edits = {(r.activity_key, r.topic): values_of(r) for r in await edit_rows(session)}
    if change is not None:
        edits[(change.activity_key, change.topic)] = dict(change.values or {})
    return {key: values for key, values in edits.items() if values}


async def store_change(session: AsyncSession, change: Change, now: datetime) -> bool:
    """Write one step's overrides (none: back to the file's version); whether the stored edit changed."""
    row = await session.scalar(
        select(MaterialEdit).where(MaterialEdit.activity_key == change.activity_key, MaterialEdit.topic == change.topic)
    )
    values = dict(change.values or {})
    if not values:
        if row is None:
            return False
        await session.execute(delete(MaterialEdit).where(MaterialEdit.id == row.id))
        return True
    if row is not None and values_of(row) == values:
        return False  # the same edit confirmed again: who and when stay as they were
    if row is None:
        row = MaterialEdit(activity_key=change.activity_key, topic=change.topic)
        session.add(row)
    for name in FIELDS:
        setattr(row, name, values.get(name))
    row.edited_by, row.edited_at = change.actor, now
    return True
