"""The report's reads: grouped and counted in the database, plain rows back (no ORM object per plan row)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Evaluation, Membership, PlannedDelivery, Progress

PLAN = PlannedDelivery.__table__
# Rows the figures count: not dropped from the plan, and not a snooze or reminder (a child of a sent row).
_COUNTED = (
    or_(PLAN.c.status_reason.is_(None), PLAN.c.status_reason != "no longer planned"),
    PLAN.c.data["parent"].as_string().is_(None),
)


async def member_rows(session: AsyncSession, cohort_id: int) -> list[Any]:
    """The cohort's memberships as rows of person_id, role, leader_id, mentor_id."""
    query = select(Membership.person_id, Membership.role, Membership.leader_id, Membership.mentor_id).where(
        Membership.cohort_id == cohort_id
    )
    return list((await session.execute(query)).all())


async def evaluation_rows(session: AsyncSession, cohort_id: int) -> list[Any]:
    """The cohort's evaluation answers as rows of person_id, activity_key, rating, expectations."""
    query = select(Evaluation.person_id, Evaluation.activity_key, Evaluation.rating, Evaluation.expectations).where(
        Evaluation.cohort_id == cohort_id
    )
    return list((await session.execute(query)).all())


async def progress_rows(session: AsyncSession, cohort_id: int) -> list[tuple[int, str, str]]:
    """(person, activity, topic) of every material the cohort's members have seen."""
    members = select(Membership.person_id).where(Membership.cohort_id == cohort_id)
    query = select(Progress.person_id, Progress.activity_key, Progress.topic).where(Progress.person_id.in_(members.scalar_subquery()))
    return [(p, a, t) for p, a, t in (await session.execute(query)).all()]


async def occasion_counts(
    session: AsyncSession, cohort_id: int, topics: Iterable[str], now: datetime
) -> list[tuple[str, int, int, int, int]]:
    """Each talent's occasions of each nudge topic, counted in the database: (topic, talent, planned, held, due).

    An occasion is (topic, talent, seq): the talent's own nudge and the leader's or mentor's copy of it
    (which names the talent in data.talent) are one occasion, held when any of them was marked done.
    Counted per talent and topic here, so a cohort of 1 000 sends 7 500 rows back rather than 21 500."""
    talent = func.coalesce(PLAN.c.data["talent"].as_integer(), PLAN.c.person_id).label("talent")
    occasions = (
        select(
            PLAN.c.topic,
            talent,
            func.max(case((PLAN.c.action == "done", 1), else_=0)).label("held"),
            func.max(case((PLAN.c.due_at <= now, 1), else_=0)).label("due"),
        )
        .where(PLAN.c.cohort_id == cohort_id, PLAN.c.kind == "nudge", PLAN.c.topic.in_(list(topics)), *_COUNTED)
        .group_by(PLAN.c.topic, talent, PLAN.c.seq)
        .subquery()
    )
    query = select(occasions.c.topic, occasions.c.talent, func.count(), func.sum(occasions.c.held), func.sum(occasions.c.due)).group_by(
        occasions.c.topic, occasions.c.talent
    )
    return [(topic, int(who), planned, int(held), int(due)) for topic, who, planned, held, due in (await session.execute(query)).all()]


async def invited_counts(session: AsyncSession, cohort_id: int) -> dict[str, int]:
    """Per activity, how many evaluation surveys went out."""
    query = (
        select(PLAN.c.activity_key, func.count())
        .where(
            PLAN.c.cohort_id == cohort_id,
            PLAN.c.kind == "survey",
            PLAN.c.topic == "evaluation",
            PLAN.c.status == "sent",
            *_COUNTED,
        )
        .group_by(PLAN.c.activity_key)
    )
    return {key: count for key, count in (await session.execute(query)).all()}
