"""Acting on nudges: done (for the whole buddy group), snooze, one gentle reminder; evaluations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.danish import format_date
from bot.domain.final_evaluation import EVALUATION_KEY
from bot.domain.final_evaluation import TOPIC as FINAL_TOPIC
from bot.domain.limits import LIMITS
from bot.domain.materials import Timing
from bot.domain.nudges import Nudges
from bot.domain.steering import TOPIC as STEERING_TOPIC
from bot.domain.workdays import next_send_moment, send_soon
from bot.services.errors import ActionError, Refused
from bot.services.idempotent import retry_on_conflict
from bot.services.messages.builder import MessageBuilder
from bot.services.reply import Reply
from bot.storage.db import Database
from bot.storage.models import BuddyMember, Cohort, Evaluation, PlannedDelivery

log = logging.getLogger(__name__)
SNOOZE_DAYS = (1, 7)
RATINGS = ("1", "2", "3", "4", "5")
EXPECTATIONS = ("ja", "delvist", "nej")
MAX_COMMENT = LIMITS["evaluation comment"]


__all__ = ["ActionError", "Nudging"]  # ActionError lives in bot.services.errors; kept importable from here


class Nudging:
    """The use cases behind the nudge and evaluation cards' buttons."""

    def __init__(
        self, db: Database, nudges: Nudges, timing: Timing, messages: MessageBuilder, clock: Callable[[], datetime], *, timezone: str
    ) -> None:
        self.db = db
        self.timezone = timezone  # settings.timezone, for a cohort row that is gone
        self.nudges = nudges
        self.timing = timing
        self.messages = messages
        self.clock = clock

    async def _own_row(self, session: AsyncSession, person_id: int, plan_id: Any, kinds: tuple[str, ...]) -> PlannedDelivery:
        """The plan row the card belongs to, resolved to its original, if it is this person's."""
        if not isinstance(plan_id, int) or isinstance(plan_id, bool):
            raise ActionError("Kortet mangler sin reference.")
        row = await session.get(PlannedDelivery, plan_id)
        if row is None or row.person_id != person_id or row.kind not in kinds:
            log.warning("card action on plan row %s refused for person %d", plan_id, person_id)
            raise Refused("Det kort hører ikke til dig.", target=f"plan row {plan_id}")
        parent = (row.data or {}).get("parent")
        if parent is not None:
            row = await session.get(PlannedDelivery, parent) or row
        return row

    def _happened(self, row: PlannedDelivery, now: datetime) -> None:
        """Refuse a card action on a row that has not gone out, or whose moment has not come."""
        due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=UTC)  # stored as UTC
        if row.status != "sent" or due > now:
            log.info("card action on plan row %d refused: not yet (status %s)", row.id, row.status)
            raise ActionError("Det er ikke sket endnu. Du kan svare, når jeg har sendt dig kortet om det.")

    async def _tz(self, session: AsyncSession, row: PlannedDelivery) -> ZoneInfo:
        cohort = await session.get(Cohort, row.cohort_id)
        return ZoneInfo(cohort.timezone if cohort else self.timezone)

    async def _siblings(self, session: AsyncSession, row: PlannedDelivery) -> list[PlannedDelivery]:
        """Everyone's row for the same occasion: the buddy group's, or the talent's and their leader's."""
        data = row.data or {}
        same = and_(
            PlannedDelivery.cohort_id == row.cohort_id,
            PlannedDelivery.topic == row.topic,
            PlannedDelivery.seq == row.seq,
            PlannedDelivery.kind == "nudge",
        )
        candidates = list(await session.scalars(select(PlannedDelivery).where(same)))
        definition = self.nudges.definitions.get(row.topic)
        if definition is not None and "buddies" in definition.to:
            group_no = await session.scalar(
                select(BuddyMember.group_no).where(BuddyMember.cohort_id == row.cohort_id, BuddyMember.person_id == row.person_id)
            )
            members = (
                set(
                    await session.scalars(
                        select(BuddyMember.person_id).where(BuddyMember.cohort_id == row.cohort_id, BuddyMember.group_no == group_no)
                    )
                )
                if group_no is not None
                else {row.person_id}
            )
            return [c for c in candidates if c.person_id in members and not (c.data or {}).get("parent")]
        talent = data.get("talent")
        return [c for c in candidates if (c.data or {}).get("talent") == talent and not (c.data or {}).get("parent")]

    async def done(self, person_id: int, plan_id: Any) -> Reply:
        """'Holdt ✔': mark the occasion done for everyone it concerns; the refreshed card."""
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            row = await self._own_row(session, person_id, plan_id, ("nudge",))
            self._happened(row, now)
            for sibling in await self._siblings(session, row):
                if sibling.action != "done":
                    sibling.action, sibling.acted_at, sibling.acted_by = "done", now, person_id
                # a pending snooze or reminder is no longer needed
                for child in await session.scalars(
                    select(PlannedDelivery).where(PlannedDelivery.key.like(f"{sibling.key}/%"), PlannedDelivery.status == "planned")
                ):
                    child.status, child.status_reason = "skipped", "done"
            await session.flush()
            return await self.messages.nudge_card(session, row, await self._tz(session, row))

    async def snooze(self, person_id: int, plan_id: Any, days: Any) -> Reply:
        """'Mind mig senere': the same nudge again tomorrow or next week, in working hours; one pending snooze per nudge."""
        if days not in SNOOZE_DAYS:
            raise ActionError("Vælg i morgen eller næste uge.")
        return await retry_on_conflict(lambda: self._snooze(person_id, plan_id, days), "snooze")

    async def _snooze(self, person_id: int, plan_id: Any, days: int) -> Reply:
        """One attempt at snooze: move the pending snooze, or add one."""
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            row = await self._own_row(session, person_id, plan_id, ("nudge",))
            self._happened(row, now)
            tz = await self._tz(session, row)
            due = next_send_moment(now + timedelta(days=days - 1), self.timing.send_time, tz)
            snoozes = list(await session.scalars(select(PlannedDelivery).where(PlannedDelivery.key.like(f"{row.key}/snooze/%"))))
            count = len(snoozes)
            pending = [s for s in snoozes if s.status == "planned"]
            if pending:  # clicked again (or twice): the snooze already waiting moves, no copy is made
                pending[0].due_at = due
            else:
                session.add(
                    PlannedDelivery(
                        key=f"{row.key}/snooze/{count + 1}",
                        cohort_id=row.cohort_id,
                        person_id=person_id,
                        kind="nudge",
                        activity_key=row.activity_key,
                        topic=row.topic,
                        seq=row.seq,
                        due_at=due,
                        not_after=row.not_after,
                        data={**(row.data or {}), "parent": row.id},
                    )
                )
            row.action, row.acted_at, row.acted_by = "snoozed", now, person_id
            await session.flush()
            card = await self.messages.nudge_card(session, row, tz)
        when = format_date(due.astimezone(tz).date(), year=False)
        return Reply(card.card, {**card.data, "snoozed": f"Jeg minder dig om det igen {when}."})

    async def remind_unacted(self, now: datetime) -> int:
        """One gentle reminder for nudges nobody acted on after the configured days; never a second."""
        cutoff = now - timedelta(days=self.nudges.reminder_after_days)
        created = 0
        async with self.db.sessions() as session, session.begin():
            rows = await session.scalars(
                select(PlannedDelivery).where(
                    PlannedDelivery.kind == "nudge",
                    PlannedDelivery.status == "sent",
                    PlannedDelivery.action.is_(None),
                    PlannedDelivery.released_at <= cutoff,
                    PlannedDelivery.topic.notin_(("buddy-intro", STEERING_TOPIC)),  # nothing to mark as held
                )
            )
            for row in rows:
                if (row.data or {}).get("parent") or (row.not_after is not None and row.not_after <= now):
                    continue
                key = f"{row.key}/reminder"
                if await session.scalar(select(PlannedDelivery.id).where(PlannedDelivery.key == key)) is not None:
                    continue
                tz = await self._tz(session, row)
                session.add(
                    PlannedDelivery(
                        key=key,
                        cohort_id=row.cohort_id,
                        person_id=row.person_id,
                        kind="nudge",
                        activity_key=row.activity_key,
                        topic=row.topic,
                        seq=row.seq,
                        due_at=send_soon(now, self.timing.send_time, tz),
                        not_after=row.not_after,
                        data={**(row.data or {}), "parent": row.id, "reminder": True},
                    )
                )
                created += 1
        if created:
            log.info("queued %d gentle reminder(s) for nudges nobody acted on", created)
        return created

    async def evaluate(self, person_id: int, plan_id: Any, answer: dict[str, Any]) -> Reply:
        """Store (or update) an evaluation; the card with thanks, pre-filled (also when submitted twice at once)."""
        return await retry_on_conflict(lambda: self._evaluate(person_id, plan_id, answer), "evaluate")

    async def _evaluate(self, person_id: int, plan_id: Any, answer: dict[str, Any]) -> Reply:
        """One attempt at evaluate."""
        rating = str(answer.get("rating", "")).strip()
        expectations = str(answer.get("expectations", "")).strip()
        comment = str(answer.get("comment", "") or "").strip()
        if rating not in RATINGS:
            raise ActionError("Vælg en samlet vurdering fra 1 til 5.")
        if expectations not in EXPECTATIONS:
            raise ActionError("Svar ja, delvist eller nej til forventningerne.")
        if len(comment) > MAX_COMMENT:
            raise ActionError(f"Kommentaren må højst være {MAX_COMMENT} tegn.")
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            row = await self._own_row(session, person_id, plan_id, ("survey",))
            if row.activity_key is None and row.topic != FINAL_TOPIC:  # the readiness card is a survey too
                raise ActionError("Det kort er ikke en evaluering.")
            self._happened(row, now)
            evaluated = row.activity_key or EVALUATION_KEY  # the final evaluation is of the whole programme
            existing = await session.scalar(
                select(Evaluation).where(
                    Evaluation.cohort_id == row.cohort_id,
                    Evaluation.person_id == person_id,
                    Evaluation.activity_key == evaluated,
                )
            )
            if existing is None:
                session.add(
                    Evaluation(
                        cohort_id=row.cohort_id,
                        person_id=person_id,
                        activity_key=evaluated,
                        rating=int(rating),
                        expectations=expectations,
                        comment=comment,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                existing.rating, existing.expectations, existing.comment, existing.updated_at = int(rating), expectations, comment, now
            row.action, row.acted_at, row.acted_by = "done", now, person_id
            await session.flush()
            return await self.messages.evaluation_card(session, row, thanks=True)
