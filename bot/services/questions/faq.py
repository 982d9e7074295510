"""LEAD's view of a cohort's questions (open, answered, learned) and editing or withdrawing a learned answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.questions import MAX_ANSWER_CHARS
from bot.qa import AnyIndex, Entry
from bot.services.cohorts import get_cohort
from bot.storage.db import Database
from bot.storage.models import Person, Question


class FaqRefused(ValueError):
    """An edit or withdrawal that cannot be done (Danish, for the console; printed by the CLI)."""


@dataclass(frozen=True)
class AskedRow:
    """One question as LEAD sees it: text, age, status, who answered and whether the bot reuses the answer."""

    id: int
    text: str
    asked_at: datetime
    status: str
    answer: str
    answered_by: str
    answered_at: datetime | None
    learned: bool

    def age_da(self, now: datetime) -> str:
        """'i dag', 'for 1 dag siden', 'for 5 dage siden': how long ago it was asked."""
        days = max(0, (now - self.asked_at).days)
        return "i dag" if days == 0 else f"for {days} dag siden" if days == 1 else f"for {days} dage siden"

    def as_json(self) -> dict[str, object]:
        """The row for `faq list --json`."""
        return {
            "id": self.id,
            "text": self.text,
            "asked_at": self.asked_at.isoformat(),
            "status": self.status,
            "answer": self.answer,
            "answered_by": self.answered_by,
            "learned": self.learned,
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
        }


class FaqEditing:
    """A part of QuestionDesk: the questions overview and learned answers edited or withdrawn, the index at once."""

    db: Database
    index: AnyIndex
    tz: ZoneInfo

    _entry: Callable[[Question], Entry]  # IndexRefresh's

    async def overview(self, cohort_key: str) -> list[AskedRow]:
        """Every question of the cohort, newest first, with who answered it."""
        async with self.db.sessions() as session:
            cohort = await get_cohort(session, cohort_key)
            rows = list(
                await session.scalars(
                    select(Question).where(Question.cohort_id == cohort.id).order_by(Question.created_at.desc(), Question.id.desc())
                )
            )
            ids = {q.answered_by for q in rows if q.answered_by is not None}
            names: dict[int | None, str] = (
                {p.id: p.name for p in await session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
            )
        return [
            AskedRow(
                q.id,
                q.text,
                q.created_at,
                q.status,
                q.answer or "",
                names.get(q.answered_by, "en underviser") if q.status == "answered" else "",
                q.answered_at,
                q.status == "answered" and q.reuse,
            )
            for q in rows
        ]

    async def _learned(self, session: AsyncSession, cohort_key: str, question_id: int) -> Question:
        cohort = await get_cohort(session, cohort_key)
        q = await session.get(Question, question_id)
        if q is None or q.cohort_id != cohort.id or q.status != "answered" or not q.reuse:
            raise FaqRefused(f"Holdet har intet lært svar med nummer {question_id}.")
        return q

    async def edit_learned(self, cohort_key: str, question_id: int, answer: str, now: datetime) -> AskedRow:
        """A better wording of a learned answer: stored, and the bot answers with it at once (every replica soon)."""
        answer = answer.strip()
        if not answer:
            raise FaqRefused("Svaret er tomt. Skriv svaret, eller træk det tilbage.")
        if len(answer) > MAX_ANSWER_CHARS:
            raise FaqRefused(f"Svaret er for langt ({len(answer)} tegn; højst {MAX_ANSWER_CHARS}).")
        async with self.db.sessions.begin() as session:
            q = await self._learned(session, cohort_key, question_id)
            q.answer, q.faq_changed_at = answer, now
        self.index.add(self._entry(q))  # the same id replaces the old wording
        return _row(q)

    async def withdraw_learned(self, cohort_key: str, question_id: int, now: datetime) -> AskedRow:
        """Stop the bot answering with a learned answer (the asker keeps what they were told)."""
        async with self.db.sessions.begin() as session:
            q = await self._learned(session, cohort_key, question_id)
            q.reuse, q.faq_changed_at = False, now
        self.index.remove(f"answered:{q.id}")
        return _row(q)


def _row(q: Question) -> AskedRow:
    return AskedRow(q.id, q.text, q.created_at, q.status, q.answer or "", "", q.answered_at, q.status == "answered" and q.reuse)
