"""The dense half of the question index: one matrix of e5 vectors, rows mapped to entries, ranked by cosine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.qa import dense, wordvec
from bot.qa.entry import Entry, dense_texts

DENSE_POOL = 40  # entries kept from the dense ranking


def encode(texts: list[str], *, is_query: bool) -> Any | None:
    """Vectors of an entry's texts in the space questions are ranked in (see dense.ENCODER_SWITCH)."""
    if dense.contextual():
        return dense.embed(texts, is_query=is_query)
    return wordvec.encode(texts)  # one symmetric space: questions and passages alike


def query_vector(question: str) -> Any | None:
    """A question's vector in the same space, or None without a model."""
    return dense.embed_query(question) if dense.contextual() else wordvec.encode_query(question)


class DenseVectors:
    """Vectors of the index's entries (appended as entries come) and the ranking of a question against them."""

    def __init__(self) -> None:
        self._rows: list[int] = []
        self._blocks: list[Any] = []
        self._matrix: Any = None
        self._row_entries: Any = None
        self._by_entry: dict[int, list[int]] | None = None  # entry -> its rows, built with the matrix

    def __bool__(self) -> bool:
        return self._matrix is not None or bool(self._blocks)

    def add(self, entries: Sequence[Entry], idxs: list[int]) -> None:
        """Vectors for these entries (cached per text, so a rebuild of the same content is cheap)."""
        if not idxs or dense.model() is None:
            return
        import numpy as np

        texts: list[tuple[int, str, bool]] = []
        for i in idxs:
            texts.extend((i, t, q) for t, q in dense_texts(entries[i]))
        for is_query in (False, True):
            chosen = [(i, t) for i, t, q in texts if q == is_query]
            if not chosen:
                continue
            vectors = encode([t for _, t in chosen], is_query=is_query)
            if vectors is None:
                return
            self._blocks.append(np.asarray(vectors, dtype=np.float32))
            self._rows.extend(i for i, _ in chosen)
        self._matrix = None  # concatenated on the next query
        self._by_entry = None

    def similarities(self, vector: Any, idxs: Sequence[int]) -> dict[int, float]:
        """The cosine similarity of these entries to a question vector (best vector per entry), outside the ranking's pool too."""
        if not self._blocks or vector is None:
            return {}
        self._concatenated()
        wanted = set(idxs)
        by_entry = self._by_entry or {}
        rows = [r for i in wanted for r in by_entry.get(i, ())]
        out: dict[int, float] = {}
        for r, sim in zip(rows, (self._matrix[rows] @ vector).tolist(), strict=True):
            e = self._rows[r]
            out[e] = max(out.get(e, -1.0), sim)
        return out

    def _concatenated(self) -> None:
        import numpy as np

        if self._matrix is None:
            self._matrix = np.concatenate(self._blocks) if len(self._blocks) > 1 else self._blocks[0]
            self._blocks = [self._matrix]
            self._row_entries = np.asarray(self._rows, dtype=np.int64)
            self._by_entry = {}
            for r, e in enumerate(self._rows):
                self._by_entry.setdefault(e, []).append(r)

    def ranking(self, vector: Any, removed: set[int]) -> list[tuple[int, float]]:
        """Entries by cosine similarity to a question vector (best vector per entry), best first."""
        if not self._blocks or vector is None:
            return []
        import numpy as np

        self._concatenated()
        sims = self._matrix @ vector
        k = min(len(sims), DENSE_POOL * 4)
        top = np.argpartition(-sims, k - 1)[:k]
        best: dict[int, float] = {}
        for r in top[np.argsort(-sims[top])]:
            e = int(self._row_entries[r])
            if e not in best and e not in removed:
                best[e] = float(sims[r])
                if len(best) >= DENSE_POOL:
                    break
        return list(best.items())
