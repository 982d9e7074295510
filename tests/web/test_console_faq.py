"""LEAD-konsol's Spørgsmål through the real app: open and answered questions, a learned answer edited or withdrawn."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.appkeys import CORE
from bot.config import Settings
from bot.services.core import build_core
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Cohort, Person, Question
from tests.support import NOW, Server, seed, start_server
from tests.support.console import ANNA, LARS

SOFIE = "sofie.underviser@lead.example"
ASKED = "Må jeg tage min stedfortræder med til skyggepraktikken?"


async def _questions(db: Database) -> tuple[int, int]:
    async with db.sessions.begin() as s:
        cohort = await s.scalar(select(Cohort.id).where(Cohort.key == "hold-2027"))
        anna = await s.scalar(select(Person.id).where(Person.email == ANNA))
        sofie = await s.scalar(select(Person.id).where(Person.email == SOFIE))
        learned = Question(
            cohort_id=cohort,
            asker_id=anna,
            text=ASKED,
            status="answered",
            answer="Ja, gerne.",
            answered_by=sofie,
            answered_at=NOW - timedelta(days=2),
            reuse=True,
            created_at=NOW - timedelta(days=3),
        )
        waiting = Question(
            cohort_id=cohort, asker_id=anna, text="Hvornår får vi slides fra modul 2?", status="open", created_at=NOW - timedelta(days=5)
        )
        s.add_all([learned, waiting])
        await s.flush()
        return learned.id, waiting.id


@pytest.fixture
async def console(db: Database, programme: Any, settings: Settings) -> AsyncIterator[tuple[Server, int]]:
    await seed(db, programme)
    learned, _ = await _questions(db)
    server = await start_server(settings)  # loads the learned answer into its index at start, as in production
    yield server, learned
    await server.close()


async def _csrf(server: Server) -> str:
    async with server.http.get(f"{server.url}/console?as={LARS}") as resp:
        html = await resp.text()
    return re.search(r'name="csrf" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]


async def _post(server: Server, path: str, form: dict[str, str], email: str = LARS) -> tuple[int, str]:
    async with server.http.post(f"{server.url}{path}?as={email}", data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text()


async def test_open_and_answered_questions_with_age_and_who_answered(console: tuple[Server, int]) -> None:
    server, _ = console
    async with server.http.get(f"{server.url}/console?as={LARS}") as resp:
        html = re.sub(r"\s+", " ", await resp.text())
    assert "Venter på svar (1)" in html and "Stillet for 5 dage siden" in html
    assert "Besvaret (1)" in html and "Besvaret af Sofie Holm" in html and "I FAQ" in html


async def test_an_edit_reaches_the_index_at_once(console: tuple[Server, int], db: Database) -> None:
    server, learned = console
    index = server.app[CORE].questions
    assert index.get(f"answered:{learned}").answer == "Ja, gerne."  # type: ignore[union-attr]
    form = {"csrf": await _csrf(server), "cohort": "hold-2027", "id": str(learned), "answer": "Ja, aftal det med din leder først."}
    status, _ = await _post(server, "/console/faq/edit", form)
    assert status == 303
    assert index.get(f"answered:{learned}").answer == "Ja, aftal det med din leder først."  # type: ignore[union-attr]
    async with db.sessions() as s:
        assert (await s.get(Question, learned)).answer == "Ja, aftal det med din leder først."  # type: ignore[union-attr]
        assert [a.outcome for a in await s.scalars(select(AuditEntry).where(AuditEntry.action == "faq.edit"))] == ["allowed"]


async def test_a_withdrawal_leaves_this_index_and_another_replicas(console: tuple[Server, int], db: Database, settings: Settings) -> None:
    server, learned = console
    other = build_core(db, settings, lambda: NOW)  # a second replica's services over the same database
    await other.desk.load_answered()
    assert other.questions.get(f"answered:{learned}") is not None
    status, _ = await _post(server, "/console/faq/withdraw", {"csrf": await _csrf(server), "cohort": "hold-2027", "id": str(learned)})
    assert status == 303
    assert server.app[CORE].questions.get(f"answered:{learned}") is None
    await other.desk.load_answered()  # its periodic refresh
    assert other.questions.get(f"answered:{learned}") is None
    async with db.sessions() as s:
        assert (await s.get(Question, learned)).reuse is False  # type: ignore[union-attr]


async def test_an_empty_answer_is_refused_in_danish(console: tuple[Server, int]) -> None:
    server, learned = console
    status, html = await _post(
        server, "/console/faq/edit", {"csrf": await _csrf(server), "cohort": "hold-2027", "id": str(learned), "answer": "  "}
    )
    assert status == 400 and "Svaret er tomt" in html
    assert server.app[CORE].questions.get(f"answered:{learned}").answer == "Ja, gerne."  # type: ignore[union-attr]


async def test_others_and_forged_forms_change_nothing(console: tuple[Server, int]) -> None:
    server, learned = console
    status, html = await _post(server, "/console/faq/withdraw", {"csrf": "", "cohort": "hold-2027", "id": str(learned)}, email=SOFIE)
    assert status == 403 and "administratorer" in html
    status, _ = await _post(server, "/console/faq/withdraw", {"csrf": "1.forged", "cohort": "hold-2027", "id": str(learned)})
    assert status == 403
    assert server.app[CORE].questions.get(f"answered:{learned}") is not None
