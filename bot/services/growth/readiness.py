"""Readiness placement: the talent's own placement first, then the nearest leader's (readiness_form), and the result card."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.access import can_assess_readiness, can_place_self
from bot.domain.readiness import READINESS_TOPICS, SELF_TOPIC, Placement, ReadinessError, place
from bot.outbox.writer import enqueue, reachable_chats
from bot.services.errors import ActionError, Refused
from bot.services.messages.render import card_message
from bot.services.reply import Reply
from bot.storage.db import Database
from bot.storage.models import DevelopmentPlan, Membership, Person, PlannedDelivery, ReadinessAssessment, ReadinessSelfPlacement

log = logging.getLogger(__name__)


def placement_data(placement: Placement) -> dict[str, Any]:
    return {
        "box": placement.box,
        "aim": placement.aim_da,
        "tasks": placement.tasks_da,
        "performance": placement.performance_da,
        "description": placement.description,
        "recommendation": placement.recommendation,
    }


def readiness_placement(row: ReadinessAssessment | ReadinessSelfPlacement | None) -> Placement | None:
    """The stored assessment (the leader's or the talent's own) as a placement (None when not placed)."""
    return place(row.aim, row.tasks, row.performance) if row is not None else None


async def own_placement(session: AsyncSession, cohort_id: int, talent_id: Any) -> ReadinessSelfPlacement | None:
    """The talent's own placement in the six boxes, if they gave one."""
    return await session.scalar(
        select(ReadinessSelfPlacement).where(ReadinessSelfPlacement.cohort_id == cohort_id, ReadinessSelfPlacement.person_id == talent_id)
    )


async def readiness_form(session: AsyncSession, row: PlannedDelivery, thanks: bool = False) -> Reply:
    """The readiness card, pre-filled with an earlier answer: the talent's own, or the leader's showing the talent's."""
    talent_id = (row.data or {}).get("talent")
    talent = await session.get(Person, talent_id) if isinstance(talent_id, int) else None
    own = readiness_placement(await own_placement(session, row.cohort_id, talent_id))
    if row.topic == SELF_TOPIC:
        mine = await own_placement(session, row.cohort_id, talent_id)
        return Reply(
            "readiness_form",
            {
                "own_card": True,
                "talent": talent.name if talent else "",
                "plan_id": row.id,
                "talent_id": talent_id if isinstance(talent_id, int) else 0,
                "aim": mine.aim if mine else "",
                "tasks": mine.tasks if mine else "",
                "performance": mine.performance if mine else "",
                "result": placement_data(own) if own else None,
                "own": None,
                "thanks": thanks,
            },
        )
    assessment = await session.scalar(
        select(ReadinessAssessment).where(ReadinessAssessment.cohort_id == row.cohort_id, ReadinessAssessment.person_id == talent_id)
    )
    plan_aim = await session.scalar(
        select(DevelopmentPlan.aim).where(DevelopmentPlan.cohort_id == row.cohort_id, DevelopmentPlan.person_id == talent_id)
    )
    placement = readiness_placement(assessment)
    name = talent.name if talent else "dit talent"
    return Reply(
        "readiness_form",
        {
            "talent": name,
            "plan_id": row.id,
            "talent_id": talent_id if isinstance(talent_id, int) else 0,
            "aim": assessment.aim if assessment else (plan_aim or ""),
            "tasks": assessment.tasks if assessment else "",
            "performance": assessment.performance if assessment else "",
            "result": placement_data(placement) if placement else None,
            "own": placement_data(own) if own else None,  # the talent's own placement, shown while the leader places
            "own_card": False,
            "thanks": thanks,
        },
    )


