"""SQLAlchemy tables for 'Klar til start?': each material link's last check, and what the last status card listed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime


class LinkCheck(Base):
    """The last answer of one material link (keyed by the URL's SHA-256, since URLs are long)."""

    __tablename__ = "link_checks"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    ok: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the HTTP status; None for a timeout or DNS/TLS error
    reason: Mapped[str] = mapped_column(String(200))  # Danish, as the console shows it
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StatusSeen(Base):
    """What the cohort's last status card listed as wrong: item code -> title and hashed entries (no personal data)."""

    __tablename__ = "status_seen"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    items: Mapped[dict[str, Any]] = mapped_column(JSON)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
