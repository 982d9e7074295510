"""Buddy groups for a cohort: suggested by the rules, overridable by LEAD, announced through the plan."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.buddies import Candidate, check_groups, suggest_groups
from bot.services.cohorts import get_cohort
from bot.services.planning import Planner
from bot.storage.db import Database
from bot.storage.models import BuddyMember, Cohort, Membership, Person

log = logging.getLogger(__name__)


class BuddyError(ValueError):
    """Groups that cannot be used as given."""


class Buddies:
    """Suggest, set and show buddy groups."""

    def __init__(self, db: Database, planner: Planner, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.planner = planner
        self.clock = clock

    async def _cohort(self, session: AsyncSession, key: str) -> Cohort:
        return await get_cohort(session, key)

    async def _talents(self, session: AsyncSession, cohort_id: int) -> list[tuple[Membership, Person]]:
        result = await session.execute(
            select(Membership, Person)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.cohort_id == cohort_id, Membership.role == "talent")
        )
        return list(result.all())

    async def _store(self, cohort_key: str, groups: list[tuple[int, ...]], source: str) -> None:
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            cohort = await self._cohort(session, cohort_key)
            current: dict[int, list[int]] = {}
            for b in await session.scalars(select(BuddyMember).where(BuddyMember.cohort_id == cohort.id)):
                current.setdefault(b.group_no, []).append(b.person_id)
            if sorted(tuple(sorted(g)) for g in current.values()) == sorted(groups):
                return  # unchanged: no new announcement
            before = await self.planner.people_state_in(session, cohort_key)
            await session.execute(delete(BuddyMember).where(BuddyMember.cohort_id == cohort.id))
            for number, group in enumerate(groups, start=1):
                for person_id in group:
                    session.add(BuddyMember(cohort_id=cohort.id, group_no=number, person_id=person_id, source=source, created_at=now))
            # the plan must follow: a re-plan that does not come (a crash) is made up by the next tick's replan_stale
            cohort.plan_version = Cohort.plan_version + 1
        log.info("buddy groups for %s %s: %d group(s)", cohort_key, source, len(groups))
        # only the re-paired talents' rows, and the introductions (their moment is the new pairing's)
        await self.planner.replan_people(cohort_key, before)

    async def proposal(self, cohort_key: str) -> tuple[list[list[str]], bool]:
        """The groups to edit (the console): the stored ones, or the rules' suggestion unstored; and whether stored."""
        current = await self.show(cohort_key)
        if current:
            return current, True
        async with self.db.sessions() as session:
            cohort = await self._cohort(session, cohort_key)
            talents = await self._talents(session, cohort.id)
        ids = {p.id: p.email for _, p in talents}
        groups = suggest_groups([Candidate(p.id, p.email, m.level or "", p.organisation, m.area or "") for m, p in talents])
        return [sorted(ids[i] for i in g) for g in groups], False

    async def talents(self, cohort_key: str) -> list[tuple[str, str, str, str]]:
        """The cohort's talents as (email, name, organisation, level), by name."""
        async with self.db.sessions() as session:
            cohort = await self._cohort(session, cohort_key)
            rows = await self._talents(session, cohort.id)
        return sorted(((p.email, p.name, p.organisation, m.level or "") for m, p in rows), key=lambda t: (t[1], t[0]))

    async def suggest(self, cohort_key: str) -> list[list[str]]:
        """Pair the cohort's talents by the rules and store the groups."""
        async with self.db.sessions() as session:
            cohort = await self._cohort(session, cohort_key)
            talents = await self._talents(session, cohort.id)
        candidates = [Candidate(p.id, p.email, m.level or "", p.organisation, m.area or "") for m, p in talents]
        groups = suggest_groups(candidates)
        await self._store(cohort_key, groups, "suggested")
        return await self.show(cohort_key)

    async def set(self, cohort_key: str, groups: list[list[str]]) -> list[list[str]]:
        """LEAD's own groups (emails); every talent must be in exactly one group on one level."""
        async with self.db.sessions() as session:
            cohort = await self._cohort(session, cohort_key)
            talents = await self._talents(session, cohort.id)
        levels = {p.email: m.level or "" for m, p in talents}
        ids = {p.email: p.id for _, p in talents}
        normalised = [[e.strip().lower() for e in group if e.strip()] for group in groups]
        problems = check_groups(normalised, levels)
        if problems:
            raise BuddyError("; ".join(problems))
        await self._store(cohort_key, [tuple(sorted(ids[e] for e in g)) for g in normalised], "set")
        return await self.show(cohort_key)

    async def show(self, cohort_key: str) -> list[list[str]]:
        """The groups as lists of emails, in group order."""
        async with self.db.sessions() as session:
            cohort = await self._cohort(session, cohort_key)
            rows = await session.execute(
                select(BuddyMember.group_no, Person.email)
                .join(Person, Person.id == BuddyMember.person_id)
                .where(BuddyMember.cohort_id == cohort.id)
                .order_by(BuddyMember.group_no, Person.email)
            )
            groups: dict[int, list[str]] = {}
            for number, email in rows.all():
                groups.setdefault(number, []).append(email)
        return [groups[n] for n in sorted(groups)]
