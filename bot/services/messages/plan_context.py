"""Nudge card parts beyond nudges.yaml: the apprentices, the talent-environment plans, and the steering group's card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.danish import format_date
from bot.domain.development import apprentices_text, shows_apprentices, shows_environment
from bot.services.reply import Reply
from bot.storage.models import Cohort, DevelopmentPlan, Membership, Person, PlannedDelivery


async def apprentices_of(session: AsyncSession, cohort_id: int, talent_id: int) -> str:
    """The talent's named apprentices as one line ('' when none are named yet)."""
    names = await session.scalar(
        select(DevelopmentPlan.apprentices).where(DevelopmentPlan.cohort_id == cohort_id, DevelopmentPlan.person_id == talent_id)
    )
    return apprentices_text(names)


async def environment_plans(session: AsyncSession, cohort_id: int, talent_ids: list[int]) -> list[dict[str, str]]:
    """The closing seminar's plans for local talent environments of these talents, by name ({name, organisation, text})."""
    if not talent_ids:
        return []
    rows = await session.execute(
        select(Person.name, Person.organisation, DevelopmentPlan.environment)
        .join(DevelopmentPlan, DevelopmentPlan.person_id == Person.id)
        .where(DevelopmentPlan.cohort_id == cohort_id, Person.id.in_(talent_ids), DevelopmentPlan.environment != "")
        .order_by(Person.name)
    )
    return [{"name": name, "organisation": org or "", "text": text} for name, org, text in rows]


async def nudge_plan_parts(
    session: AsyncSession, topic: str, n: int, cohort_id: int, talent_id: int, recipient_id: int, role: str, once: bool
) -> dict[str, Any]:
    """The card fields 'apprentices' and 'environment' for one nudge occasion and reader."""
    out: dict[str, Any] = {"apprentices": "", "environment": []}
    if shows_apprentices(topic, n):
        out["apprentices"] = await apprentices_of(session, cohort_id, talent_id)
    if shows_environment(topic, n):
        talents = [talent_id]
        if once and role == "leader":  # one invitation for all their talents: every one of their plans
            talents = list(
                await session.scalars(
                    select(Membership.person_id).where(
                        Membership.cohort_id == cohort_id, Membership.role == "talent", Membership.leader_id == recipient_id
                    )
                )
            )
        out["environment"] = await environment_plans(session, cohort_id, talents)
    return out


def steering_card(row: PlannedDelivery, cohort: Cohort, report_link: Callable[[str], tuple[str, datetime]] | None) -> Reply:
    """The nudge a week before a steering-group meeting: the cohort's aggregated report, one fresh link."""
    data = row.data or {}
    day = format_date(date.fromisoformat(data["meeting"]), weekday=True, year=False) if data.get("meeting") else ""
    url = report_link(cohort.key)[0] if report_link else None
    return Reply(
        "nudge",
        {
            "title": f"Styregruppemøde {data.get('n', row.seq)} af {data.get('of', 3)}",
            "note": f"{cohort.name} · {day}" if day else cohort.name,
            "text": (
                "Om en uge holder styregruppen møde. Her er holdets rapport med de samlede tal: gennemførelse, "
                "evalueringer, møder og parathed. Den viser ingen enkelte talenters planer eller placeringer."
            ),
            "questions": [],
            "people": [],
            "book_url": None,
            "chat_url": None,
            "plan_id": row.id,
            "done": None,
            "can_act": False,
            "plan_talent": None,
            "report_url": url,
        },
    )
