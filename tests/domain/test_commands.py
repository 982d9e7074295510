"""What chat text means: the Danish command parser, checked as a table of text -> intent."""

from __future__ import annotations

import pytest

from bot.domain.commands import Intent, classify, normalise

CASES = [
    ("", Intent("empty")),
    ("   ", Intent("empty")),
    ("<at>Talent Nord</at>", Intent("empty")),
    ("hjælp", Intent("help")),
    ("Hjælp!", Intent("help")),
    ("hvad kan du?", Intent("help")),
    ("næste", Intent("next")),
    ("Hvad skal jeg nu?", Intent("next")),
    ("<at>Talent Nord</at> næste", Intent("next")),
    ("næste modul tak", Intent("next")),  # "næste …" still means the next activity
    ("hvornår er det næste", Intent("next")),
    ("materialer", Intent("library")),
    ("hej", Intent("greeting")),
    ("tak", Intent("thanks")),
    ("Mange tak", Intent("thanks")),
    ("udviklingsplan", Intent("development_plan")),
    ("status", Intent("status")),
    ("status hold-2027", Intent("status", "hold 2027")),  # the argument is normalised
    ("publicér", Intent("publish")),
    ("underviserkanal", Intent("instructors_channel")),
    ("spørg Må jeg tage min hund med?", Intent("ask", "må jeg tage min hund med")),
    # a broadcast's text is for others to read: kept as written, case and punctuation included
    ("udsend talenter Husk mødet i morgen!", Intent("broadcast", "talenter Husk mødet i morgen!")),
    ("<at>Talent Nord</at> udsend hold-2027 Hej alle", Intent("broadcast", "hold-2027 Hej alle")),
    ("udsend", Intent("unknown", "udsend")),  # a command word alone is no command
    ("blå bananer", Intent("unknown", "blå bananer")),
    ("hvornår er der frokost?", Intent("unknown", "hvornår er der frokost")),
]


@pytest.mark.parametrize(("text", "intent"), CASES, ids=[c[0] or "nothing" for c in CASES])
def test_classify(text: str, intent: Intent) -> None:
    assert classify(text) == intent


def test_normalise_drops_mentions_markup_and_punctuation() -> None:
    assert normalise("<at>Bot</at>  Hvad   skal <b>jeg</b> NU?!") == "hvad skal jeg nu"
