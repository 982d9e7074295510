"""The 'Mit forløb' page as data: which view a profile gets and the sections in it, from the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import access as rules
from bot.domain.people import Profile, RoleInCohort
from bot.services.core import Core
from bot.services.overview import Overview
from bot.web import views


@dataclass(frozen=True)
class Page:
    """Which template to render and its data."""

    template: str
    data: dict[str, Any]


class NotYours(LookupError):
    """The viewer may not see this talent (not their nearest leader): nothing about them is shown."""


class Companion:
    """Builds the tab's pages for a profile; reads through Overview, acts through the Core's services."""

    def __init__(self, core: Core, overview: Overview, clock: Callable[[], datetime]) -> None:
        self.core = core
        self.overview = overview
        self.clock = clock

    def _role(self, profile: Profile, role: str) -> RoleInCohort | None:
        # the latest cohort first, as growth picks the talent's membership
        return max((r for r in profile.roles if r.role == role), key=lambda r: r.cohort_id, default=None)

    async def page(self, profile: Profile, query: str = "") -> Page:
        """The landing view: a talent's own programme, a leader's talents, or the calendar others may see."""
        talent = self._role(profile, "talent")
        if talent is not None:
            return await self.talent_page(profile, talent, query)
        if profile.has_role("leader"):
            return await self.leader_page(profile)
        if profile.roles:
            return await self.calendar_page(profile)
        return Page("outsider.html.j2", {"name": profile.first_name})

    async def talent_page(self, profile: Profile, role: RoleInCohort, query: str) -> Page:
        """Everything a talent sees about their own programme."""
        now, tz = self.clock(), ZoneInfo(role.timezone)
        snapshot = await self.overview.talent(profile.person_id, role.cohort_id)
        if snapshot is None:
            return Page("outsider.html.j2", {"name": profile.first_name})
        core = self.core
        prep = views.preparation(snapshot, core.programme, core.materials, now, tz)
        library = views.library(snapshot, core.programme, now, tz, query, core.programme.library_months_after_end)
        return Page(
            "talent.html.j2",
            {
                "who": {
                    "name": snapshot.talent.name,
                    "first_name": profile.first_name,
                    "cohort": role.cohort_name,
                    "level": role.level_da,
                    "leader": snapshot.leader.name if snapshot.leader else "",
                },
                "timeline": views.timeline(core.programme, snapshot.sessions, ("talent",), now, tz),
                "prep": prep,
                "budget": views.budget(prep),
                "group": views.group_track(snapshot, core.nudges, core.programme, now, tz, viewer_is_talent=True),
                "plan": views.development_plan(snapshot, tz),
                "library": {
                    **library,
                    "files": [] if library["closed"] else views.matching(await core.files.library(profile.person_id), query),
                },
                "questions": views.questions(snapshot.questions, tz),
                "editable": True,
            },
        )

    async def leader_page(self, profile: Profile) -> Page:
        """A nearest leader's talents with their progress, and the leader's own calendar."""
        now = self.clock()
        talents = []
        for talent_id, cohort_id in await self.overview.talents_of_leader(profile.person_id, profile.cohort_ids):
            snapshot = await self.overview.talent(talent_id, cohort_id, private=False)
            if snapshot is None:
                continue
            tz = ZoneInfo(next(r.timezone for r in profile.roles if r.cohort_id == cohort_id))
            prep = views.preparation(snapshot, self.core.programme, self.core.materials, now, tz)
            here = next((i for i in views.timeline(self.core.programme, snapshot.sessions, ("talent",), now, tz) if i["current"]), None)
            talents.append(
                {
                    "id": talent_id,
                    "name": snapshot.talent.name,
                    "organisation": snapshot.talent.organisation,
                    "budget": views.budget(prep),
                    "here": here["name"] if here else "",
                    "guide": views.conversation_guide(snapshot, self.core.nudges, tz, now),
                }
            )
        role = self._role(profile, "leader")
        assert role is not None
        tz = ZoneInfo(role.timezone)
        sessions = await self.overview.cohort_sessions(role.cohort_id)
        return Page(
            "leader.html.j2",
            {
                "who": {"name": profile.name, "first_name": profile.first_name, "cohort": role.cohort_name},
                "talents": talents,
                "timeline": views.timeline(self.core.programme, sessions, ("leader",), now, tz),
            },
        )

    async def leader_talent_page(self, profile: Profile, talent_id: int) -> Page:
        """One talent as their nearest leader sees them: timeline, progress, plan read-only, conversation guide."""
        now = self.clock()
        for role in profile.roles:
            leader_id = await self.overview.leader_of(talent_id, role.cohort_id)
            if not rules.can_view_plan(profile.person_id, talent_id, leader_id) or profile.person_id == talent_id:
                continue
            tz = ZoneInfo(role.timezone)
            snapshot = await self.overview.talent(talent_id, role.cohort_id)
            if snapshot is None:
                break
            core = self.core
            prep = views.preparation(snapshot, core.programme, core.materials, now, tz)
            return Page(
                "leader_talent.html.j2",
                {
                    "who": {"name": profile.name, "first_name": profile.first_name, "cohort": role.cohort_name},
                    "talent": {"id": talent_id, "name": snapshot.talent.name, "organisation": snapshot.talent.organisation},
                    "timeline": views.timeline(core.programme, snapshot.sessions, ("talent",), now, tz),
                    "prep": prep,
                    "budget": views.budget(prep),
                    "group": views.group_track(snapshot, core.nudges, core.programme, now, tz, viewer_is_talent=False),
                    "plan": views.development_plan(snapshot, tz)
                    if rules.can_view_readiness(profile.person_id, talent_id, leader_id)
                    else None,
                    "guide": views.conversation_guide(snapshot, core.nudges, tz, now),
                    "editable": False,
                },
            )
        raise NotYours(talent_id)

    async def calendar_page(self, profile: Profile) -> Page:
        """Instructors, mentors and admins: the cohort calendar only (plans and progress are the talent's and leader's)."""
        now = self.clock()
        cohorts = []
        for cohort_id in profile.cohort_ids:
            role = next(r for r in profile.roles if r.cohort_id == cohort_id)
            sessions = await self.overview.cohort_sessions(cohort_id)
            # the calendar is not private: instructors, mentors and admins see the whole common track
            cohorts.append(
                {
                    "name": role.cohort_name,
                    "role": ", ".join(r.role_da for r in profile.roles if r.cohort_id == cohort_id),
                    "timeline": views.timeline(self.core.programme, sessions, ("talent", "leader"), now, ZoneInfo(role.timezone)),
                }
            )
        return Page("calendar.html.j2", {"who": {"name": profile.name, "first_name": profile.first_name}, "cohorts": cohorts})
