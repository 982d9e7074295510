"""Questions that ask for a kind of fact (a phone number, an address, a time of day, a price, an age) and whether an entry holds one.

An entry about the right thing may still not hold what was asked: "hvad er adressen på TAMU Aalborg"
finds the entry about TAMU, which names the place but gives no address; "hvor gammel er Kristian
Dahl" finds his introduction. Words and meaning both rank such an entry first, and confidently, so
the bot would answer beside the question. When a question asks for one of these kinds of fact, an
entry may answer it only when its text shows one (digits of a phone number, a street or postcode, a
clock time, a price word, an age) or one of its own phrasings asks for the same kind: the author (an
instructor's learned answer, an FAQ alternative like "Hvad er adressen på kurset?") meant it to answer
that question. Otherwise the question goes to the instructors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.qa.entry import Entry


@dataclass(frozen=True)
class FactKind:
    """One kind of fact: how a question asks for it, and what in an answer shows it."""

    name: str
    asked: re.Pattern[str]
    shown: re.Pattern[str]


def _kind(name: str, asked: str, shown: str) -> FactKind:
    return FactKind(name, re.compile(asked, re.IGNORECASE), re.compile(shown, re.IGNORECASE))


KINDS = (
    _kind(
        "phone",
        r"telefonnummer\w*|\btlf\.?\s*(nr|nummer)|mobilnummer\w*|\bringe (til|på)\b",
        r"\b\d{2} ?\d{2} ?\d{2} ?\d{2}\b|\+45",
    ),
    _kind("email", r"\b(e-?)?mail-?adresse\w*", r"\S@\S"),
    # "adresserer" (addresses a challenge) is not asked for an address
    _kind("address", r"\badresse(n|r|rne)?\b", r"\b\d{4} [A-ZÆØÅ]|\b\w+(vej|gade|allé|plads|torv|vænget|boulevard) \d"),
    _kind("age", r"\bhvor gammel\b|\bhvilken alder\b|\bhvor mange år er\b", r"\b\d{2} år\b|\bår gammel\b|\bfødt\b"),
    _kind(
        "clock",
        r"\bhvad tid (på dagen|starter|begynder|slutter|går|mødes|er)\b|\bklokken\b|\bklokkeslæt\w*|\bhvornår på dagen\b|\btidspunkt på dagen\b",
        r"\bkl\.? ?\d|\b\d{1,2}[.:]\d{2}\b",
    ),
    # "hvad koster det i tid" asks for hours, which the time budget's entries give
    _kind(
        "price",
        r"\bkoste(r|t)?\b(?!.*\btid)|\bprise[nr]\b|\bpris\b|\bbetale?r?\b|\bgebyr\w*|\bkroner\b",
        r"\bkr\.?(?!\w)|\bkroner\b|\bgratis\b|\bpris|\bbetal|\bkoste|\bberegning|\bomkostning|\bfinansier",
    ),
)


def asked_kinds(question: str) -> tuple[FactKind, ...]:
    """The kinds of fact a question asks for (mostly none)."""
    return tuple(kind for kind in KINDS if kind.asked.search(question))


def holds_asked(kinds: tuple[FactKind, ...], entry: Entry, answer: str) -> bool:
    """True when the entry may answer a question asking for these kinds: its answer shows each, or a phrasing of its own asks for it."""
    return all(kind.shown.search(answer) or any(kind.asked.search(p) for p in entry.phrasings) for kind in kinds)
