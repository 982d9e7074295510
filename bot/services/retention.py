"""When retention may erase a cohort: after its last activity, a grace period after its last import, and a notice.

A cohort is erased at the latest of
  * its last activity + RETENTION_DAYS (the programme's promise),
  * its last import (`cohorts.changed_at`) + RETENTION_GRACE_DAYS: a calendar copied from an earlier year
    or a typo in the year must not erase a roster the moment it is imported,
  * the day its admins were told + RETENTION_NOTICE_DAYS: nobody's data goes without warning.
The notice goes RETENTION_NOTICE_DAYS before that date, once (a card to each admin's 1:1 chat and a
warning in the log); a new import clears it, so a corrected calendar gets a fresh decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.danish import format_date
from bot.storage.db import changed_rows, dialect_insert
from bot.storage.models import CalendarSession, Cohort, Conversation, Membership, OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionPolicy:
    """The three periods, in days (retention_days 0 = never erase)."""

    retention_days: int = 365
    grace_days: int = 30
    notice_days: int = 14

    def earliest(self, last_activity: datetime, changed_at: datetime | None) -> datetime:
        """The erase moment the calendar and the last import allow, before any notice."""
        by_calendar = last_activity + timedelta(days=self.retention_days)
        if changed_at is None:
            return by_calendar
        return max(by_calendar, changed_at + timedelta(days=self.grace_days))

    def erase_at(self, last_activity: datetime, changed_at: datetime | None, notice_at: datetime | None) -> datetime:
        """When the cohort is erased; a notice sent late pushes the date to notice + notice_days."""
        earliest = self.earliest(last_activity, changed_at)
        if notice_at is None:
            return earliest
        return max(earliest, notice_at + timedelta(days=self.notice_days))

    def notice_due(self, last_activity: datetime, changed_at: datetime | None, now: datetime) -> bool:
        """Whether the admins should be told now (the date is at most notice_days away)."""
        return now >= self.earliest(last_activity, changed_at) - timedelta(days=self.notice_days)


def calendar_over(ends: list[datetime], now: datetime) -> bool:
    """A calendar whose every session has ended (an import of a past year, or a typo in the year)."""
    return bool(ends) and max(ends) <= now


def import_warning(cohort_key: str, ends: list[datetime], now: datetime, policy: RetentionPolicy) -> str | None:
    """What `cohort import` says when the calendar it imported is already over; None when it is not."""
    if not calendar_over(ends, now):
        return None
    return (
        f"warning: cohort {cohort_key}'s calendar is already over (last session ended {max(ends).date().isoformat()}); "
        f"check the year. Retention erases its people after the admins' notice, and not before "
        f"{policy.grace_days} days from now (RETENTION_GRACE_DAYS)"
    )


async def last_activity(session: AsyncSession, cohort: Cohort) -> datetime:
    """When the cohort's last activity ended (its creation when it has no calendar)."""
    last = await session.scalar(select(func.max(CalendarSession.ends_at)).where(CalendarSession.cohort_id == cohort.id))
    return last or cohort.created_at


def notice_text(cohort: Cohort, erase_at: datetime, policy: RetentionPolicy) -> tuple[str, str]:
    """The admins' card: title and text in Danish, with the date."""
    day = format_date(erase_at.astimezone(ZoneInfo(cohort.timezone)).date())
    title = f"Persondata for {cohort.name} slettes {day}"
    text = (
        f"Holdets persondata (deltagere, plan, evalueringer, udviklingsplaner, spørgsmål m.m.) slettes automatisk "
        f"{day}, {policy.retention_days} dage efter holdets sidste aktivitet. Holdets navn og kalender bliver. "
        "Er holdets datoer forkerte, så importér kalenderen igen med de rigtige datoer inden da."
    )
    return title, text


async def queue_notice(
    session: AsyncSession, cohort: Cohort, erase_at: datetime, policy: RetentionPolicy, now: datetime, *, is_sqlite: bool
) -> int:
    """Stamp the notice on the cohort and queue it to each admin's 1:1 chat once; the number queued."""
    cohort.retention_notice_at = now
    title, text = notice_text(cohort, erase_at, policy)
    from bot.services.messages.builder import MessageBuilder  # the cards only where a notice is queued, not for `cohort import`

    payload = MessageBuilder.notice(title, text)
    chats = await session.execute(
        select(Membership.person_id, func.min(Conversation.id))
        .join(Conversation, Conversation.person_id == Membership.person_id)
        .where(
            Membership.cohort_id == cohort.id,
            Membership.role == "admin",
            Conversation.kind == "personal",
            Conversation.unreachable_at.is_(None),
        )
        .group_by(Membership.person_id)
    )
    queued = 0
    for person_id, chat_id in chats.all():
        # keyed by cohort, date and admin: a rerun of the same day queues nothing twice
        key = f"retention/{cohort.key}/notice/{erase_at.date().isoformat()}/{person_id}"
        queued += (
            await changed_rows(
                session,
                dialect_insert(OutboxMessage, is_sqlite=is_sqlite)
                .values(
                    key=key, conversation_id=chat_id, payload=payload, status="pending", attempts=0, next_attempt_at=now, created_at=now
                )
                .on_conflict_do_nothing(index_elements=["key"]),
            )
            or 0
        )
    log.warning("retention: cohort %s will be erased on %s; notice queued for %d admin(s)", cohort.key, erase_at.date().isoformat(), queued)
    return queued


def mark_changed(cohort: Cohort, now: datetime) -> None:
    """An import changed the cohort: retention waits the grace period again, and its plan must follow."""
    cohort.changed_at = now
    cohort.retention_notice_at = None
    # in SQL, so two imports at once both count; a new cohort starts one ahead of its (empty) plan
    cohort.plan_version = 1 if cohort.id is None else Cohort.plan_version + 1
