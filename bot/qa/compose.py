"""Composing a reply from more than one entry: the runner-up's closest sentence, and a list that goes on in the next passage.

A question often spans two entries that say different halves of the answer: the vertical and the
horizontal recommendation of a readiness box, the buddy meetings during and after the programme,
the days of the common track and the time budget. When the re-ranker (bot.qa.rerank) puts a
second entry close behind the one that answers, holding most of the question, and one of its
sentences is close in meaning to the question, that one sentence is added after the answer with
where it is from - one sentence, not the whole entry, so the reply stays short.

Chosen (p-rank) on the development sets (tuning, blind2, the even half of tests/qa_dev4.yaml;
checked on the odd half): it mended 2 and 3 of the 15 confident replies that lacked what was asked,
and was added to 14 of 174 and 14 of 126 confident replies.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from bot.qa.entry import Candidate, Entry
from bot.qa.passages import sentences

RUNNER_UP_REACH = 0.3  # the runner-up's re-rank score at most this far below the winner's
RUNNER_UP_SENTENCE = 0.85  # its closest sentence at least this similar to the question
RUNNER_UP_COVERAGE = 0.7  # and it holds at least this much of the question
SAME_TEXT = 60  # characters: a sentence whose start is in the reply already is not added again


CONTINUED_WORDS = 60  # at most this much of the next passage after a passage that ends on a colon


def next_passages(entries: list[Entry]) -> dict[str, Entry]:
    """Passage id -> the passage after it under the same heading (the text goes on there)."""
    passages = [e for e in entries if e.kind == "passage"]
    return {a.id: b for a, b in itertools.pairwise(passages) if a.question == b.question}


def continued(answer: str, following: Entry | None) -> str:
    """A passage's excerpt that ends by announcing a list (":") with the start of the passage that holds the list."""
    if following is None or not answer.rstrip(" …").endswith(":"):
        return answer
    shown: list[str] = []
    for sentence in sentences(following.answer):
        if shown and sum(len(s.split()) for s in shown) + len(sentence.split()) > CONTINUED_WORDS:
            break
        shown.append(sentence)
    rest = " …" if len(shown) < len(sentences(following.answer)) else ""
    return f"{answer.rstrip(' …')} {' '.join(shown)}{rest}"


def with_runner_up(entry: Entry, best: Candidate, ranked: list[Candidate]) -> Entry:
    """The reply's entry with the closest sentence of a runner-up that answers the same question after it."""
    if not best.rerank:
        return entry
    runner = next((c for c in ranked[:2] if c.entry.id != best.entry.id), None)
    if (
        runner is None
        or not runner.rerank
        or runner.rerank < best.rerank - RUNNER_UP_REACH
        or runner.sentence < RUNNER_UP_SENTENCE
        or runner.coverage < RUNNER_UP_COVERAGE
        or not runner.closest
        or runner.closest[:SAME_TEXT] in entry.answer
    ):
        return entry
    return replace(entry, answer=f"{entry.answer}\n\nSe også ({runner.entry.source}): {runner.closest}")
