"""BM25 postings as numpy arrays: each term's (documents, tf weights), scored term at a time without a Python loop per document."""

from __future__ import annotations

from typing import Any

import numpy as np

Posting = list[tuple[int, float]]


class PostingArrays:
    """Array copies of one field's postings lists, extended (not rebuilt) when a list has grown since."""

    def __init__(self, postings: dict[str, Posting]) -> None:
        self._postings = postings
        self._cache: dict[str, tuple[int, Any, Any]] = {}

    def get(self, t: str) -> tuple[Any, Any] | None:
        """(int64 documents, float64 tf weights) of a term, or None when no document has it."""
        plist = self._postings.get(t)
        if not plist:
            return None
        hit = self._cache.get(t)
        if hit is None or hit[0] != len(plist):
            start = hit[0] if hit is not None else 0
            # add() only appends postings: convert the new tail and join it to what was converted before
            docs = np.fromiter((d for d, _ in plist[start:]), dtype=np.int64, count=len(plist) - start)
            weights = np.fromiter((w for _, w in plist[start:]), dtype=np.float64, count=len(plist) - start)
            if hit is not None:
                docs, weights = np.concatenate((hit[1], docs)), np.concatenate((hit[2], weights))
            hit = self._cache[t] = (len(plist), docs, weights)
        return hit[1], hit[2]


class Growing:
    """A numpy copy of a list that only grows (document -> entry, entry -> kind prior), refreshed when it has."""

    def __init__(self, values: list[Any], dtype: Any) -> None:
        self._values = values
        self._dtype = dtype
        self._array: Any = np.zeros(0, dtype=dtype)

    def array(self) -> Any:
        """The list as an array, as long as the list is now."""
        if len(self._array) != len(self._values):
            self._array = np.asarray(self._values, dtype=self._dtype)
        return self._array


def accumulate(terms: list[tuple[int, float, Any, Any]], size: int, limit: float, seed: Any | None) -> Any:
    """Scores of `size` documents from (df, query weight x idf, documents, tf weights), rarest term first.

    A term in more than `limit` documents only adds to documents a rarer term (or the seed) found
    already: its IDF is low, so it can re-order candidates but hardly make one."""
    scores = np.zeros(size)
    found = seed.copy() if seed is not None else np.zeros(size, dtype=bool)
    seeded = seed is not None
    frequent = []
    for i, (df, wi, docs, weights) in enumerate(terms):
        if df > limit and (seeded or i > 0):
            frequent.append((wi, docs, weights))
            continue
        scores[docs] += wi * weights  # a document is once in a term's postings: no repeated index
        found[docs] = True
    for wi, docs, weights in frequent:
        hit = found[docs]
        scores[docs[hit]] += wi * weights[hit]
    return scores
