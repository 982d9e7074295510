"""Turning plan rows and notices into the message payloads the outbox sends (the cards' data; render.py renders)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.danish import format_date, format_span
from bot.domain.final_evaluation import EVALUATION_KEY, FinalEvaluation
from bot.domain.final_evaluation import TOPIC as FINAL_TOPIC
from bot.domain.materials import KIND_LABELS_DA, TOPIC_LABELS_DA, TOPICS, Materials
from bot.domain.nudges import Nudges
from bot.domain.placements import cohort_placements, reminder_notes
from bot.domain.programme import LEVEL_NAMES_DA, Programme
from bot.domain.readiness import READINESS_TOPICS
from bot.domain.steering import TOPIC as STEERING_TOPIC
from bot.services.growth.readiness import readiness_form
from bot.services.messages.links import chat_link, meeting_link
from bot.services.messages.plan_context import nudge_plan_parts, steering_card
from bot.services.messages.render import card_message
from bot.services.messages.wording import fill, reader_role
from bot.services.reply import Reply, notice
from bot.storage.models import (
    BuddyMember,
    CalendarSession,
    Cohort,
    Evaluation,
    Material,
    Membership,
    Person,
    PlannedDelivery,
    Progress,
)


def acted_label(row: PlannedDelivery, tz: ZoneInfo) -> str | None:
    """'Holdt ✔ 12. jan' once someone marked the nudge done."""
    if row.action == "done" and row.acted_at is not None:
        return f"Holdt ✔ {format_date(row.acted_at.astimezone(tz).date(), weekday=False, year=False)}"
    return None


PART_LABELS = {"main": "Tid", "day1": "Dag 1", "day2": "Dag 2"}
MAX_FILE_BUTTONS = 6  # a card shows this many file buttons (cards/templates/_files.j2), then "Se alle i biblioteket"


def seen_label(seen_at: datetime | None, tz: ZoneInfo) -> str | None:
    """'Set ✔ 12. jan' for a seen material."""
    if seen_at is None:
        return None
    local = seen_at.astimezone(tz)
    return f"Set ✔ {format_date(local.date(), weekday=False, year=False)}"


class Attachments(Protocol):
    """Files.attachments: the signed links of the files a card carries (set on the builder by build_core)."""

    def __call__(
        self, session: AsyncSession, person_id: int, *, nudge: str | None = None, activity: str | None = None, topic: str | None = None
    ) -> Awaitable[list[dict[str, str]]]: ...


class MessageBuilder:
    """Builds the replies for material steps, reminders, nudges and evaluations, and their outbox payloads."""

    def __init__(self, programme: Programme, materials: Materials, nudges: Nudges) -> None:
        self.programme = programme
        self.materials = materials
        self.nudges = nudges
        # the steering group's nudges carry a signed report link; build_core sets this to Reports.link
        self.report_link: Callable[[str], tuple[str, datetime]] | None = None
        self.attachments: Attachments | None = None  # the cohort's uploaded files on the cards that need them
        # where a card with more files than it shows sends people (bot.web.links.library_link); None: a hint instead
        self.library_link: Callable[[str | None], str | None] | None = None

    async def _files(self, session: AsyncSession, person_id: int, **where: str | None) -> dict[str, Any]:
        """The card's files, and where "Se alle i biblioteket" points when there are more than the card shows."""
        files = await self.attachments(session, person_id, **where) if self.attachments is not None else []
        more = None
        if len(files) > MAX_FILE_BUTTONS and self.library_link is not None:
            more = self.library_link(await session.scalar(select(Person.email).where(Person.id == person_id)))
        return {"files": files, "library_url": more}

    async def _person(self, session: AsyncSession, person_id: int | None) -> Person | None:
        return await session.get(Person, person_id) if person_id is not None else None

    async def nudge_card(self, session: AsyncSession, row: PlannedDelivery, tz: ZoneInfo) -> Reply:
        """A nudge as a card people can act on: book, done, snooze."""
        definition = self.nudges.definitions[row.topic]
        data = row.data or {}
        n = int(data.get("n", 1))
        recipient = await self._person(session, row.person_id)
        talent = await self._person(session, data.get("talent")) or recipient
        assert recipient is not None and talent is not None
        talent_membership = await session.scalar(
            select(Membership).where(Membership.cohort_id == row.cohort_id, Membership.person_id == talent.id, Membership.role == "talent")
        )
        others: list[Person] = []
        to = set(definition.to)
        if row.topic == "buddy-intro":
            others = [p for pid in data.get("group", []) if pid != recipient.id if (p := await self._person(session, pid))]
        elif "buddies" in to:
            group_no = await session.scalar(
                select(BuddyMember.group_no).where(BuddyMember.cohort_id == row.cohort_id, BuddyMember.person_id == talent.id)
            )
            if group_no is not None:
                ids = await session.scalars(
                    select(BuddyMember.person_id).where(
                        BuddyMember.cohort_id == row.cohort_id, BuddyMember.group_no == group_no, BuddyMember.person_id != recipient.id
                    )
                )
                others = [p for pid in ids if (p := await self._person(session, pid))]
        else:
            if recipient.id != talent.id:
                others.append(talent)
            if "leader" in to and talent_membership and talent_membership.leader_id not in (None, recipient.id):
                if (leader := await self._person(session, talent_membership.leader_id)) is not None:
                    others.append(leader)
            if "mentor" in to and talent_membership and talent_membership.mentor_id not in (None, recipient.id):
                if (mentor := await self._person(session, talent_membership.mentor_id)) is not None:
                    others.append(mentor)
        levels = {
            m.person_id: m.level
            for m in await session.scalars(select(Membership).where(Membership.cohort_id == row.cohort_id, Membership.role == "talent"))
        }
        subject = (definition.meeting_subject or definition.title).format(n=n)
        emails = [p.email for p in others]
        role = reader_role(recipient.id, talent.id, talent_membership)
        wording = {"n": n, "activity": self.programme.activity(data["anchor"]).the if data.get("anchor") else ""}
        title_text, body = definition.wording(role)
        if 0 < n <= len(definition.occasions) and definition.occasions[n - 1].text:
            body = definition.occasions[n - 1].text  # e.g. the buddy meetings after the programme: no "seneste modul"
        once = definition.once_per_person and role != "talent"
        if once:
            others = []  # one invitation for all their talents: naming one of them would be wrong
        parts = await nudge_plan_parts(session, row.topic, n, row.cohort_id, talent.id, recipient.id, role, once)
        title = fill(title_text, wording)
        if recipient.id != talent.id and row.topic not in ("buddy-intro",) and "buddies" not in to and not once:
            title += f" – {talent.name}"
        return Reply(
            "nudge",
            {
                "title": title,
                "note": data.get("note") or "",
                "text": fill(body, wording),
                "questions": list(definition.questions) if recipient.id != talent.id or row.topic == "leader-conversation" else [],
                "people": [
                    {"name": p.name, "organisation": p.organisation, "level": LEVEL_NAMES_DA.get(levels.get(p.id) or "", "")}
                    for p in others
                ],
                "book_url": meeting_link(subject, emails) if emails and definition.meeting_subject else None,
                "chat_url": chat_link(emails, "Buddy'er – Talent Nord") if row.topic == "buddy-intro" and emails else None,
                "plan_id": row.id,
                "done": acted_label(row, tz),
                "can_act": row.topic != "buddy-intro",
                # the leader conversations revise the development plan: link it for the talent and the leader
                "plan_talent": talent.id if row.topic == "leader-conversation" else None,
                **parts,  # the apprentices and the closing seminar's plans, where this occasion refers to them
                **await self._files(session, recipient.id, nudge=row.topic),
            },
        )

    async def evaluation_card(self, session: AsyncSession, row: PlannedDelivery, thanks: bool = False) -> Reply:
        """The short evaluation of one activity (or the final one of the whole programme), pre-filled with an earlier answer."""
        answer = await session.scalar(
            select(Evaluation).where(
                Evaluation.cohort_id == row.cohort_id,
                Evaluation.person_id == row.person_id,
                Evaluation.activity_key == (row.activity_key or EVALUATION_KEY),
            )
        )
        if row.activity_key is None:
            final = {**FinalEvaluation().__dict__, **self.nudges.final}
            return Reply(
                "evaluation",
                {
                    "title": final["title"],
                    "text": final["text"],
                    "question": final["question"],
                    "plan_id": row.id,
                    "rating": str(answer.rating) if answer else "",
                    "expectations": answer.expectations if answer else "",
                    "comment": answer.comment if answer else "",
                    "thanks": thanks,
                },
            )
        definition = self.nudges.definitions.get("evaluation")
        activity = self.programme.activity(row.activity_key)
        return Reply(
            "evaluation",
            {
                "title": fill(definition.title if definition else "Hvordan var {activity}?", {"activity": activity.the, "n": 1}),
                "text": fill(definition.text, {"activity": activity.the, "n": 1}) if definition else "",
                "plan_id": row.id,
                "rating": str(answer.rating) if answer else "",
                "expectations": answer.expectations if answer else "",
                "comment": answer.comment if answer else "",
                "thanks": thanks,
            },
        )

    async def material_card(
        self,
        session: AsyncSession,
        person_id: int,
        activity_key: str,
        topic: str,
        tz: ZoneInfo,
        *,
        updated: bool = False,
    ) -> tuple[Reply, str]:
        """The card for one material step as the person should see it now, and its version."""
        steps = {m.topic: m for m in await session.scalars(select(Material).where(Material.activity_key == activity_key))}
        material = steps.get(topic)
        if material is None:
            raise LookupError(f"material {activity_key}/{topic} is not published")
        progress = {
            p.topic: p.seen_at
            for p in await session.scalars(select(Progress).where(Progress.person_id == person_id, Progress.activity_key == activity_key))
        }
        sequence = self.materials.sequences.get(activity_key)
        total = len(sequence.steps) if sequence else len(TOPICS)
        # the published steps' minutes: a duration LEAD changed in the console counts in the budget at once
        budget = sum(m.minutes for m in steps.values()) if sequence else material.minutes
        step_no = TOPICS.index(topic) + 1
        activity = self.programme.activity(activity_key)
        seen_at = progress.get(topic)
        card = Reply(
            "material",
            {
                "activity": activity.name,
                "activity_the": activity.the,
                "activity_key": activity_key,
                "topic": topic,
                "topic_label": TOPIC_LABELS_DA[topic],
                "kind_label": KIND_LABELS_DA.get(material.kind, material.kind),
                "title": material.title,
                "minutes": material.minutes,
                "description": material.description,
                "url": material.url,
                "step": step_no,
                "total": total,
                "seen_count": len(progress),
                "budget_minutes": budget,
                "seen": seen_label(seen_at, tz),
                "optional": topic == "literature",
                "updated": updated,
                **await self._files(session, person_id, activity=activity_key, topic=topic),
            },
        )
        return card, material.version

    async def reminder_card(self, session: AsyncSession, cohort_id: int, activity_key: str, tz: ZoneInfo) -> Reply:
        """The practical reminder: when, where, what to bring."""
        activity = self.programme.activity(activity_key)
        rows = (
            await session.scalars(
                select(CalendarSession)
                .where(CalendarSession.cohort_id == cohort_id, CalendarSession.activity_key == activity_key)
                .order_by(CalendarSession.starts_at)
            )
        ).all()
        sequence = self.materials.sequences.get(activity_key)
        cohort = await session.get(Cohort, cohort_id)
        placed = reminder_notes(activity_key, cohort_placements(cohort.plan_settings if cohort else None, self.nudges.skyggepraktik_module))
        bring = " ".join(filter(None, [*placed, (sequence.reminder if sequence else "") or activity.bring]))
        return Reply(
            "reminder",
            {
                "activity": activity.name,
                "sessions": [
                    {
                        "label": PART_LABELS.get(r.part, r.part),
                        "when": format_span(r.starts_at.astimezone(tz), r.ends_at.astimezone(tz)),
                        "venue": r.venue,
                    }
                    for r in rows
                ],
                "bring": bring,
            },
        )

    async def for_plan_row(self, session: AsyncSession, row: PlannedDelivery, now: datetime) -> tuple[dict[str, Any], str | None]:
        """The payload to send for a due plan row, and the content version it carries."""
        cohort = await session.get(Cohort, row.cohort_id)
        assert cohort is not None
        tz = ZoneInfo(cohort.timezone)
        if row.kind == "material" and row.activity_key:
            card, version = await self.material_card(session, row.person_id, row.activity_key, row.topic, tz)
            activity = self.programme.activity(row.activity_key)
            return card_message(card, f"Forberedelse til {activity.the}"), version
        if row.kind == "reminder" and row.activity_key:
            card = await self.reminder_card(session, row.cohort_id, row.activity_key, tz)
            return card_message(card, f"Praktisk påmindelse: {self.programme.activity(row.activity_key).name}"), None
        if row.kind == "nudge" and row.topic == STEERING_TOPIC:
            return card_message(steering_card(row, cohort, self.report_link)), None
        if row.kind == "nudge" and row.topic in self.nudges.definitions:
            target = row
            parent_id = (row.data or {}).get("parent")
            if parent_id is not None:  # a snooze or reminder shows the original nudge again
                target = await session.get(PlannedDelivery, parent_id) or row
            return card_message(await self.nudge_card(session, target, tz)), None
        if row.kind == "survey" and row.topic in READINESS_TOPICS:
            return card_message(await readiness_form(session, row)), None
        if row.kind == "survey" and (row.activity_key or row.topic == FINAL_TOPIC):
            return card_message(await self.evaluation_card(session, row)), None
        raise LookupError(f"no message for plan row kind {row.kind!r}")

    @staticmethod
    def notice(title: str, text: str, sender: str | None = None) -> dict[str, Any]:
        """A titled text message (broadcasts, notices)."""
        return card_message(notice(title, text, sender), title)
