"""Keeping the plan table in step with calendars and rosters, and releasing due rows to the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select, update

from bot.domain.calendar import Session
from bot.domain.final_evaluation import plan_final_evaluation
from bot.domain.materials import Materials
from bot.domain.nudges import CohortPeople, Nudges, Talent, buddy_intro_items, plan_nudges
from bot.domain.placements import cohort_placements
from bot.domain.plan import Member, PlanItem, plan_materials
from bot.domain.programme import Programme
from bot.domain.readiness import ReadinessTiming, plan_readiness
from bot.domain.steering import plan_steering, steering_meetings
from bot.domain.workdays import send_soon
from bot.outbox.writer import Outgoing, enqueue_all, reachable_chat
from bot.services.cohorts import get_cohort
from bot.services.people_scope import PeopleState, PersonScope, changed_people, people_state
from bot.services.plan_scope import ActivityScope, CalendarState, calendar_state, changed_activities
from bot.services.plan_store import ReplanSummary, write_plan
from bot.storage.db import Database, changed_rows
from bot.storage.models import (
    BuddyMember,
    CalendarSession,
    Cohort,
    Conversation,
    Membership,
    PlannedDelivery,
)

if TYPE_CHECKING:  # the cards are built where due rows are released, not where a calendar or roster is re-planned
    from bot.services.messages.builder import MessageBuilder

log = logging.getLogger(__name__)
RELEASE_BATCH = 500


@dataclass(frozen=True)
class CohortSnapshot:
    """What planning reads about one cohort."""

    cohort: Cohort
    sessions: list[Session]
    members: list[Member]
    people: CohortPeople
    buddy_groups: list[tuple[int, ...]]
    buddies_set_at: datetime | None


Planners = Callable[[CohortSnapshot], list[PlanItem]]


class Planner:
    """Computes each cohort's plan from content and calendar, and releases what is due."""

    def __init__(
        self,
        db: Database,
        programme: Programme,
        materials: Materials,
        nudges: Nudges,
        messages: Callable[[], MessageBuilder],
        *,
        readiness: ReadinessTiming | None = None,
    ) -> None:
        self.db = db
        self.readiness = readiness or ReadinessTiming()
        self.programme = programme
        self.materials = materials
        self.nudges = nudges
        self._messages = messages  # made on the first release: an import or a plan listing never builds a card
        self.computed = 0  # plan items the last re-plan computed (for tests and the benchmark's proof)
        self.scoped: frozenset[int] | None = None  # the people the last re-plan was scoped to; None: the whole cohort
        # Each track contributes its rows; the plan is their union.
        self.makers: list[Planners] = [
            self._material_items,
            self._nudge_items,
            self._buddy_intro_items,
            self._readiness_items,
            self._final_evaluation_items,
            self._steering_items,
        ]

    def _timing(self, cohort: Cohort) -> Any:
        return self.materials.timing.with_overrides(cohort.plan_settings)

    def _material_items(self, snap: CohortSnapshot) -> list[PlanItem]:
        cohort = snap.cohort
        return plan_materials(
            cohort.key, self.programme, self.materials, self._timing(cohort), snap.sessions, snap.members, ZoneInfo(cohort.timezone)
        )

    def _shadow_module(self, cohort: Cohort) -> str:
        # the cohort's skyggepraktik module anchors its nudge (placements: in the cohort file)
        return cohort_placements(cohort.plan_settings, self.nudges.skyggepraktik_module)["skyggepraktik"]

    def _nudge_items(self, snap: CohortSnapshot) -> list[PlanItem]:
        cohort = snap.cohort
        shadow = self._shadow_module(cohort)
        return plan_nudges(
            cohort.key,
            self.programme,
            replace(self.nudges, skyggepraktik_module=shadow),
            snap.sessions,
            snap.people,
            self._timing(cohort).send_time,
            ZoneInfo(cohort.timezone),
        )

    def _buddy_intro_items(self, snap: CohortSnapshot) -> list[PlanItem]:
        if not snap.buddy_groups or snap.buddies_set_at is None or "buddy-intro" not in self.nudges.definitions:
            return []
        tz = ZoneInfo(snap.cohort.timezone)
        due = send_soon(snap.buddies_set_at, self._timing(snap.cohort).send_time, tz)
        # announced at the first working-hours moment after LEAD set the pairs
        return buddy_intro_items(snap.cohort.key, snap.buddy_groups, due)

    def _readiness_items(self, snap: CohortSnapshot) -> list[PlanItem]:
        # the talent's own readiness card, then their nearest leader's, after module 6
        talents = [(t.person_id, t.leader_id) for t in snap.people.talents]
        return plan_readiness(
            snap.cohort.key, self.readiness, snap.sessions, talents, self._timing(snap.cohort).send_time, ZoneInfo(snap.cohort.timezone)
        )

    def _steering_items(self, snap: CohortSnapshot) -> list[PlanItem]:
        # the steering group's meetings (steering_meetings: in the cohort file), each with the report link
        members = [pid for pid, roles in snap.people.roles.items() if "steering" in roles]
        return plan_steering(
            snap.cohort.key,
            steering_meetings(snap.cohort.plan_settings),
            members,
            self._timing(snap.cohort).send_time,
            ZoneInfo(snap.cohort.timezone),
        )

    def _final_evaluation_items(self, snap: CohortSnapshot) -> list[PlanItem]:
        # the 80 % criterion: one answer per talent about the whole programme, after the closing seminar
        talents = [t.person_id for t in snap.people.talents]
        return plan_final_evaluation(
            snap.cohort.key, snap.sessions, talents, self._timing(snap.cohort).send_time, ZoneInfo(snap.cohort.timezone)
        )

    async def snapshot(self, session: Any, cohort: Cohort) -> CohortSnapshot:
        """Calendar, members, talents with their leader/mentor/buddies."""
        sessions = [
            Session(r.activity_key, r.part, r.starts_at, r.ends_at, r.venue)
            for r in await session.scalars(select(CalendarSession).where(CalendarSession.cohort_id == cohort.id))
        ]
        roles: dict[int, list[str]] = {}
        talent_rows = []
        for m in await session.scalars(select(Membership).where(Membership.cohort_id == cohort.id)):
            roles.setdefault(m.person_id, []).append(m.role)
            if m.role == "talent":
                talent_rows.append(m)
        groups: dict[int, list[int]] = {}
        set_at: datetime | None = None
        for b in await session.scalars(select(BuddyMember).where(BuddyMember.cohort_id == cohort.id)):
            groups.setdefault(b.group_no, []).append(b.person_id)
            set_at = b.created_at if set_at is None or b.created_at > set_at else set_at
        buddy_of = {pid: tuple(sorted(set(g) - {pid})) for g in groups.values() for pid in g}
        talents = tuple(
            Talent(m.person_id, m.leader_id, m.mentor_id, buddy_of.get(m.person_id, ()))
            for m in sorted(talent_rows, key=lambda m: m.person_id)
        )
        members = [Member(pid, tuple(r)) for pid, r in sorted(roles.items())]
        people = CohortPeople(talents, {pid: tuple(r) for pid, r in roles.items()})
        return CohortSnapshot(cohort, sessions, members, people, [tuple(sorted(g)) for _, g in sorted(groups.items())], set_at)

    async def replan(self, cohort_key: str) -> ReplanSummary:
        """Bring a cohort's plan rows in line: add new, move unsent, drop unsent ones no longer wanted."""
        async with self.db.sessions() as session, session.begin():
            summary = await self.replan_in(session, cohort_key)
        log.info("plan for %s: %s", cohort_key, summary)
        return summary

    async def replan_in(self, session: Any, cohort_key: str) -> ReplanSummary:
        """replan inside the caller's transaction (the console's roster preview rolls it back)."""
        # one re-plan of a cohort at a time on PostgreSQL: a second waits, then sees the first's rows
        cohort = await get_cohort(session, cohort_key, for_update=not self.db.is_sqlite)
        version = cohort.plan_version  # read under the lock: an import committed later bumps it past this
        summary = await self._write_whole(session, await self.snapshot(session, cohort))
        cohort.planned_version = version
        return summary

    async def _write_whole(self, session: Any, snap: CohortSnapshot) -> ReplanSummary:
        wanted = {item.key: item for maker in self.makers for item in maker(snap)}
        self.computed, self.scoped = len(wanted), None
        return await write_plan(session, snap.cohort.id, wanted)

    async def people_state(self, cohort_key: str) -> PeopleState | None:
        """The cohort's people as a re-plan reads them, before a roster or buddy change; None for a cohort not there yet."""
        async with self.db.sessions() as session:
            return await self.people_state_in(session, cohort_key)

    async def people_state_in(self, session: Any, cohort_key: str) -> PeopleState | None:
        """people_state inside the caller's transaction (read before the import that changes them)."""
        cohort = await session.scalar(select(Cohort).where(Cohort.key == cohort_key))
        if cohort is None:
            return None
        snap = await self.snapshot(session, cohort)
        return people_state(cohort, snap.sessions, snap.people, snap.buddy_groups, snap.buddies_set_at)

    async def replan_people(self, cohort_key: str, before: PeopleState | None) -> ReplanSummary:
        """After a roster or buddy change: only the rows of the people it touches (bot/services/people_scope.py)."""
        async with self.db.sessions() as session, session.begin():
            summary = await self.replan_people_in(session, cohort_key, before)
        return summary

    async def replan_people_in(self, session: Any, cohort_key: str, before: PeopleState | None) -> ReplanSummary:
        """replan_people inside the caller's transaction; the whole cohort when the change cannot be scoped to people.

        `before` is people_state read before the change; when more than people changed since (the calendar,
        the time zone or plan settings, another import in between, a plan already behind) or the change
        reaches too many people, the whole plan is re-planned instead."""
        cohort = await get_cohort(session, cohort_key, for_update=not self.db.is_sqlite)
        version = cohort.plan_version
        snap = await self.snapshot(session, cohort)
        after = people_state(cohort, snap.sessions, snap.people, snap.buddy_groups, snap.buddies_set_at)
        changed = changed_people(before, after)
        scope = PersonScope.around(changed, before, after) if changed is not None and before is not None else None
        if scope is None or scope.too_wide(len(after.people)):
            summary = await self._write_whole(session, snap)
            log.info("plan for %s: %s", cohort_key, summary)
        else:
            part = replace(
                snap,
                members=scope.members(snap.members),
                people=scope.cohort_people(snap.people),
                buddy_groups=scope.groups(snap.buddy_groups),
            )
            wanted = {item.key: item for maker in self.makers for item in maker(part) if scope.holds(item)}
            self.computed, self.scoped = len(wanted), scope.people
            summary = await write_plan(session, cohort.id, wanted, scope.stored())
            log.info("plan for %s (%d of %d people): %s", cohort_key, len(scope.people), len(after.people), summary)
        cohort.planned_version = version
        return summary

    async def calendar_state(self, cohort_key: str) -> CalendarState | None:
        """The cohort's calendar and plan settings as a re-plan reads them; None for a cohort not there yet."""
        async with self.db.sessions() as session:
            cohort = await session.scalar(select(Cohort).where(Cohort.key == cohort_key))
            if cohort is None:
                return None
            rows = (await session.execute(select(CalendarSession).where(CalendarSession.cohort_id == cohort.id))).scalars()
            return calendar_state(cohort, rows)

    async def replan_after_import(self, cohort_key: str, before: CalendarState | None) -> ReplanSummary:
        """After `cohort import`: only the changed activities' rows when only sessions changed, else the whole plan."""
        after = await self.calendar_state(cohort_key)
        changed = changed_activities(before, after) if after is not None else None
        if changed is None or after is None:
            return await self.replan(cohort_key)
        return await self.replan_activities(cohort_key, changed, after.basis.version)

    async def replan_activities(self, cohort_key: str, changed: set[str], version: int) -> ReplanSummary:
        """Re-plan only the rows a calendar change of these activities touches (bot/services/plan_scope.py).

        `version` is the cohort's plan_version the change left; when another import came in between, the
        whole plan is re-planned instead (this one would not cover that import's change)."""
        async with self.db.sessions() as session, session.begin():
            cohort = await get_cohort(session, cohort_key, for_update=not self.db.is_sqlite)
            if cohort.plan_version != version:
                summary = None
            else:
                snap = await self.snapshot(session, cohort)
                module = self._shadow_module(cohort)
                scope = ActivityScope.around(changed, self.nudges, module, self.readiness)
                part = replace(snap, sessions=scope.sessions(snap.sessions, self.nudges, module))
                # only the makers that read the calendar; steering meetings and buddy intros do not
                makers = (self._material_items, self._nudge_items, self._readiness_items, self._final_evaluation_items)
                wanted = {item.key: item for maker in makers for item in maker(part) if scope.holds(item)}
                self.computed = len(wanted)
                summary = await write_plan(session, cohort.id, wanted, scope.stored())
                cohort.planned_version = version
        if summary is None:
            return await self.replan(cohort_key)
        log.info("plan for %s (%s): %s", cohort_key, ", ".join(sorted(scope.activities)) or "no activity", summary)
        return summary

    async def replan_all(self) -> None:
        """Re-plan every cohort (after content is published)."""
        async with self.db.sessions() as session:
            keys = list(await session.scalars(select(Cohort.key).order_by(Cohort.id)))
        for key in keys:
            await self.replan(key)

    async def replan_stale(self) -> list[str]:
        """Re-plan every cohort changed since its last re-plan (an import whose re-plan crashed or raced)."""
        async with self.db.sessions() as session:
            keys = list(await session.scalars(select(Cohort.key).where(Cohort.plan_version != Cohort.planned_version).order_by(Cohort.id)))
        for key in keys:
            log.warning("plan for %s is behind its last import; re-planning", key)
            await self.replan(key)
        return keys

    async def release_due(self, now: datetime, *, stamp: datetime | None = None) -> int:
        """Move every due row into the outbox, in order, once; skip rows whose moment has passed.

        `stamp` is the real time the rows go out (default `now`): a tick "as of" an earlier moment
        still sends now, so the outbox rows must not wait for, or claim, another time."""
        from bot.observe.metrics import PLAN_RELEASED  # prometheus_client: loaded by what sends, not by what plans

        released = 0
        at = stamp or now
        messages = self._messages()
        await self.replan_stale()  # every tick (and so every start) repairs a plan an import left behind
        async with self.db.sessions() as session, session.begin():
            expired = await changed_rows(
                session,
                update(PlannedDelivery)
                .where(
                    PlannedDelivery.status == "planned",
                    PlannedDelivery.due_at <= now,
                    PlannedDelivery.not_after.is_not(None),
                    PlannedDelivery.not_after <= now,
                )
                .values(status="skipped", status_reason="activity started", updated_at=at),
            )
            if expired:
                log.info("skipped %d plan row(s) whose activity had started", expired)
        while True:
            async with self.db.sessions() as session, session.begin():
                query = (
                    select(PlannedDelivery, Conversation.id)
                    .join(Conversation, reachable_chat(PlannedDelivery.person_id))
                    .where(PlannedDelivery.status == "planned", PlannedDelivery.due_at <= now)
                    # a person with two chats: the newest first, as reachable_chats() chooses
                    .order_by(PlannedDelivery.due_at, PlannedDelivery.seq, PlannedDelivery.id, Conversation.id.desc())
                    .limit(RELEASE_BATCH)
                )
                if not self.db.is_sqlite:
                    query = query.with_for_update(of=PlannedDelivery, skip_locked=True)
                rows = (await session.execute(query)).all()
                if not rows:
                    break
                seen_rows: set[int] = set()
                batch: list[Outgoing] = []
                for row, chat in rows:
                    if row.id in seen_rows:  # a person with two personal chats: send once
                        continue
                    seen_rows.add(row.id)
                    payload, version = await messages.for_plan_row(session, row, at)
                    batch.append(Outgoing(row.key, chat, payload, at, plan_id=row.id))
                    row.status, row.released_at, row.sent_version = "sent", at, version
                # in due order, one statement; a key already in the outbox went out before: still "sent"
                released += await enqueue_all(session, batch)
        if released:
            PLAN_RELEASED.inc(released)
            log.info("released %d plan row(s) to the outbox", released)
        return released

    async def held_count(self, now: datetime) -> int:
        """Due rows waiting because their person has no reachable 1:1 chat yet."""
        async with self.db.sessions() as session:
            reachable = exists().where(reachable_chat(PlannedDelivery.person_id))
            rows = await session.scalars(
                select(PlannedDelivery.id).where(PlannedDelivery.status == "planned", PlannedDelivery.due_at <= now, ~reachable)
            )
            return len(rows.all())


