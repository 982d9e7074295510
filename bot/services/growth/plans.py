"""Growth: the development plan with history; it takes readiness (readiness.py) and attendance (attendance.py) in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.growth import GrowthContent
from bot.domain.access import can_view_plan, consultant_scopes
from bot.domain.danish import format_date
from bot.domain.development import apprentices_text
from bot.domain.limits import LIMITS
from bot.domain.people import Profile
from bot.domain.programme import Programme
from bot.domain.readiness import (
    AIM_NAMES_DA,
    AIMS,
    READINESS_TOPICS,
)
from bot.services.errors import ActionError, Refused
from bot.services.growth.attendance import AttendanceRecords
from bot.services.growth.readiness import Readiness, own_placement, placement_data, readiness_form, readiness_placement
from bot.services.idempotent import retry_on_conflict
from bot.services.messages.builder import MessageBuilder
from bot.services.reply import Reply, notice
from bot.storage.db import Database
from bot.storage.models import (
    Cohort,
    DevelopmentPlan,
    DevelopmentPlanRevision,
    Membership,
    Person,
    PlannedDelivery,
    ReadinessAssessment,
)

log = logging.getLogger(__name__)
PLAN_FIELDS = ("individual", "team", "organisation", "notes", "environment")
FIELD_NAMES_DA = {
    "aim": "formål",
    "individual": "mål for individ",
    "team": "mål for team",
    "organisation": "mål for organisation",
    "notes": "noter",
    "environment": "plan for lokale talentmiljøer",
    "apprentices": "mesterlære",
}
MAX_PLAN_TEXT = LIMITS["plan text"]
MAX_APPRENTICES = 2  # the programme text: 1-2 subordinate leaders or employees
HISTORY_SHOWN = 5


def apprentices_from(answer: dict[str, Any]) -> list[dict[str, str]]:
    """The 1-2 apprentices (mesterlære) from the form's fields, each with name and role; ActionError when half filled."""
    out = []
    for n in range(1, MAX_APPRENTICES + 1):
        name = str(answer.get(f"apprentice{n}", "") or "").strip()
        role = str(answer.get(f"apprentice{n}_role", "") or "").strip()
        if not name and not role:
            continue
        if not name or not role:
            raise ActionError(f"Skriv både navn og rolle for person {n} i mesterlære.")
        if len(name) > LIMITS["person name"] or len(role) > LIMITS["person name"]:
            raise ActionError(f"Navn og rolle i mesterlære må højst være {LIMITS['person name']} tegn.")
        out.append({"name": name, "role": role})
    return out


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """What a plan revision changed against the one before it, in Danish ('oprettet' for the first)."""
    if old is None:
        return "oprettet"
    names = [FIELD_NAMES_DA[k] for k in ("aim", *PLAN_FIELDS, "apprentices") if (old.get(k) or "") != (new.get(k) or "")]
    return ", ".join(names) if names else "uændret"


def _snapshot(obj: Any) -> dict[str, Any]:
    return {"aim": obj.aim or "", **{k: getattr(obj, k) or "" for k in PLAN_FIELDS}, "apprentices": obj.apprentices or []}


