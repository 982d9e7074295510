"""Issue #16: a long broadcast or answer reaches people whole (several text blocks), never cut with '…'."""

from __future__ import annotations

from typing import Any

import pytest

import cards
from bot.services.broadcasts import MAX_BROADCAST_CHARS, checked_text
from cards.plain import chunks


def blocks(card: dict[str, Any]) -> list[str]:
    return [b["text"] for b in card["body"] if b.get("type") == "TextBlock"]


def test_a_broadcast_of_the_longest_allowed_text_is_delivered_whole() -> None:
    words = ("Kære talenter, husk at forberede jer grundigt til modul 2. " * 200)[: MAX_BROADCAST_CHARS - 1] + "!"
    card = cards.render("notice", {"title": "Besked fra LEAD", "text": words, "sender": "LEAD"})
    shown = blocks(card)[1:-1]
    assert len(shown) >= 2 and "".join(shown) == words
    assert all(len(part) <= cards.MAX_TEXT for part in shown) and not any(part.endswith("…") for part in shown)


def test_a_long_instructor_answer_is_delivered_whole() -> None:
    answer = "Ja. " * 999 + "Slut."
    card = cards.render("instructor_answer", {"instructor": "Lars", "question": "Må jeg?", "answer": answer, "when": "i dag"})
    assert "Slut." in "".join(blocks(card)) and not any(b.endswith("…") for b in blocks(card))


@pytest.mark.parametrize("text", ["", "kort", "a" * 5000, ("ord " * 1500).strip(), "linje\n\n" * 700])
def test_chunks_split_at_spaces_within_the_limit_and_lose_nothing(text: str) -> None:
    parts = chunks(text, 2000)
    assert ("".join(parts) == text and all(0 < len(p) <= 2000 for p in parts)) or (text == "" and parts == [""])


def test_an_answer_full_of_markdown_characters_is_not_cut_by_its_escaping() -> None:
    answer = "*" * 3999
    card = cards.render("instructor_answer", {"instructor": "Lars", "question": "?", "answer": answer, "when": "i dag"})
    shown = "".join(blocks(card)[2:-1])
    assert shown.replace("\\", "") == answer


def test_a_broadcast_loses_control_characters_and_nul_from_any_edge() -> None:
    assert checked_text("  Hej\x00 alle\x07\r\nVi ses\x1b  ", "all") == "Hej alle\nVi ses"
