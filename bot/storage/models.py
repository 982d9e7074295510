"""SQLAlchemy tables: cohorts, their calendars, people, memberships, conversations (growth tables in growth_models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.base import Base, UTCDateTime, utcnow
from bot.storage.growth_models import Attendance, DevelopmentPlan, DevelopmentPlanRevision, ReadinessAssessment, ReadinessSelfPlacement

__all__ = [
    "Attendance",
    "Base",
    "DevelopmentPlan",
    "DevelopmentPlanRevision",
    "ReadinessAssessment",
    "ReadinessSelfPlacement",
    "UTCDateTime",
    "utcnow",
]


class Cohort(Base):
    """A hold: one run of the programme with its own calendar."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Copenhagen")
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    plan_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # offsets, send time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # last import of its calendar or roster: retention waits a grace period after it
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=utcnow)
    retention_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # admins told
    # bumped by every import in its own transaction; the re-plan writes the version it planned, so a
    # re-plan lost to a crash or a race shows as plan_version != planned_version and is redone
    plan_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    planned_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    sessions: Mapped[list[CalendarSession]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="CalendarSession.starts_at"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", foreign_keys="Membership.cohort_id"
    )


class CalendarSession(Base):
    """When and where one part of an activity takes place for a cohort (modules have day1 and day2)."""

    __tablename__ = "calendar_sessions"
    __table_args__ = (UniqueConstraint("cohort_id", "activity_key", "part", name="uq_session_part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    activity_key: Mapped[str] = mapped_column(String(32))
    part: Mapped[str] = mapped_column(String(8))  # "main", "day1" or "day2"
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    venue: Mapped[str] = mapped_column(String(300), default="")

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")


class Person(Base):
    """Someone in the programme; linked to Teams once they have talked to the bot."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    teams_user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan", foreign_keys="Membership.person_id"
    )


class Membership(Base):
    """One role a person has in one cohort; for talents also level, leader and mentor."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("cohort_id", "person_id", "role", name="uq_membership_role"),
        Index("ix_membership_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(32), nullable=True)
    area: Mapped[str | None] = mapped_column(String(200), nullable=True)  # unit within the organisation
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)

    cohort: Mapped[Cohort] = relationship(back_populates="memberships", foreign_keys=[cohort_id])
    person: Mapped[Person] = relationship(back_populates="memberships", foreign_keys=[person_id])
    leader: Mapped[Person | None] = relationship(foreign_keys=[leader_id])
    mentor: Mapped[Person | None] = relationship(foreign_keys=[mentor_id])


class Conversation(Base):
    """A Teams conversation the bot can write to: a person's 1:1 chat or a channel."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(500), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "personal" or "channel"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), nullable=True, index=True)
    service_url: Mapped[str] = mapped_column(String(500))
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)  # the full ConversationReference
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    unreachable_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Material(Base):
    """A published preparation material: one step of an activity's sequence."""

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("activity_key", "topic", name="uq_material_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_key: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(16))  # intro, article, literature
    kind: Mapped[str] = mapped_column(String(16))  # video, podcast, article, literature
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000))
    minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(40))  # hash of the visible fields
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MaterialEdit(Base):
    """LEAD's edit of one material step from the console or `content edit`: publish lays it over content/materials.yaml."""

    __tablename__ = "material_edits"
    __table_args__ = (UniqueConstraint("activity_key", "topic", name="uq_material_edit_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_key: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(16))
    # Each field is None where the step follows the file, so a later change in the file still comes through.
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    edited_by: Mapped[str] = mapped_column(String(200))  # "person:17" or "cli:<os user>", as in the audit log
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PlannedDelivery(Base):
    """One row of the plan: something the bot sends someone at a moment, keyed for idempotency."""

    __tablename__ = "plan"
    __table_args__ = (Index("ix_plan_status_due", "status", "due_at"), Index("ix_plan_person", "person_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # cohort/person/activity/step
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # material, reminder, nudge, survey
    activity_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    topic: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer, default=0)  # order among rows due together
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned, sent, skipped, failed
    status_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sent_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # "Holdt", snoozed
    acted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)  # done, snoozed
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OutboxMessage(Base):
    """A message waiting to be sent (or sent) through the Bot Connector; the key makes it send-once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"), nullable=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the Activity to post
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sending, sent, dead, unreachable
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    activity_id: Mapped[str | None] = mapped_column(String(200), nullable=True)  # id Teams gave the message
    correlation_id: Mapped[str | None] = mapped_column(String(120), nullable=True)  # the turn/command that queued it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Broadcast(Base):
    """A message LEAD sent to many people at once."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_waiting", "released_at", "scheduled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))  # talent, leader, all
    sender: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A scheduled broadcast waits in this row (not in the outbox) so its audience is who the role covers
    # when it goes; the tick releases it once by setting released_at in a conditional UPDATE.
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Progress(Base):
    """That a person has seen one material."""

    __tablename__ = "progress"
    __table_args__ = (UniqueConstraint("person_id", "activity_key", "topic", name="uq_progress_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    activity_key: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BuddyMember(Base):
    """A talent's place in a buddy group of their cohort."""

    __tablename__ = "buddy_members"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id", name="uq_buddy_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    group_no: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # suggested, set
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Evaluation(Base):
    """One person's evaluation of one activity; a second submit updates it."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id", "activity_key", name="uq_evaluation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    activity_key: Mapped[str] = mapped_column(String(32))
    rating: Mapped[int] = mapped_column(Integer)  # 1..5
    expectations: Mapped[str] = mapped_column(String(8))  # ja, delvist, nej
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class InstructorChannel(Base):
    """The Teams channel where a cohort's instructors get the questions the bot cannot answer."""

    __tablename__ = "instructor_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), unique=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))  # the channel
    team_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Question(Base):
    """A question handed off to the instructors: its card in their channel, and the answer."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    asker_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text)
    activity_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, answered
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True)
    card_key: Mapped[str | None] = mapped_column(String(300), nullable=True)  # the outbox row that posts the card
    card_activity_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)  # the thread's root
    thread_conversation_id: Mapped[str | None] = mapped_column(String(600), nullable=True)  # channel;messageid=root
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reuse: Mapped[bool] = mapped_column(Boolean, default=True)  # "Tilføj til FAQ": the bot may answer with it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    faq_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # LEAD edited/withdrew it


class QuestionAsker(Base):
    """Someone waiting for the answer to a question (the first asker and everyone who asked the same)."""

    __tablename__ = "question_askers"
    __table_args__ = (UniqueConstraint("question_id", "person_id", name="uq_question_asker"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AnswerFeedback(Base):
    """A person's "Det hjalp" (or "Spørg en underviser alligevel") on an answer the bot gave."""

    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[str] = mapped_column(String(200))  # the question index entry that answered
    question: Mapped[str] = mapped_column(Text)
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEntry(Base):
    """One admin action or refused attempt: who, what, when, on which cohort; never message contents."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_cohort_at", "cohort_key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))  # "person:17" or "cli:<os user>"
    actor_person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # no FK: the log outlives people
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cohort_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(64))  # e.g. broadcast, content.publish, privacy.delete
    target: Mapped[str] = mapped_column(String(300), default="")  # what it touched, described without contents
    outcome: Mapped[str] = mapped_column(String(16))  # allowed, refused, failed


class JobRun(Base):
    """One run of a once-per-period job (the daily housekeeping of one date), claimed by one replica."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)  # e.g. the local date 2027-01-04
    claimed_by: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RateSlots(Base):
    """The next free send slot of a rate limit every replica shares (epoch seconds on the database's clock)."""

    __tablename__ = "rate_slots"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)
