"""Authorisation in one place: who the actor is, what their roles allow, and a record of every decision."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from bot.domain import access as rules
from bot.domain.commands import normalise
from bot.domain.people import Profile
from bot.services.audit import person_actor, record_audit
from bot.services.errors import ActionError, Refused
from bot.storage.db import Database
from bot.storage.models import Cohort

log = logging.getLogger(__name__)
ADMIN_ONLY_DA = "Den kommando er forbeholdt programmets administratorer hos LEAD."
NOT_YOUR_COHORT_DA = "Du er ikke administrator for det hold, så det kan jeg ikke gøre for dig."


class Access:
    """Decides admin actions for a (tenant-scoped) profile and writes the audit log for each decision."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    # ---- pure checks, re-exported so callers need one import --------------------------------------

    scope = staticmethod(rules.scope_to_tenant)
    is_admin = staticmethod(rules.is_admin)
    can_answer_questions = staticmethod(rules.can_answer_questions)
    can_view_plan = staticmethod(rules.can_view_plan)
    can_view_readiness = staticmethod(rules.can_view_readiness)

    # ---- decisions with a record --------------------------------------------------------------------

    async def require_admin(
        self, profile: Profile, cohort_key: str | None, action: str, *, tenant_id: str | None, target: str = ""
    ) -> None:
        """Pass when the person administers the cohort (any cohort when None); else log, audit and raise Refused."""
        allowed = rules.is_admin(profile, cohort_key) if cohort_key else bool(rules.admin_cohorts(profile))
        if not allowed:
            text = NOT_YOUR_COHORT_DA if cohort_key and rules.admin_cohorts(profile) else ADMIN_ONLY_DA
            await self.refused(profile.person_id, action, cohort_key=cohort_key, tenant_id=tenant_id, target=target)
            raise Refused(text, action, target)

    async def admin_cohort(
        self, profile: Profile, action: str, *, tenant_id: str | None, named: str | None = None, only_one: bool = False
    ) -> str:
        """The cohort an admin acts on: the one named (they must administer it), else their only (or first) one."""
        if named:
            await self.require_admin(profile, named, action, tenant_id=tenant_id)
            return named
        own = rules.admin_cohorts(profile)
        if not own:
            await self.require_admin(profile, None, action, tenant_id=tenant_id)
        if only_one and len(own) > 1:
            # not a refusal: they may, but must say which hold
            raise ActionError(f"Du er administrator for flere hold ({', '.join(own)}). Skriv holdets navn først.")
        return own[0]

    async def report_cohort(self, profile: Profile, action: str, *, tenant_id: str | None, named: str | None = None) -> str:
        """The cohort whose aggregated report someone sees: an admin's (admin_cohort), else the steering group's own."""
        if rules.admin_cohorts(profile) or not rules.steering_cohorts(profile):
            return await self.admin_cohort(profile, action, tenant_id=tenant_id, named=named)
        steered = rules.steering_cohorts(profile)
        if named and named not in steered:
            await self.refused(profile.person_id, action, cohort_key=named, tenant_id=tenant_id)
            raise Refused("Du sidder i styregruppen for et andet hold; her ser du kun dit eget holds rapport.", action, named)
        return named or steered[0]

    async def allowed(self, profile: Profile, action: str, *, cohort_key: str | None, tenant_id: str | None, target: str = "") -> None:
        """Record an admin action that was carried out."""
        await record_audit(
            self.db,
            actor=person_actor(profile.person_id),
            action=action,
            outcome="allowed",
            cohort_key=cohort_key,
            tenant_id=tenant_id,
            target=target,
            at=self.clock(),
        )

    async def refused(
        self, person_id: int, action: str, *, cohort_key: str | None = None, tenant_id: str | None = None, target: str = ""
    ) -> None:
        """Log and record a refused attempt (person id and action only, never what they wrote)."""
        log.warning("refused %s for person %d (cohort %s)", action, person_id, cohort_key or "-")
        await record_audit(
            self.db,
            actor=person_actor(person_id),
            action=action,
            outcome="refused",
            cohort_key=cohort_key,
            tenant_id=tenant_id,
            target=target,
            at=self.clock(),
        )

    async def cohort_named(self, text: str) -> str | None:
        """The key of the cohort a word names (`hold-2027`, or `hold 2027` after normalising), if any."""
        wanted = normalise(text)
        if not wanted:
            return None
        async with self.db.sessions() as session:
            keys = list(await session.scalars(select(Cohort.key)))
        return next((key for key in keys if normalise(key) == wanted), None)
