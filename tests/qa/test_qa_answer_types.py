"""Questions asking for a phone number, an address, a time of day, a price or an age (bot/qa/answer_types.py):
answered only by an entry that holds one, else handed to the instructors; once an instructor has answered, learned."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.qa.answer_types import asked_kinds, holds_asked
from bot.qa.index import Entry, QuestionIndex
from bot.qa.loader import content_entries

CONTENT = REPO_ROOT / "content"


@pytest.fixture(scope="module")
def index() -> QuestionIndex:
    return QuestionIndex().build(content_entries(CONTENT))


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("hvad er telefonnummeret til underviserne", ["phone"]),
        ("hvad er kristian dahls mailadresse", ["email"]),
        ("hvad er adressen på tamu aalborg", ["address"]),
        ("hvor gammel er kristian dahl", ["age"]),
        ("hvad tid på dagen starter kick-off", ["clock"]),
        ("hvad koster det at deltage", ["price"]),
        ("er det åbne seminar med i prisen", ["price"]),
        # the same words in questions about something else
        ("hvilke udfordringer adresserer den nye syntese", []),
        ("hvad koster det i tid for min leder", []),  # hours, which the time budget gives
        ("hvor lang tid varer et buddymøde", []),
        ("hvornår er modul 3", []),
        ("kan jeg bruge teams på min telefon", []),
    ],
)
def test_what_kind_of_fact_a_question_asks_for(question: str, kinds: list[str]) -> None:
    assert [k.name for k in asked_kinds(question)] == kinds


def test_an_entry_holds_the_fact_in_its_answer_or_asks_for_it_in_a_phrasing() -> None:
    kinds = asked_kinds("hvad er adressen på kongrescentret")
    place = Entry("place", "Hvor holdes modulerne?", (), "Modulerne holdes på Aalborg Kongres & Kultur Center.", "FAQ")
    assert not holds_asked(kinds, place, place.answer)
    assert holds_asked(kinds, place, "Europa Plads 4, 9000 Aalborg.")
    asked = Entry("course", "Hvor foregår kurset?", ("Hvad er adressen på kurset?",), "Se kalenderen.", "FAQ")
    assert holds_asked(kinds, asked, asked.answer)  # the author meant it to answer that


def test_a_question_for_a_fact_the_text_does_not_hold_goes_to_the_instructors(index: QuestionIndex) -> None:
    # the entry about the place, the person, the activity ranks first, but holds no address, age or clock time
    for question, about in [
        ("hvad er adressen på tamu aalborg", "tamu"),
        ("hvor gammel er kristian dahl", "kristian-dahl"),
        ("hvad tid på dagen starter kick-off", "kick-off"),
    ]:
        m = index.answer(question)
        assert m.entry is not None and m.entry.id == about, question
        assert not m.confident and m.reply == "", question
    # the same entries answer what they do hold
    assert index.answer("hvad er tamu").confident
    assert index.answer("koster det noget at bruge teams").confident  # its answer says gratis


def test_the_instructors_answer_with_the_fact_is_learned() -> None:
    idx = QuestionIndex().build(content_entries(CONTENT))
    question = "hvad tid på dagen starter kick-off"
    assert not idx.answer(question).confident
    idx.add(Entry("answered:7", question, (), "Kick-off begynder kl. 9.00 og slutter kl. 12.30.", "Svar fra underviser", None, "answered"))
    m = idx.answer(question)
    assert m.confident and m.entry is not None and m.entry.id == "answered:7"
    assert "kl. 9.00" in m.reply
    # an instructor's answer without the fact is still that answer: it was written for this question
    idx.add(Entry("answered:8", "hvor gammel er kristian dahl", (), "Det må du spørge ham om.", "Svar fra underviser", None, "answered"))
    assert idx.answer("hvor gammel er kristian dahl").confident
