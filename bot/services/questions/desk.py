"""The instructors' loop: questions the bot cannot answer go to their channel; their answers come back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.access import can_answer_questions
from bot.domain.people import Profile
from bot.domain.programme import Programme
from bot.domain.questions import (
    ANSWER_PROMISE,
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    looks_like_question,
    question_text,
    same_question,
    thread_of,
)
from bot.observe.metrics import QUESTIONS_ANSWERED, QUESTIONS_HANDED_OFF
from bot.outbox.writer import enqueue, reachable_chats
from bot.qa import AnyIndex, Entry
from bot.qa.text import terms
from bot.services.messages.render import card_message
from bot.services.questions.channel import local_moment_text
from bot.services.questions.faq import FaqEditing
from bot.services.questions.refresh import IndexRefresh
from bot.services.questions.reminders import SlaReminders
from bot.services.reply import Reply, notice
from bot.storage.db import Database, changed_rows
from bot.storage.models import (
    AnswerFeedback,
    Cohort,
    Conversation,
    OutboxMessage,
    Person,
    Question,
    QuestionAsker,
)

log = logging.getLogger(__name__)
OPEN_SCAN_LIMIT = 500  # open questions compared when looking for the same question
# The instructors' "Svar" on the channel card.
ANSWER_VERB = "question-answer"
NOT_ALLOWED = (
    "Tak for dit svar! Kun underviserne og LEAD kan besvare spørgsmål her, så jeg har ikke sendt det videre. En underviser svarer talentet."
)


@dataclass(frozen=True)
class Outcome:
    """What came of an instructor's answer: a short Danish text for them and the card as it now is."""

    ok: bool
    text: str
    card: Reply | None = None
    refused: bool = False  # the sender may not answer (for the audit log)


def reuse_flag(value: Any) -> bool:
    """The card's "Tilføj til FAQ" toggle ("true"/"false", or missing = on)."""
    if value is None:
        return True
    return str(value).strip().lower() not in ("false", "0", "no", "off", "")