class Growth(Readiness, AttendanceRecords):
    """Development plans, readiness and attendance."""

    def __init__(
        self,
        db: Database,
        programme: Programme,
        content: GrowthContent,
        clock: Callable[[], datetime],
        messages: MessageBuilder,
        *,
        timezone: str,
    ) -> None:
        self.db = db
        self.timezone = timezone  # settings.timezone, for a cohort row that is gone
        self.programme = programme
        self.content = content
        self.clock = clock
        self.messages = messages

    # ---- access -------------------------------------------------------------------------------

    async def _talent_membership(self, session: AsyncSession, person_id: int) -> Membership | None:
        """The person's latest talent membership."""
        return await session.scalar(
            select(Membership)
            .where(Membership.person_id == person_id, Membership.role == "talent")
            .order_by(Membership.cohort_id.desc())
            .limit(1)
        )

    async def _may_view(self, session: AsyncSession, viewer_id: int, talent_id: Any) -> Membership:
        """The talent's membership if the viewer is that talent or their nearest leader; else ActionError."""
        if not isinstance(talent_id, int) or isinstance(talent_id, bool):
            raise ActionError("Kortet mangler sin reference.")
        membership = await self._talent_membership(session, talent_id)
        if membership is None or not can_view_plan(viewer_id, talent_id, membership.leader_id):
            log.warning("development plan of person %s refused for person %d", talent_id, viewer_id)
            raise Refused("Du kan kun se din egen udviklingsplan eller dine egne talenters.", target=f"plan of person {talent_id}")
        return membership

    async def _tz(self, session: AsyncSession, cohort_id: int) -> ZoneInfo:
        cohort = await session.get(Cohort, cohort_id)
        return ZoneInfo(cohort.timezone if cohort else self.timezone)

    # ---- development plan ---------------------------------------------------------------------

    async def _plan(self, session: AsyncSession, membership: Membership) -> DevelopmentPlan | None:
        return await session.scalar(
            select(DevelopmentPlan).where(
                DevelopmentPlan.cohort_id == membership.cohort_id, DevelopmentPlan.person_id == membership.person_id
            )
        )

    async def history(self, session: AsyncSession, plan: DevelopmentPlan | None, tz: ZoneInfo) -> list[dict[str, str]]:
        """The plan's revisions, newest first: when, by whom, what changed."""
        if plan is None:
            return []
        revisions = list(
            await session.scalars(
                select(DevelopmentPlanRevision).where(DevelopmentPlanRevision.plan_id == plan.id).order_by(DevelopmentPlanRevision.version)
            )
        )
        out = []
        previous: dict[str, Any] | None = None
        for revision in revisions:
            current = _snapshot(revision)
            editor = await session.get(Person, revision.edited_by) if revision.edited_by else None
            out.append(
                {
                    "when": format_date(revision.created_at.astimezone(tz).date(), weekday=False),
                    "who": editor.name if editor else "",
                    "what": changed_fields(previous, current),
                }
            )
            previous = current
        return list(reversed(out))

    async def _plan_data(self, session: AsyncSession, membership: Membership) -> dict[str, Any]:
        tz = await self._tz(session, membership.cohort_id)
        plan = await self._plan(session, membership)
        talent = await session.get(Person, membership.person_id)
        assessment = await session.scalar(
            select(ReadinessAssessment).where(
                ReadinessAssessment.cohort_id == membership.cohort_id, ReadinessAssessment.person_id == membership.person_id
            )
        )
        placement = readiness_placement(assessment)
        own = readiness_placement(await own_placement(session, membership.cohort_id, membership.person_id))
        history = await self.history(session, plan, tz)
        updated = ""
        if plan is not None and plan.version:
            updated = f"Senest gemt {format_date(plan.updated_at.astimezone(tz).date(), weekday=False)} (version {plan.version})"
        return {
            "talent": talent.name if talent else "",
            "aim_value": (plan.aim if plan else "") or "",
            "aim": AIM_NAMES_DA.get((plan.aim if plan else "") or "", "Ikke valgt endnu"),
            **{k: (getattr(plan, k) if plan else "") or "" for k in PLAN_FIELDS},
            "apprentices": list((plan.apprentices if plan else None) or []),
            "apprentices_text": apprentices_text(plan.apprentices if plan else None),
            "updated": updated,
            "history": history[:HISTORY_SHOWN],
            "readiness": placement_data(placement) if placement else None,
            "readiness_own": placement_data(own) if own else None,  # the talent's own placement, kept beside the leader's
        }

    async def plan_form(self, person_id: int, thanks: bool = False) -> Reply:
        """The talent's own plan as an editable card."""
        async with self.db.sessions() as session:
            membership = await self._talent_membership(session, person_id)
            if membership is None:
                raise ActionError("Kun talenter har en udviklingsplan.")
            data = await self._plan_data(session, membership)
        return Reply("development_plan_form", {**data, "thanks": thanks})

    async def save_plan(self, person_id: int, answer: dict[str, Any]) -> Reply:
        """Store the talent's plan; a changed plan gets a new dated revision. The form again, with thanks.

        Saved twice at once (the first save creates the plan), the second finds the first's plan and revision."""
        return await retry_on_conflict(lambda: self._save_plan(person_id, answer), "plan save")

    async def _save_plan(self, person_id: int, answer: dict[str, Any]) -> Reply:
        """One attempt at save_plan."""
        aim = str(answer.get("aim", "") or "").strip()
        if aim and aim not in AIMS:
            raise ActionError("Vælg vertikal eller horisontal ledelsesudvikling.")
        values = {k: str(answer.get(k, "") or "").strip() for k in PLAN_FIELDS}
        for name, value in values.items():
            if len(value) > MAX_PLAN_TEXT:
                raise ActionError(f"Feltet {FIELD_NAMES_DA[name]} må højst være {MAX_PLAN_TEXT} tegn.")
        apprentices = apprentices_from(answer)
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            membership = await self._talent_membership(session, person_id)
            if membership is None:
                raise ActionError("Kun talenter har en udviklingsplan.")
            plan = await self._plan(session, membership)
            if plan is None:
                plan = DevelopmentPlan(cohort_id=membership.cohort_id, person_id=person_id, version=0, created_at=now, updated_at=now)
                session.add(plan)
                await session.flush()
            new = {"aim": aim, **values, "apprentices": apprentices}
            if plan.version == 0 or _snapshot(plan) != new:
                plan.aim = aim or None
                plan.apprentices = apprentices or None
                for name, value in values.items():
                    setattr(plan, name, value)
                plan.version += 1
                plan.updated_at, plan.updated_by = now, person_id
                session.add(
                    DevelopmentPlanRevision(
                        plan_id=plan.id,
                        version=plan.version,
                        aim=aim or None,
                        apprentices=apprentices or None,
                        edited_by=person_id,
                        created_at=now,
                        **values,
                    )
                )
                log.info("development plan %d saved as version %d", plan.id, plan.version)
        return await self.plan_form(person_id, thanks=True)

    async def plan_view(self, viewer_id: int, talent_id: Any, back: Any = None) -> Reply:
        """One talent's plan, read-only, for the talent or their nearest leader."""
        async with self.db.sessions() as session:
            membership = await self._may_view(session, viewer_id, talent_id)
            plan = await self._plan_data(session, membership)
        return Reply(
            "development_plan",
            {
                "plans": [plan],
                "can_edit": viewer_id == talent_id,
                "back_plan": back if isinstance(back, int) and not isinstance(back, bool) else None,
            },
        )

    async def nudge_again(self, person_id: int, plan_id: Any) -> Reply:
        """'Tilbage': the person's own nudge (or readiness) card as it stands now."""
        if not isinstance(plan_id, int) or isinstance(plan_id, bool):
            raise ActionError("Kortet mangler sin reference.")
        async with self.db.sessions() as session:
            row = await session.get(PlannedDelivery, plan_id)
            if row is None or row.person_id != person_id or not (row.kind == "nudge" or row.topic in READINESS_TOPICS):
                log.warning("card on plan row %s refused for person %d", plan_id, person_id)
                raise Refused("Det kort hører ikke til dig.", target=f"plan row {plan_id}")
            if row.topic in READINESS_TOPICS:
                return await readiness_form(session, row)
            parent = (row.data or {}).get("parent")
            if parent is not None:
                row = await session.get(PlannedDelivery, parent) or row
            return await self.messages.nudge_card(session, row, await self._tz(session, row.cohort_id))

    async def plans_reply(self, profile: Profile) -> Reply:
        """`udviklingsplan`: the talent's own form; a leader's talents' plans read-only; others a kind no."""
        async with self.db.sessions() as session:
            # only cohorts the profile shows: it is scoped to the tenant the message came from
            own = await self._talent_membership(session, profile.person_id)
            if own is not None and own.cohort_id in profile.cohort_ids:
                return Reply("development_plan_form", {**await self._plan_data(session, own), "thanks": False})
            talents = list(
                await session.scalars(
                    select(Membership)
                    .join(Person, Person.id == Membership.person_id)
                    .where(Membership.role == "talent", Membership.leader_id == profile.person_id)
                    .where(Membership.cohort_id.in_(profile.cohort_ids))
                    .order_by(Person.name)
                )
            )
            if talents:
                plans = [await self._plan_data(session, m) for m in talents]
                return Reply("development_plan", {"plans": plans, "can_edit": False, "back_plan": None})
            scopes = consultant_scopes(profile)
            if scopes:
                return await self._environment_reply(session, scopes)
        return notice(
            "Ingen udviklingsplan",
            "Udviklingsplanen hører til talenterne. Som nærmeste leder kan du se dine talenters planer her.",
        )

    async def _environment_reply(self, session: AsyncSession, scopes: tuple[tuple[int, str], ...]) -> Reply:
        """The internal consultant's card: their organisation's talents' plans for local talent environments, only those."""
        plans = []
        for cohort_id, organisation in scopes:
            rows = await session.execute(
                select(Person.name, DevelopmentPlan.environment)
                .join(Membership, (Membership.person_id == Person.id) & (Membership.role == "talent"))
                .outerjoin(DevelopmentPlan, (DevelopmentPlan.person_id == Person.id) & (DevelopmentPlan.cohort_id == cohort_id))
                .where(Membership.cohort_id == cohort_id, Person.organisation == organisation)
                .order_by(Person.name)
            )
            plans += [{"name": name, "text": text or ""} for name, text in rows]
        return Reply("environment_plans", {"organisation": scopes[0][1], "plans": plans})
