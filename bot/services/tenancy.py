"""Keeping each person inside one tenant: imports bind people to their cohort's tenant or refuse."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import FileError
from bot.storage.models import Cohort, Membership, Person


async def bind_to_tenant(
    session: AsyncSession, cohort: Cohort, people: Iterable[Person], path: str, lines: dict[str, int] | None = None
) -> list[FileError]:
    """Bind people to the cohort's tenant; an error per person who already belongs to another tenant.

    One person row is one human in one tenant (emails and AAD ids are unique), so a person may not
    be on rosters of two tenants: that would let a message from one tenant reach the other's data.
    Cohorts without a tenant (local mode, single-tenant deployments) bind nobody and refuse nobody.
    """
    tenant = cohort.tenant_id
    if tenant is None:
        return []
    people = list(people)
    ids = [p.id for p in people if p.id is not None]
    elsewhere: dict[int, str] = {}
    if ids:
        rows = await session.execute(
            select(Membership.person_id, Cohort.key)
            .join(Cohort, Cohort.id == Membership.cohort_id)
            .where(Membership.person_id.in_(ids), Cohort.tenant_id.is_not(None), Cohort.tenant_id != tenant)
        )
        elsewhere = {person_id: key for person_id, key in rows.all()}
    errors = []
    for person in people:
        line = (lines or {}).get(person.email, 0)
        if person.id in elsewhere:
            errors.append(
                FileError(
                    path,
                    line,
                    f"{person.email} is on cohort {elsewhere[person.id]} of another tenant; a person can belong to one tenant only",
                )
            )
        elif person.tenant_id not in (None, tenant):
            errors.append(
                FileError(path, line, f"{person.email} already uses the bot from another tenant; a person can belong to one tenant only")
            )
        else:
            person.tenant_id = tenant
    return errors