# What plan_row_json and order_rows read, for a select of plain rows instead of PlannedDelivery objects.
PLAN_COLUMNS = (
    PlannedDelivery.id,
    PlannedDelivery.key,
    PlannedDelivery.due_at,
    PlannedDelivery.seq,
    PlannedDelivery.kind,
    PlannedDelivery.activity_key,
    PlannedDelivery.topic,
    PlannedDelivery.status,
    PlannedDelivery.status_reason,
)


# The order rows go out in (order_rows' key), for an ORDER BY.
PLAN_ORDER = (PlannedDelivery.due_at, PlannedDelivery.seq, PlannedDelivery.id)


def plan_row_json(row: Any, email: str, delivery_status: str | None) -> dict[str, Any]:
    """The plan row (a PlannedDelivery or a row of PLAN_COLUMNS) as `python -m bot plan --json` prints it."""
    status = row.status
    if status == "sent" and delivery_status in ("dead", "unreachable"):
        status = "failed"
    return {
        "key": row.key,
        "due": row.due_at.isoformat(),
        "recipient": email,
        "kind": row.kind,
        "activity": row.activity_key,
        "topic": row.topic,
        "status": status,
        "reason": row.status_reason,
    }


def order_rows(rows: Iterable[Any]) -> list[Any]:
    """Plan rows in the order they go out."""
    return sorted(rows, key=lambda r: (r.due_at, r.seq, r.id))
