"""Typing errors in questions: known words a letter or two away (symmetric delete), and words typed without æøå."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable

FUZZY_MIN_LEN = 5  # shorter words have too many neighbours one typo away
SURFACE_FUZZY_MIN_LEN = 6  # the same on a word as written (inflected words are longer)
# A long unknown stem that a known term begins with is that term with its ending mistyped
# ("parathedskriterne" stems to parathedskrit: parathedskriteri). Shorter stems begin too many words.
PREFIX_MIN_LEN = 10
PREFIX_MAX_EXTRA = 4  # letters the known term may have beyond the stem
# Keyboards without æøå: "aa" is the old spelling of "å", "oe" and "ae" the usual stand-ins.
FOLDED = {"aa": "å", "oe": "ø", "ae": "æ"}


def damerau(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, stopping early above limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
            best = min(best, cur[j])
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def unfold(word: str) -> str | None:
    """The word with aa/oe/ae read as å/ø/æ, or None when it has none of them."""
    if not any(f in word for f in FOLDED):
        return None
    for folded, letter in FOLDED.items():
        word = word.replace(folded, letter)
    return word


def swapped(t: str, frequency: Callable[[str], int]) -> list[str]:
    """Known words that are t with two neighbouring letters swapped after the first ("nrod" -> nord, "cehf" -> chef).

    A four-letter word has too many neighbours one deletion or substitution away, but few one swap away.
    """
    found = [c for i in range(1, len(t) - 1) if (c := t[:i] + t[i + 1] + t[i] + t[i + 2 :]) != t and frequency(c) > 0]
    return sorted(dict.fromkeys(found), key=lambda c: -frequency(c))[:2]


class DeleteIndex:
    """Words by their one-letter deletions, for finding the known words close to a typo."""

    def __init__(self) -> None:
        self._deletes: dict[str, set[str]] = defaultdict(set)
        self._sorted: list[str] = []  # the words in order, for extending(); rebuilt when words were added
        self._added = 0

    def add(self, word: str) -> None:
        if word not in self._deletes[word]:
            self._added += 1
        self._deletes[word].add(word)
        for i in range(len(word)):
            self._deletes[word[:i] + word[i + 1 :]].add(word)

    def close(self, t: str, frequency: Callable[[str], int]) -> list[str]:
        """Known words (frequency > 0) one (two for long words) typing errors from t, closest and commonest first."""
        if t.isdigit():
            return []
        if len(t) == FUZZY_MIN_LEN - 1:
            return swapped(t, frequency)
        if len(t) < FUZZY_MIN_LEN:
            return []
        limit = 2 if len(t) >= 9 else 1
        cands: set[str] = set(self._deletes.get(t, ()))
        for i in range(len(t)):
            d = t[:i] + t[i + 1 :]
            if frequency(d) > 0:
                cands.add(d)
            cands.update(self._deletes.get(d, ()))
        scored = []
        for c in cands:
            if c == t or frequency(c) == 0:
                continue
            dist = damerau(t, c, limit)
            if dist <= limit:
                scored.append((dist, -frequency(c), c))
        scored.sort()
        if not scored:
            return []
        best = scored[0][0]
        return [c for d, _, c in scored if d == best][:2]

    def extending(self, t: str, frequency: Callable[[str], int]) -> list[str]:
        """Known words that begin with a long t and are at most PREFIX_MAX_EXTRA letters longer, commonest first."""
        if len(t) < PREFIX_MIN_LEN:
            return []
        if self._added:
            self._sorted = sorted(w for w, group in self._deletes.items() if w in group)
            self._added = 0
        found = []
        for w in self._sorted[bisect.bisect_left(self._sorted, t) :]:
            if not w.startswith(t):
                break
            if w != t and len(w) - len(t) <= PREFIX_MAX_EXTRA and frequency(w) > 0:
                found.append(w)
        return sorted(found, key=lambda w: -frequency(w))[:2]
