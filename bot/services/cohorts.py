"""The one lookup of a cohort by its key, and the one error when there is none."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import ActionError
from bot.storage.models import Cohort


class UnknownCohort(ActionError):
    """No cohort has this key: Danish text for Teams, `operator_text` in English for the command line."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Der findes intet hold med nøglen {key!r}.")
        self.key = key

    @property
    def operator_text(self) -> str:
        """The English message the command line prints."""
        return f"no cohort with key {self.key!r}"


async def get_cohort(session: AsyncSession, key: str, *options: Any, for_update: bool = False) -> Cohort:
    """The cohort with this key (loader options such as selectinload apply); UnknownCohort when there is none."""
    query = select(Cohort).where(Cohort.key == key).options(*options)
    cohort = await session.scalar(query.with_for_update() if for_update else query)
    if cohort is None:
        raise UnknownCohort(key)
    return cohort
