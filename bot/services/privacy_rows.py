"""What a person owns: the table of rows that the privacy export walks and erasure deletes, and the references to people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, select

from bot.storage.models import (
    AnswerFeedback,
    Attendance,
    Base,
    BuddyMember,
    Conversation,
    DevelopmentPlan,
    DevelopmentPlanRevision,
    Evaluation,
    InstructorChannel,
    Membership,
    OutboxMessage,
    PlannedDelivery,
    Progress,
    Question,
    QuestionAsker,
    ReadinessAssessment,
    ReadinessSelfPlacement,
)


@dataclass(frozen=True)
class OwnRows:
    """Rows of one table about a person: exported in full and erased with them."""

    name: str
    table: Table
    where: Callable[[Any], ColumnElement[bool]]  # person id (a scalar or subquery) -> condition
    cohort: Callable[[Any], ColumnElement[bool]] | None = None  # cohort id -> condition (retention)
    covers: tuple[str, ...] = ()  # the "table.column" references to people.id this entry accounts for


def _plan_ids_of(person_id: Any) -> Any:
    return select(DevelopmentPlan.id).where(DevelopmentPlan.person_id == person_id).scalar_subquery()


def _chats_of(person_id: Any) -> Any:
    return select(Conversation.id).where(Conversation.person_id == person_id).scalar_subquery()


# Order matters for erasure: rows that point at other rows go first.
# A table: one entry per line group reads as the list of what a person owns.
# fmt: off
OWN_ROWS: tuple[OwnRows, ...] = (
    OwnRows("outbox", OutboxMessage.__table__, lambda p: OutboxMessage.conversation_id.in_(_chats_of(p)),
            lambda c: OutboxMessage.plan_id.in_(select(PlannedDelivery.id).where(PlannedDelivery.cohort_id == c))),
    OwnRows("answer_feedback", AnswerFeedback.__table__, lambda p: AnswerFeedback.person_id == p,
            covers=("answer_feedback.person_id",)),
    OwnRows("question_askers", QuestionAsker.__table__, lambda p: QuestionAsker.person_id == p,
            lambda c: QuestionAsker.question_id.in_(select(Question.id).where(Question.cohort_id == c)),
            covers=("question_askers.person_id",)),
    OwnRows("development_plan_revisions", DevelopmentPlanRevision.__table__,
            lambda p: DevelopmentPlanRevision.plan_id.in_(_plan_ids_of(p)),
            lambda c: DevelopmentPlanRevision.plan_id.in_(select(DevelopmentPlan.id).where(DevelopmentPlan.cohort_id == c))),
    OwnRows("development_plans", DevelopmentPlan.__table__, lambda p: DevelopmentPlan.person_id == p,
            lambda c: DevelopmentPlan.cohort_id == c, covers=("development_plans.person_id",)),
    OwnRows("readiness", ReadinessAssessment.__table__, lambda p: ReadinessAssessment.person_id == p,
            lambda c: ReadinessAssessment.cohort_id == c, covers=("readiness.person_id",)),
    OwnRows("readiness_self", ReadinessSelfPlacement.__table__, lambda p: ReadinessSelfPlacement.person_id == p,
            lambda c: ReadinessSelfPlacement.cohort_id == c, covers=("readiness_self.person_id",)),
    OwnRows("attendance", Attendance.__table__, lambda p: Attendance.person_id == p,
            lambda c: Attendance.cohort_id == c, covers=("attendance.person_id",)),
    OwnRows("evaluations", Evaluation.__table__, lambda p: Evaluation.person_id == p,
            lambda c: Evaluation.cohort_id == c, covers=("evaluations.person_id",)),
    OwnRows("buddy_members", BuddyMember.__table__, lambda p: BuddyMember.person_id == p,
            lambda c: BuddyMember.cohort_id == c, covers=("buddy_members.person_id",)),
    OwnRows("progress", Progress.__table__, lambda p: Progress.person_id == p, covers=("progress.person_id",)),
    OwnRows("plan", PlannedDelivery.__table__, lambda p: PlannedDelivery.person_id == p,
            lambda c: PlannedDelivery.cohort_id == c, covers=("plan.person_id",)),
    OwnRows("conversations", Conversation.__table__, lambda p: Conversation.person_id == p,
            covers=("conversations.person_id",)),
    OwnRows("memberships", Membership.__table__, lambda p: Membership.person_id == p,
            lambda c: Membership.cohort_id == c, covers=("memberships.person_id",)),
)
# fmt: on

# Columns in other people's rows that name a person; erasure sets them to NULL. (table, column)
REFERENCES: tuple[tuple[Table, str], ...] = (
    (Membership.__table__, "leader_id"),
    (Membership.__table__, "mentor_id"),
    (DevelopmentPlan.__table__, "updated_by"),
    (DevelopmentPlanRevision.__table__, "edited_by"),
    (ReadinessAssessment.__table__, "assessed_by"),
    (Question.__table__, "answered_by"),
    (InstructorChannel.__table__, "set_by"),
    (PlannedDelivery.__table__, "acted_by"),  # who pressed "Holdt ✔" for a buddy group; no foreign key
)
# Handled by hand below: questions.asker_id (anonymise or delete) and people.id itself.
SPECIAL = ("questions.asker_id",)


def covered_references() -> set[str]:
    """Every "table.column" naming a person that export and erasure account for."""
    covered = {c for entry in OWN_ROWS for c in entry.covers}
    covered |= {f"{table.name}.{column}" for table, column in REFERENCES}
    return covered | set(SPECIAL)


def references_to_people() -> set[str]:
    """Every "table.column" with a foreign key to people.id in the models."""
    return {
        f"{table.name}.{fk.parent.name}"
        for table in Base.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table.name == "people"
    }
