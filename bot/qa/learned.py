"""Learned (instructor-answered) entries in the question index: one entry per question asked, curated answers first."""

from __future__ import annotations

from bot.qa.answer_types import FactKind, holds_asked
from bot.qa.confidence import Thresholds
from bot.qa.entry import CURATED, Candidate, Entry
from bot.qa.text import analyse

# A learned answer at the top gives way to a curated entry among the next CURATED_REACH whose
# coverage is at most CURATED_SLACK lower: the programme's own answer first.
CURATED_REACH = 5
CURATED_SLACK = 0.05
# Two answered questions with these many of their terms in common are one question asked twice.
DUPLICATE_JACCARD = 0.8
MAX_ALTERNATIVES = 8


def question_key(question: str) -> frozenset[str]:
    """The content terms of a question: equal keys are the same question (inflection, order, synonyms aside)."""
    return frozenset(t.term for t in analyse(question))


def merged(entry: Entry, old: Entry) -> Entry:
    """The newer answer to a question asked before, keeping the older phrasings as alternatives."""
    alts = tuple(dict.fromkeys(p for p in (*entry.alternatives, *old.phrasings) if p != entry.question))
    return Entry(
        entry.id,
        entry.question,
        alts[:MAX_ALTERNATIVES],
        entry.answer,
        entry.source,
        entry.activity,
        entry.kind,
        entry.context,
        entry.topic,
    )


def curated_first(ranked: list[Candidate]) -> None:
    """A learned answer on top yields to a curated entry close behind that holds as much of the question."""
    if not ranked or ranked[0].entry.kind != "answered":
        return
    top = ranked[0]
    for i, c in enumerate(ranked[1 : CURATED_REACH + 1], start=1):
        if c.entry.kind in CURATED and c.coverage >= top.coverage - CURATED_SLACK:
            ranked.insert(0, ranked.pop(i))
            return


def displaced_learned(ranked: list[Candidate], best: Candidate, kinds: tuple[FactKind, ...], t: Thresholds) -> Candidate | None:
    """A learned answer to (nearly) this question that a curated entry put first (curated_first) cannot stand in for.

    The curated entry goes first to answer in the programme's words; when it is not confident (or holds
    no fact of the kind asked), the instructors' answer to this question is given, not asked for again."""
    for c in ranked[: CURATED_REACH + 1]:
        if c is best or not t.fits(c):
            continue
        if c.relative < t.min_relative and not t.repeated(c, ranked):
            continue
        if not kinds or holds_asked(kinds, c.entry, c.entry.answer):
            return c
    return None


def merge_near_duplicates(ranked: list[Candidate], k: int, keys: dict[int, frozenset[str]], by_id: dict[str, int]) -> list[Candidate]:
    """The k best, an answered question dropped when a better-ranked answered one is nearly the same question."""
    out: list[Candidate] = []
    kept: list[frozenset[str]] = []
    for c in ranked:
        if c.entry.kind == "answered":
            key = keys.get(by_id.get(c.entry.id, -1), frozenset())
            if any(key and len(key & other) / len(key | other) >= DUPLICATE_JACCARD for other in kept):
                continue
            kept.append(key)
        out.append(c)
        if len(out) >= k:
            break
    return out


def merge_answered(entries: list[Entry]) -> list[Entry]:
    """Answered questions that are the same question (same content terms): the last one, with the others' phrasings."""
    by_key: dict[frozenset[str], int] = {}
    out: list[Entry] = []
    for entry in entries:
        if entry.kind != "answered":
            out.append(entry)
            continue
        key = question_key(entry.question)
        i = by_key.get(key) if key else None
        if i is None:
            by_key[key] = len(out)
            out.append(entry)
            continue
        out[i] = merged(entry, out[i])
    return out