class QuestionDesk(IndexRefresh, SlaReminders, FaqEditing):
    """Answers from the index, hands the rest to the instructors' channel, relays their answers."""

    def __init__(
        self,
        db: Database,
        index: AnyIndex,
        programme: Programme,
        clock: Callable[[], datetime],
        *,
        reminder_hours: int,
        timezone: str,
    ) -> None:
        self.db = db
        self.index = index
        self.programme = programme
        self.clock = clock
        self.reminder_hours = reminder_hours
        self.tz = ZoneInfo(timezone)
        self._watermark: datetime | None = None  # answered_at of the newest answer in the index
        self._refreshed = 0.0

    # ---- the talent's side -----------------------------------------------------------------

    def answer_reply(self, question: str, entry: Entry, *, note: str | None = None, can_act: bool = True) -> Reply:
        """The answer card for an index entry, with its source and the two buttons."""
        source = entry.source if entry.kind == "answered" else f"Fra: {entry.source}"
        return Reply(
            "answer",
            {"question": question, "answer": entry.answer, "source_line": source, "entry_id": entry.id, "note": note, "can_act": can_act},
        )

    def ask_form(self, question: str = "", activity: str = "", error: str | None = None) -> Reply:
        """The "Stil et spørgsmål" card."""
        activities = [{"key": a.key, "name": a.name} for a in self.programme.activities]
        return Reply(
            "ask_form",
            {
                "activities": activities,
                "question": question,
                "activity": activity if activity in self.programme.keys else "",
                "error": error,
            },
        )

    async def ask_text(self, profile: Profile, text: str, *, explicit: bool) -> Reply:
        """A chat message that may be a question: the index's answer, a hand-off, or the fallback."""
        question, wants_person = question_text(text)
        if not question:
            return self.ask_form()
        if len(question) > MAX_QUESTION_CHARS:
            return self.ask_form(
                error=f"Dit spørgsmål er for langt ({len(question)} tegn; højst {MAX_QUESTION_CHARS}). Skriv det gerne lidt kortere."
            )
        if not wants_person:
            await self._refresh()
            match = await asyncio.to_thread(self.index.answer, question)  # the embedding takes ms: off the loop
            if match.confident and match.entry is not None:
                QUESTIONS_ANSWERED.labels("index").inc()
                return self.answer_reply(question, match.entry)
            if not explicit and not looks_like_question(question):
                return Reply("fallback", {"text": text})
        return await self.hand_off(profile, question)

    async def ask(self, profile: Profile, question: str, activity_key: str | None = None) -> Reply:
        """A question from the "Stil et spørgsmål" card: answered at once if known, else handed off."""
        question = question_text((question or "")[: MAX_QUESTION_CHARS * 2])[0]
        activity_key = activity_key if activity_key in self.programme.keys else None
        if not question:
            return self.ask_form(activity=activity_key or "", error="Skriv dit spørgsmål i feltet, før du sender.")
        if len(question) > MAX_QUESTION_CHARS:
            return self.ask_form(
                question[:MAX_QUESTION_CHARS],
                activity_key or "",
                error=f"Dit spørgsmål er for langt ({len(question)} tegn; højst {MAX_QUESTION_CHARS}).",
            )
        await self._refresh()
        query = f"{question} {self._activity_name(activity_key)}" if activity_key else question
        match = await asyncio.to_thread(self.index.answer, query)
        if match.confident and match.entry is not None:
            QUESTIONS_ANSWERED.labels("index").inc()
            return self.answer_reply(question, match.entry)
        return await self.hand_off(profile, question, activity_key)

    async def feedback(self, profile: Profile, entry_id: str, question: str, helpful: bool) -> None:
        """Record what a person said about an answer the bot gave."""
        async with self.db.sessions() as session, session.begin():
            session.add(
                AnswerFeedback(
                    person_id=profile.person_id,
                    entry_id=str(entry_id)[:200],
                    question=(question or "")[:MAX_QUESTION_CHARS],
                    helpful=helpful,
                    created_at=self.clock(),
                )
            )

    async def answer_helped(self, profile: Profile, entry_id: Any, question: str) -> Reply:
        """ "Det hjalp" on an answer card: the feedback is stored; the card thanks them."""
        question = question[: MAX_QUESTION_CHARS * 2]
        entry = await self._feedback_on(profile, entry_id, question, helpful=True)
        if entry is None:
            return notice("Tak for din tilbagemelding", "Godt, at det hjalp!")
        return self.answer_reply(question, entry, note="Tak for din tilbagemelding – godt, at det hjalp!", can_act=False)

    async def ask_instructor(self, profile: Profile, entry_id: Any, question: str) -> Reply:
        """ "Spørg en underviser" on an answer card: the feedback is stored and the question handed off."""
        question = question[: MAX_QUESTION_CHARS * 2]
        entry = await self._feedback_on(profile, entry_id, question, helpful=False)
        asked = question_text(question)[0]
        if not asked:
            return self.ask_form(error="Skriv dit spørgsmål i feltet, så sender jeg det til underviserne.")
        handed = await self.hand_off(profile, asked[:MAX_QUESTION_CHARS])
        if entry is None:
            return handed
        return self.answer_reply(asked, entry, note=f"{handed.data['title']}. {handed.data['text']}", can_act=False)

    async def _feedback_on(self, profile: Profile, entry_id: Any, question: str, *, helpful: bool) -> Entry | None:
        """The index entry a card's button names (None when unknown), its feedback recorded."""
        entry = self.index.get(str(entry_id)) if entry_id else None
        if entry is not None:
            await self.feedback(profile, entry.id, question, helpful)
        return entry

    def _cohort_of(self, profile: Profile) -> int | None:
        talent = [r.cohort_id for r in profile.roles if r.role == "talent"]
        return talent[0] if talent else (profile.roles[0].cohort_id if profile.roles else None)

    def _activity_name(self, key: str | None) -> str:
        try:
            return self.programme.activity(key).name if key else ""
        except KeyError:
            return ""

    async def hand_off(self, profile: Profile, question: str, activity_key: str | None = None) -> Reply:
        """Give the question to the instructors (or attach the person to the same open question)."""
        cohort_id = self._cohort_of(profile)
        if cohort_id is None:
            return notice(
                "Spørgsmålet kunne ikke sendes", "Du er ikke tilknyttet et hold endnu, så jeg ved ikke, hvilke undervisere jeg skal spørge."
            )
        question = question[:MAX_QUESTION_CHARS]
        now = self.clock()
        wanted = set(terms(question))
        async with self.db.sessions() as session, session.begin():
            open_questions = await session.execute(
                select(Question.id, Question.text)
                .where(Question.cohort_id == cohort_id, Question.status == "open")
                .order_by(Question.id.desc())
                .limit(OPEN_SCAN_LIMIT)
            )
            for question_id, text in open_questions.all():
                if same_question(wanted, set(terms(text))):
                    return await self._attach(session, question_id, profile.person_id, now)
            q = Question(
                cohort_id=cohort_id,
                asker_id=profile.person_id,
                text=question,
                activity_key=activity_key,
                status="open",
                reuse=True,
                created_at=now,
            )
            session.add(q)
            await session.flush()
            session.add(QuestionAsker(question_id=q.id, person_id=profile.person_id, created_at=now))
            posted = await self._post_card(session, q)
        QUESTIONS_HANDED_OFF.inc()
        if not posted:
            return notice(
                "Dit spørgsmål er gemt",
                (
                    "Underviserne har endnu ikke en kanal i Teams til spørgsmål, så jeg kan ikke sende det videre lige nu. "
                    "LEAD har fået besked, og du får svaret her i chatten, så snart en underviser har svaret."
                ),
            )
        return notice("Dit spørgsmål er sendt til underviserne", f"Du får svaret her i chatten – {ANSWER_PROMISE}.")

    async def _attach(self, session: AsyncSession, question_id: int, person_id: int, now: datetime) -> Reply:
        """A second person asks an open question: they get the same answer when it comes."""
        known = await session.scalar(
            select(QuestionAsker.id).where(QuestionAsker.question_id == question_id, QuestionAsker.person_id == person_id)
        )
        if known is None:
            session.add(QuestionAsker(question_id=question_id, person_id=person_id, created_at=now))
            log.info("person %d attached to open question %d", person_id, question_id)
            text = (
                f"Det samme spørgsmål er allerede sendt til underviserne, og du får svaret her i chatten, "
                f"så snart det kommer – {ANSWER_PROMISE}."
            )
        else:
            text = f"Du har allerede stillet det spørgsmål. Du får svaret her i chatten – {ANSWER_PROMISE}."
        return notice("Dit spørgsmål er sendt til underviserne", text)

    # ---- the instructors' side -------------------------------------------------------------

    async def question_of_thread(self, conversation_id: str) -> int | None:
        """The question whose card starts this channel thread, if any."""
        thread = thread_of(conversation_id)
        if thread is None:
            return None
        channel_id, root = thread
        async with self.db.sessions() as session:
            found = await session.scalar(
                select(Question.id)
                .join(Conversation, Conversation.id == Question.channel_id)
                .where(Question.card_activity_id == root, Conversation.conversation_id == channel_id)
            )
            if found is None:  # the card's id is still only on its outbox row
                found = await session.scalar(
                    select(Question.id)
                    .join(OutboxMessage, OutboxMessage.key == Question.card_key)
                    .join(Conversation, Conversation.id == Question.channel_id)
                    .where(OutboxMessage.activity_id == root, Conversation.conversation_id == channel_id)
                )
        return found

    async def answer(self, question_id: Any, profile: Profile | None, text: str, reuse: bool = True) -> Outcome:
        """An instructor's answer: to every asker's chat, onto the channel card and (if allowed) into the index.

        `profile` is the sender as the edge sees them (roles scoped to the activity's tenant); only an
        instructor or admin of the question's cohort may answer."""
        person_id = profile.person_id if profile is not None else None
        if not isinstance(question_id, int) or isinstance(question_id, bool):
            try:
                question_id = int(str(question_id))
            except ValueError:
                return Outcome(False, "Jeg kan ikke finde spørgsmålet til det svar.")
        text = (text or "").strip()
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            q = await session.get(Question, question_id)
            if q is None:
                return Outcome(False, "Jeg kan ikke finde spørgsmålet til det svar.")
            cohort_key = await session.scalar(select(Cohort.key).where(Cohort.id == q.cohort_id))
            if profile is None or not can_answer_questions(profile, cohort_key):
                log.info("answer to question %d refused: sender is not an instructor or admin of its cohort", q.id)
                return Outcome(False, NOT_ALLOWED, refused=True)
            if q.status != "open":
                return Outcome(False, await self._already(session, q), await self._card(session, q))
            if not text:
                return Outcome(False, "Svaret er tomt. Skriv dit svar i feltet (eller her i tråden), så sender jeg det.")
            if len(text) > MAX_ANSWER_CHARS:
                return Outcome(False, f"Svaret er for langt ({len(text)} tegn; højst {MAX_ANSWER_CHARS}). Del det gerne op.")
            taken = await changed_rows(
                session,
                update(Question)
                .where(Question.id == q.id, Question.status == "open")
                .values(status="answered", answer=text, answered_by=person_id, answered_at=now, reuse=reuse),
            )
            if taken != 1:  # another instructor answered a moment ago
                await session.refresh(q)
                return Outcome(False, await self._already(session, q), await self._card(session, q))
            await session.refresh(q)
            sent = await self._send_answer(session, q, now)
            card = await self._card(session, q)
            await self._update_card(session, q, card, "answered")
        QUESTIONS_ANSWERED.labels("instructor").inc()
        if reuse:
            self.index.add(self._entry(q))
        log.info("question %d answered by person %d; %d asker(s) told; reuse=%s", q.id, person_id, sent, reuse)
        who = "talent" if sent == 1 else "talenter"
        faq = " og føjet til FAQ, så jeg selv kan svare næste gang" if reuse else ""
        return Outcome(True, f"Tak! Svaret er sendt til {sent} {who}{faq}.", card)

    async def _already(self, session: AsyncSession, q: Question) -> str:
        by = await session.get(Person, q.answered_by) if q.answered_by is not None else None
        when = local_moment_text(q.answered_at, self.tz) if q.answered_at else ""
        return (
            f"Spørgsmålet er allerede besvaret af {by.name if by else 'en underviser'} {when}. "
            "Dit svar er ikke sendt videre, så talentet ikke får to svar."
        )

    async def _send_answer(self, session: AsyncSession, q: Question, now: datetime) -> int:
        """Queue the answer for every asker's 1:1 chat; the number queued."""
        instructor = await session.get(Person, q.answered_by) if q.answered_by is not None else None
        name = instructor.name if instructor else "en underviser"
        card = Reply(
            "instructor_answer", {"instructor": name, "question": q.text, "answer": q.answer or "", "when": local_moment_text(now, self.tz)}
        )
        payload = card_message(card, f"Svar fra {name}")
        askers = list(await session.scalars(select(QuestionAsker.person_id).where(QuestionAsker.question_id == q.id)))
        chats = await reachable_chats(session, askers)
        for person_id in askers:
            if person_id not in chats:
                log.warning("question %d: asker %d has no chat the bot can write to; answer not delivered", q.id, person_id)
                continue
            await enqueue(session, key=f"question/{q.id}/answer/{person_id}", conversation_id=chats[person_id], payload=payload, at=now)
        return sum(1 for p in askers if p in chats)
