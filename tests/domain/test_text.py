"""Free text as it comes in: linear mention and tag stripping at the body limit, and one sanitiser."""

from __future__ import annotations

import re
import time

import pytest

from bot.domain.commands import classify, normalise
from bot.domain.questions import plain_text, question_text
from bot.domain.roster import parse_roster
from bot.domain.text import clean, clean_value, strip_mentions, strip_tags

BODY = 128 * 1024
WORST = {
    "open mentions": "<at>" * (BODY // 4),
    "open mention then text": "<at>" + "x" * BODY,
    "open angles": "<" * BODY,
    "mention blocks": "<at>a</at>" * (BODY // 10),
    "broken breaks": "<br" + " " * BODY,
    "at angles": "<at><" * (BODY // 5),
}


@pytest.mark.parametrize("text", WORST.values(), ids=WORST.keys())
def test_text_normalisation_is_linear_at_the_body_limit(text: str) -> None:
    # CPU time, not wall time: a loaded machine stretches the wall clock, never the work done here
    # (linear is a few ms; a quadratic pattern over 128 KB takes seconds of CPU)
    started = time.thread_time()
    classify(text)
    normalise(text)
    plain_text(text)
    question_text(text)
    assert time.thread_time() - started < 0.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<at>Bot</at> hej <AT>x</At>", "  hej  "),
        ("a <at>b", "a <at>b"),
        ("<at>a</at><at>", " <at>"),
    ],
)
def test_strip_mentions_matches_the_old_pattern(text: str, expected: str) -> None:
    assert strip_mentions(text) == re.sub(r"<at>.*?</at>", " ", text, flags=re.IGNORECASE | re.DOTALL) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>x</b>", " x "),
        ("a <> b", "a <> b"),
        ("a << b>", "a  "),
        ("<<>", " "),
        ("x < y", "x < y"),
    ],
)
def test_strip_tags_matches_the_old_pattern(text: str, expected: str) -> None:
    assert strip_tags(text) == re.sub(r"<[^>]+>", " ", text) == expected


def test_clean_drops_controls_and_nul_but_keeps_lines() -> None:
    assert clean("a\x00b\x07c\td\r\ne\x9f") == "abc\td\ne"
    assert clean("x" * 10, 4) == "xxxx"
    assert clean(None) == ""


def test_clean_value_cleans_nested_strings_and_keys() -> None:
    value = {"a\x00": ["x\x01", {"b": "y\x1b"}], "n": 3}
    assert clean_value(value) == {"a": ["x", {"b": "y"}], "n": 3}


def test_a_roster_csv_is_cleaned() -> None:
    text = (
        "email,name,role,organisation,level,leader_email,mentor_email\r\n"
        "anna@x.example,An\x01na\x1b Jensen,talent,Aal\x7fborg,leder-af-medarbejdere,mette@x.example,\r\n"
        "mette@x.example,Mette,leader,Aalborg,,,\r\n"
    )
    rows = parse_roster(text, "roster.csv")
    assert (rows[0].name, rows[0].organisation) == ("Anna Jensen", "Aalborg")
