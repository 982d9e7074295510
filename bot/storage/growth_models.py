"""SQLAlchemy tables of the growth track: development plans with revisions, readiness (both placements), attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime, utcnow


class DevelopmentPlan(Base):
    """A talent's personal development plan (udviklingsplan): goals at three levels, aim and notes."""

    __tablename__ = "development_plans"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id", name="uq_development_plan"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))  # the talent
    aim: Mapped[str | None] = mapped_column(String(16), nullable=True)  # vertical, horizontal
    individual: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str] = mapped_column(Text, default="")
    organisation: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # mesterlære: the 1-2 people the talent takes into apprenticeship, [{"name", "role"}]; no Entra account needed
    apprentices: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    environment: Mapped[str] = mapped_column(Text, default="")  # the closing seminar's plan for local talent environments
    version: Mapped[int] = mapped_column(Integer, default=0)  # number of the latest revision
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DevelopmentPlanRevision(Base):
    """One saved version of a development plan: the dated history."""

    __tablename__ = "development_plan_revisions"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_plan_revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("development_plans.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    aim: Mapped[str | None] = mapped_column(String(16), nullable=True)
    individual: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str] = mapped_column(Text, default="")
    organisation: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    apprentices: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    environment: Mapped[str] = mapped_column(Text, default="")
    edited_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReadinessAssessment(Base):
    """The nearest leader's placement of a talent in the readiness criteria after module 6."""

    __tablename__ = "readiness"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id", name="uq_readiness"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))  # the talent
    assessed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    aim: Mapped[str] = mapped_column(String(16))  # vertical, horizontal
    tasks: Mapped[str] = mapped_column(String(16))  # stretch, simple
    performance: Mapped[str] = mapped_column(String(16))  # exceptional, satisfactory, not-yet
    box: Mapped[int] = mapped_column(Integer)  # 1..6
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReadinessSelfPlacement(Base):
    """The talent's own placement in the same six boxes, given before the nearest leader places them."""

    __tablename__ = "readiness_self"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id", name="uq_readiness_self"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))  # the talent
    aim: Mapped[str] = mapped_column(String(16))
    tasks: Mapped[str] = mapped_column(String(16))
    performance: Mapped[str] = mapped_column(String(16))
    box: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Attendance(Base):
    """LEAD's mark that a person missed (or, after all, attended) one session of an activity."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id", "activity_key", "part", name="uq_attendance"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    activity_key: Mapped[str] = mapped_column(String(32))
    part: Mapped[str] = mapped_column(String(8))  # main, day1, day2
    status: Mapped[str] = mapped_column(String(16), default="absent")  # absent, present (a mark taken back)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
