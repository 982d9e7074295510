"""Nudges of the group and everyday tracks: definitions, and who gets which when."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.calendar import Session
from bot.domain.plan import PlanItem, plan_key
from bot.domain.programme import Programme
from bot.domain.workdays import next_working_day, previous_working_day

NUDGE_TOPICS = (
    "buddy-intro",
    "buddy-meeting",
    "lederspejl",
    "skyggepraktik",
    "leader-conversation",
    "leader-group",
    "mentor",
    "follow-up",
    "alumni",
    "evaluation",
)
RECIPIENTS = ("talent", "leader", "buddies", "mentor", "participants")
READER_ROLES = ("talent", "leader", "mentor")  # who may get their own wording (`for:` in nudges.yaml)
ANCHOR_RE = re.compile(r"^(?P<activity>[a-z0-9-]+)(?:\.(?P<part>main|day1|day2))?$")


@dataclass(frozen=True)
class Occasion:
    """One moment a nudge goes out, anchored to the calendar."""

    anchor: str  # "m1.day2"; for after_each_activity the empty string
    direction: str  # "after" or "before"
    days: int = 0
    months: int = 0
    until: str | None = None
    note: str = ""
    each_activity: bool = False
    text: str = ""  # this occasion's own text instead of the nudge's (e.g. the meetings after the programme)


@dataclass(frozen=True)
class NudgeDef:
    """A kind of nudge: its texts, recipients and occasions."""

    topic: str
    to: tuple[str, ...]
    title: str
    text: str
    meeting_subject: str = ""
    questions: tuple[str, ...] = ()
    occasions: tuple[Occasion, ...] = ()
    by_role: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False)  # recipient role -> (title, text) overrides
    once_per_person: bool = False  # a leader of two talents gets one, not one per talent (the alumni invitation)

    def wording(self, role: str) -> tuple[str, str]:
        """The (title, text) this recipient role reads: its own wording where content/ gives one."""
        title, text = self.by_role.get(role, ("", ""))
        return title or self.title, text or self.text


@dataclass(frozen=True)
class Nudges:
    """All nudge definitions with their shared settings."""

    definitions: dict[str, NudgeDef]
    reminder_after_days: int = 7
    skyggepraktik_module: str = "m4"
    final: dict[str, str] = field(default_factory=dict, compare=False)  # final_evaluation: title, text, question


@dataclass(frozen=True)
class Talent:
    """A talent with the people around them, as the nudges need them."""

    person_id: int
    leader_id: int | None
    mentor_id: int | None
    buddies: tuple[int, ...] = ()  # the other members of their buddy group


@dataclass(frozen=True)
class CohortPeople:
    """Who is in a cohort, by role."""

    talents: tuple[Talent, ...]
    roles: dict[int, tuple[str, ...]] = field(default_factory=dict)  # person id -> roles


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's end)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def resolve_anchor(anchor: str, sessions: dict[tuple[str, str], Session], skyggepraktik_module: str) -> Session | None:
    """The session an anchor names; `activity` alone means its first session."""
    anchor = anchor.replace("{skyggepraktik_module}", skyggepraktik_module)
    match = ANCHOR_RE.match(anchor)
    if not match:
        return None
    activity, part = match["activity"], match["part"]
    if part:
        return sessions.get((activity, part))
    candidates = [s for (a, _), s in sessions.items() if a == activity]
    return min(candidates, key=lambda s: s.starts_at) if candidates else None


def occasion_moment(occasion: Occasion, session: Session, send_time: time, tz: ZoneInfo) -> datetime:
    """When an occasion falls: after an end moves forward to a working day, before a start moves back."""
    if occasion.direction == "before":
        day = add_months(session.starts_at.astimezone(tz).date(), -occasion.months) - timedelta(days=occasion.days)
        return datetime.combine(previous_working_day(day), send_time, tz).astimezone(UTC)
    end = session.ends_at.astimezone(tz)
    day = add_months(end.date(), occasion.months) + timedelta(days=occasion.days)
    moment = datetime.combine(next_working_day(day), send_time, tz)
    if moment <= end:  # "right after" an activity that ends in the afternoon: the next working morning
        moment = datetime.combine(next_working_day(end.date() + timedelta(days=1)), send_time, tz)
    return moment.astimezone(UTC)


def plan_nudges(
    cohort_key: str,
    programme: Programme,
    nudges: Nudges,
    sessions: Iterable[Session],
    people: CohortPeople,
    send_time: time,
    tz: ZoneInfo,
) -> list[PlanItem]:
    """Every nudge row for a cohort: one per recipient per occasion, keyed cohort/person/topic/n[/about]."""
    by_part = {(s.activity_key, s.part): s for s in sessions}
    items: list[PlanItem] = []
    for definition in nudges.definitions.values():
        if definition.topic == "evaluation":
            items += _evaluation_items(cohort_key, programme, definition, by_part, people, send_time, tz)
            continue
        for n, occasion in enumerate(definition.occasions, start=1):
            session = resolve_anchor(occasion.anchor, by_part, nudges.skyggepraktik_module)
            if session is None:
                continue  # not in the calendar yet
            due = occasion_moment(occasion, session, send_time, tz)
            until = resolve_anchor(occasion.until, by_part, nudges.skyggepraktik_module) if occasion.until else None
            not_after = until.starts_at if until else None
            for talent in people.talents:
                for recipient, about in _recipients(definition, talent):
                    about = None if definition.once_per_person else about  # one key per person: the dict below keeps one
                    step = f"{definition.topic}-{n}" + (f"/{about}" if about is not None else "")
                    items.append(
                        PlanItem(
                            key=plan_key(cohort_key, recipient, None, step),
                            person_id=recipient,
                            kind="nudge",
                            activity_key=None,
                            topic=definition.topic,
                            seq=n,
                            due_at=due,
                            not_after=not_after,
                            data={"n": n, "talent": talent.person_id, "note": occasion.note, "anchor": session.activity_key},
                        )
                    )
    # a buddy group shares its nudges: keep one row per (recipient, key)
    unique = {item.key: item for item in items}
    return list(unique.values())


def _recipients(definition: NudgeDef, talent: Talent) -> list[tuple[int, int | None]]:
    """(recipient, about-talent) pairs: `about` is set when one person gets a nudge per talent (a leader)."""
    out: list[tuple[int, int | None]] = []
    for who in definition.to:
        if who in ("talent", "buddies"):
            if who == "buddies" and not talent.buddies:
                continue  # not paired yet: nothing to nudge about
            out.append((talent.person_id, None))
        elif who == "leader" and talent.leader_id is not None:
            out.append((talent.leader_id, talent.person_id))
        elif who == "mentor" and talent.mentor_id is not None:
            out.append((talent.mentor_id, talent.person_id))
    if "mentor" in definition.to and talent.mentor_id is None:
        return []  # mentor talks only where a mentor is set
    return out


def _evaluation_items(
    cohort_key: str,
    programme: Programme,
    definition: NudgeDef,
    by_part: dict[tuple[str, str], Session],
    people: CohortPeople,
    send_time: time,
    tz: ZoneInfo,
) -> list[PlanItem]:
    """A survey row for every participant of every dated activity, right after its last session."""
    items = []
    occasion = definition.occasions[0] if definition.occasions else Occasion("", "after")
    for activity in programme.activities:
        parts = [s for (a, _), s in by_part.items() if a == activity.key]
        if not parts:
            continue
        last = max(parts, key=lambda s: s.ends_at)
        due = occasion_moment(Occasion(last.activity_key, "after", occasion.days), last, send_time, tz)
        for person_id, roles in sorted(people.roles.items()):
            if not set(roles) & set(activity.participants):
                continue
            items.append(
                PlanItem(
                    key=plan_key(cohort_key, person_id, activity.key, "evaluation"),
                    person_id=person_id,
                    kind="survey",
                    activity_key=activity.key,
                    topic="evaluation",
                    seq=0,
                    due_at=due,
                    not_after=None,
                    data={"activity": activity.key},
                )
            )
    return items


def buddy_intro_items(cohort_key: str, groups: Iterable[tuple[int, ...]], due: datetime) -> list[PlanItem]:
    """One introduction per buddy per group; the key names the group so a changed pairing is announced anew."""
    items = []
    for group in groups:
        if len(group) < 2:
            continue  # left alone (a buddy pruned from the roster): announcing "your buddy" would claim a pair that is not there
        signature = "-".join(str(p) for p in sorted(group))
        for person_id in group:
            items.append(
                PlanItem(
                    key=plan_key(cohort_key, person_id, None, f"buddy-intro/{signature}"),
                    person_id=person_id,
                    kind="nudge",
                    activity_key=None,
                    topic="buddy-intro",
                    seq=0,
                    due_at=due,
                    not_after=None,
                    data={"n": 1, "group": sorted(group)},
                )
            )
    return items
