"""Sentence vectors of the curated answers: the best-matching sentence of an entry, for re-ranking and for composing replies.

A passage of the programme text or a FAQ answer says several things; its one vector (bot.qa.vectors)
is the mean of them. Each sentence of a curated answer is also embedded as an e5 passage at build
(shipped in content/qa-vectors.npz, so a cold build embeds nothing), and a question is scored
against an entry by its closest sentence - a cheap late interaction over the 5-10 candidates the
fused ranking puts first (bot.qa.rerank), one matrix product per question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.qa import dense
from bot.qa.entry import Entry
from bot.qa.passages import sentences

MIN_SENTENCE_WORDS = 3  # "Ja." or a bullet label says nothing alone


def sentence_texts(entry: Entry) -> list[str]:
    """The sentences of an entry's answer that get a vector of their own."""
    return [s for s in sentences(entry.answer) if len(s.split()) >= MIN_SENTENCE_WORDS]


class SentenceVectors:
    """Per-sentence e5 vectors of curated entries, appended as entries come."""

    def __init__(self) -> None:
        self._blocks: list[Any] = []
        self._rows: list[int] = []  # row -> entry index
        self._texts: list[str] = []  # row -> sentence
        self._by_entry: dict[int, list[int]] = {}
        self._matrix: Any = None

    def __bool__(self) -> bool:
        return bool(self._rows)

    def add(self, entries: Sequence[Entry], idxs: list[int]) -> None:
        """Embed the sentences of these entries (cached per text; nothing without the e5 model)."""
        if not idxs or not dense.contextual() or dense.model() is None:
            return
        chosen = [(i, s) for i in idxs for s in sentence_texts(entries[i])]
        if not chosen:
            return
        vectors = dense.embed([s for _, s in chosen], is_query=False)
        if vectors is None:
            return
        for i, s in chosen:
            self._by_entry.setdefault(i, []).append(len(self._rows))
            self._rows.append(i)
            self._texts.append(s)
        self._blocks.append(vectors)
        self._matrix = None

    def best(self, vector: Any, idxs: Sequence[int]) -> dict[int, tuple[float, str]]:
        """(similarity, sentence) of each entry's closest sentence to a question vector; entries without sentences left out."""
        if vector is None or not self._rows:
            return {}
        import numpy as np

        if self._matrix is None:
            self._matrix = np.concatenate(self._blocks) if len(self._blocks) > 1 else self._blocks[0]
            self._blocks = [self._matrix]
        rows = [r for i in idxs for r in self._by_entry.get(i, ())]
        if not rows:
            return {}
        sims = self._matrix[rows] @ vector
        out: dict[int, tuple[float, str]] = {}
        for r, sim in zip(rows, sims.tolist(), strict=True):
            e = self._rows[r]
            if e not in out or sim > out[e][0]:
                out[e] = (sim, self._texts[r])
        return out
