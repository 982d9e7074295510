"""SQLAlchemy tables for uploaded files: what a file is and where it is attached, and its bytes when kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime, utcnow


class StoredFile(Base):
    """One uploaded file of a cohort, maybe attached to an activity's step or to a kind of nudge."""

    __tablename__ = "files"
    __table_args__ = (Index("ix_files_cohort", "cohort_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))  # what the library and the card show
    filename: Mapped[str] = mapped_column(String(120))  # the download's suggested name; never a path
    kind: Mapped[str] = mapped_column(String(8))  # pdf, docx, pptx, xlsx: read from the bytes
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    activity_key: Mapped[str | None] = mapped_column(String(32), nullable=True)  # "m1": the module's slides
    topic: Mapped[str | None] = mapped_column(String(32), nullable=True)  # a step of it ("intro", "article", …)
    nudge_topic: Mapped[str | None] = mapped_column(String(32), nullable=True)  # "leader-conversation", …
    backend: Mapped[str] = mapped_column(String(8), default="db")  # where the bytes are: "db" or "dir"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FileBlob(Base):
    """The bytes of a file kept in the database (the default: every replica reads the same)."""

    __tablename__ = "file_blobs"

    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