class Readiness:
    """The nearest leader's readiness assessment; a part of Growth (plans.py), whose _talent_membership it uses."""

    db: Database
    clock: Callable[[], datetime]
    _talent_membership: Callable[[AsyncSession, int], Awaitable[Membership | None]]  # Growth's

    async def assess_readiness(self, leader_id: int, plan_id: Any, answer: dict[str, Any]) -> Reply:
        """The nearest leader places their talent; the talent is told; the refreshed card."""
        if not isinstance(plan_id, int) or isinstance(plan_id, bool):
            raise ActionError("Kortet mangler sin reference.")
        aim = str(answer.get("aim", "") or "").strip()
        tasks = str(answer.get("tasks", "") or "").strip()
        performance = str(answer.get("performance", "") or "").strip()
        try:
            placement = place(aim, tasks, performance)
        except ReadinessError as exc:
            raise ActionError(str(exc)) from None
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            row = await session.get(PlannedDelivery, plan_id)
            if row is None or row.person_id != leader_id or row.topic not in READINESS_TOPICS:
                log.warning("readiness on plan row %s refused for person %d", plan_id, leader_id)
                raise Refused("Det kort hører ikke til dig.", target=f"plan row {plan_id}")
            talent_id = (row.data or {}).get("talent")
            if row.topic == SELF_TOPIC:
                return await self._place_self(session, row, leader_id, (aim, tasks, performance), placement.box, now)
            membership = await self._talent_membership(session, talent_id) if isinstance(talent_id, int) else None
            if not isinstance(talent_id, int) or membership is None or not can_assess_readiness(leader_id, membership.leader_id):
                raise Refused("Du er ikke længere registreret som nærmeste leder for talentet.", target=f"readiness of person {talent_id}")
            existing = await session.scalar(
                select(ReadinessAssessment).where(
                    ReadinessAssessment.cohort_id == row.cohort_id, ReadinessAssessment.person_id == talent_id
                )
            )
            if existing is None:
                existing = ReadinessAssessment(cohort_id=row.cohort_id, person_id=talent_id, created_at=now)
                session.add(existing)
            changed = (existing.aim, existing.tasks, existing.performance) != (aim, tasks, performance)
            existing.aim, existing.tasks, existing.performance, existing.box = aim, tasks, performance, placement.box
            existing.assessed_by, existing.updated_at = leader_id, now
            row.action, row.acted_at, row.acted_by = "done", now, leader_id
            await session.flush()
            if changed:  # a second click on the same answer tells the talent nothing new
                await self._tell_talent(session, row.cohort_id, talent_id, leader_id, placement, existing.id, now)
            card = await readiness_form(session, row, thanks=True)
        log.info("readiness of person %d set to box %d by their leader", talent_id, placement.box)
        return card

    async def _place_self(
        self, session: AsyncSession, row: PlannedDelivery, person_id: int, answer: tuple[str, str, str], box: int, now: datetime
    ) -> Reply:
        """Store the talent's own placement (their leader sees it on their card); the refreshed card."""
        if not can_place_self(person_id, (row.data or {}).get("talent")):
            raise Refused("Du kan kun placere dig selv.", target=f"plan row {row.id}")
        mine = await own_placement(session, row.cohort_id, person_id)
        if mine is None:
            mine = ReadinessSelfPlacement(cohort_id=row.cohort_id, person_id=person_id, created_at=now)
            session.add(mine)
        mine.aim, mine.tasks, mine.performance = answer
        mine.box, mine.updated_at = box, now
        row.action, row.acted_at, row.acted_by = "done", now, person_id
        await session.flush()
        log.info("person %d placed themselves in box %d", person_id, box)
        return await readiness_form(session, row, thanks=True)

    async def _tell_talent(
        self, session: AsyncSession, cohort_id: int, talent_id: int, leader_id: int, placement: Placement, assessment_id: int, now: datetime
    ) -> None:
        """Queue the result card for the talent's 1:1 chat (they also see it in `udviklingsplan`)."""
        chat = (await reachable_chats(session, [talent_id])).get(talent_id)
        if chat is None:
            return
        leader = await session.get(Person, leader_id)
        card = Reply("readiness_result", {**placement_data(placement), "leader": leader.name if leader else ""})
        stamp = f"{placement.aim}-{placement.tasks}-{placement.performance}"
        key = f"readiness/{assessment_id}/{stamp}/{now.timestamp()}"
        await enqueue(session, key=key, conversation_id=chat, payload=card_message(card, "Din placering i parathedskriterierne"), at=now)
