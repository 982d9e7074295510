"""The question index: BM25 over stemmed Danish fused with dense vectors, and a confidence rule that knows when to hand off.

Meaning (bot.qa.dense): every curated entry (FAQ, generated programme entries, materials, readiness
boxes, passages of the programme text) also has e5 vectors - its phrasings as questions, its answer
as a passage - computed at build (from content/qa-vectors.npz or the in-memory cache) and for a
learned answer when it is added. A question is ranked by BM25 and by cosine similarity; the two
rankings are fused by reciprocal rank (RRF_K, DENSE_WEIGHT, chosen on the tuning set). Without the
model (QA_DENSE=0, or it fails to load) the BM25 ranking alone is used, as before.

Learned answers: kind prior 0.9 (a curated answer of equal score wins), the same question asked
twice is one entry (newest answer, older phrasings kept), and near-duplicates are collapsed in
the ranking, so 10 000 of them cannot crowd the curated answer off the top.

What is indexed
---------------
Every `Entry` is one answer with the ways people ask for it: the FAQ (content/faq.yaml), entries
generated from the programme (each activity's purpose, participants, duration, content, outcome,
practical preparation, day 1/day 2), the digital-track materials, the readiness boxes, and every
question an instructor answered and allowed to reuse (`add`).

Two fields per entry, both BM25 (k1 = 1.2, b = 0.75) over the terms of `bot.qa.text`:

  questions  the canonical question and each alternative phrasing is its own short document;
             an entry scores by its BEST phrasing (phrasings of one entry don't add up, so an
             entry with five paraphrases is not favoured over one with two);
  answer     the answer (plus `context`, indexed but not shown) as one document per entry,
             weighted lower (ANSWER_WEIGHT), because answers talk about much more than what
             they answer.

Adjacent content terms also go in as bigrams ("nærmest led", "modul 3"), scored at
BIGRAM_WEIGHT, so "samtale med nærmeste leder" prefers the entry that says exactly that.
Words the index has never seen are split into known parts when they are compounds
("mentorsamtaler" -> mentor + samtal) and otherwise matched to a known term one or two typing
errors away ("skygepraktik" -> skyggepraktik), at a discount.

Speed: an inverted index (term -> postings of (document, precomputed BM25 tf weight)); a query
touches only the postings of its own terms. The length normalisation uses the average lengths
at `build()` time, so `add()` only appends postings (no rebuild); IDF is always current.

Confidence
----------
Ranking alone cannot say "I don't know": BM25 scores of in-scope and out-of-scope questions
overlap. `answer()` therefore looks at three things of the best entry:

  coverage  the share of the question's content words (IDF-weighted, so "modul" counts less
            than "barsel") that occur anywhere in the entry;
  relative  the score divided by the best score the question could get (every term matched
            with saturated tf in both fields) - comparable across short and long questions;
  margin    (best - runner-up) / best, where the runner-up is the best OTHER entry.

See `Thresholds` for the rule and for how its values were chosen.
"""
from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any, Iterable

from bot.qa import dense
from bot.qa.text import COMPOUND_PARTS, STOPWORDS, Token, analyse, term

KINDS = ("faq", "programme", "material", "passage", "answered")

K1 = 1.2
B = 0.75
ANSWER_WEIGHT = 0.35  # answer field relative to the best question phrasing
BIGRAM_WEIGHT = 0.5  # a matched bigram relative to a matched unigram
PART_WEIGHT = 0.5  # each part of a split compound
FUZZY_WEIGHT = 0.7  # a term matched through a typo
# Kind priors: FAQ answers are written as answers; generated programme texts are long; an
# instructor's answer is as good as the FAQ.
# Learned (answered) answers rank below the curated ones of equal score: 10 000 of them must not
# push a FAQ answer off the top with a near-duplicate phrasing.
KIND_PRIOR = {"faq": 1.0, "answered": 0.9, "programme": 0.92, "material": 0.9, "passage": 0.85}
# A confident curated answer gets the best passage of the programme text after it when that passage
# is among the SUPPLEMENT_RANK best by words and by meaning and holds this much of the question.
SUPPLEMENT_RANK = 5
SUPPLEMENT_COVERAGE = 0.5
# A learned answer at the top gives way to a curated entry among the next CURATED_REACH whose
# coverage is at most CURATED_SLACK lower: the programme's own answer first.
CURATED_REACH = 5
CURATED_SLACK = 0.05
CURATED = frozenset({"faq", "programme", "material", "passage"})
# Reciprocal rank fusion of the BM25 and the dense ranking: 1 / (RRF_K + rank) per ranking.
RRF_K = 10
DENSE_WEIGHT = 0.3
DENSE_POOL = 40
# Two answered questions with these many of their terms in common are one question asked twice.
DUPLICATE_JACCARD = 0.8
TOPIC_MISS = 0.75
FREQUENT_SHARE = 0.03  # see _scores
FREQUENT_MIN = 300
# Final ranking: BM25 x (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) x coverage), over the RERANK best
# by BM25. An entry that has every content word of the question beats one that matches a
# single word very well.
COVERAGE_FLOOR = 0.35
RERANK = 40
DEFAULT_AVG_QUESTION_LEN = 6.0
DEFAULT_AVG_ANSWER_LEN = 40.0


@dataclass(frozen=True)
class Entry:
    """One answer and the questions it answers."""

    id: str
    question: str
    alternatives: tuple[str, ...] = ()
    answer: str = ""
    source: str = ""
    activity: str | None = None
    kind: str = "faq"  # faq | programme | material | answered
    context: str = ""  # indexed with the answer, never shown
    # What a generated entry is specifically about ("Modul 3 Talentledelse"); when a question
    # names none of it, the entry is scored down (TOPIC_MISS): "Hvem deltager?" alone should
    # not be answered with one activity's participants, nor a generic question with one box.
    topic: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if not isinstance(self.alternatives, tuple):
            object.__setattr__(self, "alternatives", tuple(self.alternatives))

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternatives)


@dataclass(frozen=True)
class Thresholds:
    """The confidence rule. An answer is confident when

        coverage >= min_coverage  and  relative >= min_relative
        and ( margin >= min_margin                                  -- a clear winner
              or (coverage >= sure_coverage and relative >= sure_relative) )  -- or a full match

    The second path accepts a near tie when the best entry matches (almost) every content word
    of the question strongly: that is the case of two entries that both answer it (the FAQ entry
    and the programme text about the same activity), where a margin rule alone would hand off a
    question the bot can answer. Margin alone is no guard against out-of-scope questions: a
    question that shares one word with the programme ("vegetarmad på internatet") has ONE clear
    winner (margin 0.86). Coverage is what separates them.

    How the values were chosen (tests/qa_questions.yaml, tuning questions; `bench/qa.py --sweep`
    lists the grid): the out-of-scope questions reach coverage 0.52 at most, except one
    ("hvor mange deltagere er der på holdet", 0.63, a question about the programme that the
    description does not answer), while two thirds of the in-scope ones are at 0.6 or more.
    Among the settings that keep out-of-scope confidence at or below 5 %, these answer 95 of
    119 in-scope questions confidently with 1 wrong on the content-only index, and 91 with 4
    wrong (not counting synthetic answers that won) on an index with 10 000 answered
    questions; lower coverage/relative bars answer 3-8 more but double the wrong ones. We
    prefer a hand-off to a wrong answer: an instructor answers within hours, a wrong answer
    misleads.
      min_coverage  0.60  at least 60 % of what was asked (IDF-weighted) is in the entry
      min_relative  0.25  the match is not a weak one for a long question
      min_margin    0.10  the winner is 10 % ahead of the next entry ...
      sure_coverage 0.85 / sure_relative 0.40  ... or it matches nearly all of the question well
    """

    min_coverage: float = 0.60
    min_relative: float = 0.25
    min_margin: float = 0.10
    sure_coverage: float = 0.85
    sure_relative: float = 0.40

    def confident(self, coverage: float, relative: float, margin: float) -> bool:
        if coverage < self.min_coverage or relative < self.min_relative:
            return False
        return margin >= self.min_margin or (coverage >= self.sure_coverage and relative >= self.sure_relative)

    # Two paths that need the dense ranking to agree (chosen on the tuning questions, including the
    # passage questions of tests/qa_questions.yaml; never on tests/qa_heldout.yaml):
    #   words    nearly every content word of the question is in the entry, the entry is (near) the
    #            lexical best and among the dense best: a low `relative` then only means the entry
    #            is long (a passage), not that the match is weak. No out-of-scope tuning question
    #            reaches coverage 0.7.
    #   meaning  the dense best is (near) the lexical best, very similar, and has half the words:
    #            a paraphrase in other words than the text's.
    # A learned answer was written for one person's question: reuse it only when the new question
    # has (nearly) all of that question's words; otherwise the instructors answer again.
    learned_coverage: float = 0.75
    agree_coverage: float = 0.8
    agree_relative: float = 0.05
    agree_dense_rank: int = 5
    meaning_coverage: float = 0.45
    meaning_similarity: float = 0.935
    agree_lexical_rank: int = 2

    def agreed(self, c: "Candidate") -> bool:
        """True when words and meaning agree on the winner strongly enough to answer without a clear BM25 margin."""
        if not 0 < c.lexical_rank <= self.agree_lexical_rank or c.dense_rank == 0:
            return False
        words = c.coverage >= self.agree_coverage and c.relative >= self.agree_relative and c.dense_rank <= self.agree_dense_rank
        meaning = c.dense_rank == 1 and c.similarity >= self.meaning_similarity and c.coverage >= self.meaning_coverage
        return words or meaning


@dataclass(frozen=True)
class Candidate:
    """One ranked entry with the features the confidence rule looks at."""

    entry: Entry
    score: float  # the ranking score (BM25 weighted by coverage and topic)
    coverage: float
    relative: float  # raw BM25 / the best BM25 the question could get
    lexical: float = 0.0  # BM25 weighted by coverage and topic (the score before fusion)
    similarity: float = 0.0  # cosine similarity to the question (0 without dense vectors)
    dense_rank: int = 0  # 1 = the dense ranking's best; 0 = not among its best
    lexical_rank: int = 0  # 1 = the lexical ranking's best; 0 = not among its best


@dataclass(frozen=True)
class Match:
    """The answer to one question: the best entry (or None) and whether to trust it."""

    entry: Entry | None
    score: float
    confident: bool
    runner_up_score: float
    coverage: float
    relative: float = 0.0
    margin: float = 0.0
    runner_up: Entry | None = None
    terms: tuple[str, ...] = ()

    @property
    def reply(self) -> str:
        """The Danish reply for a confident match: the answer and its source ('' otherwise)."""
        if not self.confident or self.entry is None:
            return ""
        return f"{self.entry.answer}\n\nFra: {self.entry.source}"


@dataclass
class _Query:
    """A question analysed against the vocabulary: weighted terms and the units for coverage."""

    weights: dict[str, float]  # term -> query weight (unigram, part, fuzzy or bigram)
    units: list[tuple[float, tuple[tuple[str, ...], ...]]]  # (idf weight, ways to match it)
    ideal: float  # best achievable score (for `relative`)


def _bigrams(tokens: list[Token]) -> list[str]:
    return [f"{a.term} {b.term}" for a, b in zip(tokens, tokens[1:])]


def _damerau(a: str, b: str, limit: int) -> int:
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


class QuestionIndex:
    """An incremental BM25 index of entries; `answer()` ranks and decides whether to trust it."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._entries: list[Entry] = []
        self._by_id: dict[str, int] = {}
        self._removed: set[int] = set()
        self._entry_terms: list[frozenset[str]] = []
        self._entry_topic: list[frozenset[str]] = []
        # question field: one document per phrasing
        self._q_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._q_doc_entry: list[int] = []
        self._q_forward: list[dict[str, float]] = []  # doc -> term -> tf weight
        # answer field: one document per entry
        self._a_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        # Learned answers have postings of their own, with their own document frequencies: BM25 of
        # the curated entries is the same with 0 or 10 000 learned answers in the index.
        self._lq_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._la_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._n_q = {True: 0, False: 0}  # phrasing documents, curated / learned
        self._n_a = {True: 0, False: 0}  # entries, curated / learned
        self._a_forward: list[dict[str, float]] = []  # entry -> term -> tf weight
        self._avg_q = DEFAULT_AVG_QUESTION_LEN
        self._avg_a = DEFAULT_AVG_ANSWER_LEN
        # vocabulary of unigram terms: entry frequency (for coverage weights, splitting, typos)
        self._entry_df: dict[str, int] = defaultdict(int)
        self._deletes: dict[str, set[str]] = defaultdict(set)
        self._split_cache: dict[str, tuple[str, ...]] = {}
        self._parts_vocab: set[str] = {term(p) for p in COMPOUND_PARTS}
        # dense vectors: rows of one matrix, each row belonging to one entry
        self._vec_rows: list[int] = []
        self._vec_blocks: list[Any] = []
        self._matrix: Any = None
        self._rows: Any = None
        self._answered_keys: dict[frozenset[str], int] = {}  # question terms -> entry (duplicates)
        self._question_keys: dict[int, frozenset[str]] = {}  # answered entry -> its question's terms
        # Coverage weighs a question's words by their rarity in the CURATED content only, so that
        # 10 000 learned answers ("modul", "leder" everywhere) do not change what counts as the
        # point of a question.
        self._curated_df: dict[str, int] = defaultdict(int)
        self._n_curated = 0

    # ------------------------------------------------------------------ building

    def build(self, entries: Iterable[Entry]) -> "QuestionIndex":
        """Index these entries from scratch (replaces anything indexed before)."""
        entries = list(entries)
        seen: set[str] = set()
        for entry in entries:
            if entry.id in seen:
                raise ValueError(f"entry id {entry.id!r} twice")
            seen.add(entry.id)
        self.__init__(self.thresholds)  # type: ignore[misc]
        entries = _merge_answered(entries)
        # Pass 1: the vocabulary of plain words, so that compounds can be split in pass 2.
        analysed = []
        q_total = a_total = q_docs = 0
        for entry in entries:
            phr = [analyse(p) for p in entry.phrasings]
            ans = analyse(f"{entry.answer} {entry.context}")
            for tokens in (*phr, ans):
                for tok in tokens:
                    self._entry_df[tok.term] += 0  # known, df counted when indexed
                    for part in tok.parts:
                        self._entry_df[part] += 0
            q_total += sum(len(t) for t in phr)
            q_docs += len(phr)
            a_total += len(ans)
            analysed.append((entry, phr, ans))
        if entries:
            self._avg_q = max(1.0, q_total / max(1, q_docs))
            self._avg_a = max(1.0, a_total / len(entries))
        # Pass 2: index.
        for entry, phr, ans in analysed:
            self._index(entry, phr, ans)
        self._embed([i for i, e in enumerate(self._entries) if e.kind in CURATED])
        return self

    @property
    def dense(self) -> bool:
        """True when the index ranks by meaning as well as by words."""
        return self._matrix is not None or bool(self._vec_blocks)

    def _embed(self, idxs: list[int]) -> None:
        """Vectors for these entries (cached per text, so a rebuild of the same content is cheap)."""
        if not idxs or dense.model() is None:
            return
        import numpy as np

        texts: list[tuple[int, str, bool]] = []
        for i in idxs:
            texts.extend((i, t, q) for t, q in dense_texts(self._entries[i]))
        for is_query in (False, True):
            chosen = [(i, t) for i, t, q in texts if q == is_query]
            if not chosen:
                continue
            vectors = dense.embed([t for _, t in chosen], is_query=is_query)
            if vectors is None:
                return
            self._vec_blocks.append(np.asarray(vectors, dtype=np.float32))
            self._vec_rows.extend(i for i, _ in chosen)
        self._matrix = None  # concatenated on the next query

    def _dense_ranking(self, question: str) -> list[tuple[int, float]]:
        """Entries by cosine similarity to the question (best vector per entry), best first."""
        if not self._vec_blocks:
            return []
        import numpy as np

        if self._matrix is None:
            self._matrix = np.concatenate(self._vec_blocks) if len(self._vec_blocks) > 1 else self._vec_blocks[0]
            self._vec_blocks = [self._matrix]
            self._rows = np.asarray(self._vec_rows, dtype=np.int64)
        v = dense.embed_query(question)
        if v is None:
            return []
        sims = self._matrix @ v
        k = min(len(sims), DENSE_POOL * 4)
        top = np.argpartition(-sims, k - 1)[:k]
        best: dict[int, float] = {}
        for r in top[np.argsort(-sims[top])]:
            e = int(self._rows[r])
            if e not in best and e not in self._removed:
                best[e] = float(sims[r])
                if len(best) >= DENSE_POOL:
                    break
        return list(best.items())

    def add(self, entry: Entry) -> None:
        """Make one more entry (e.g. an answered question) searchable at once; same id replaces."""
        if entry.id in self._by_id:
            self.remove(entry.id)
        if entry.kind == "answered":
            entry = self._merge_duplicate(entry)
        self._index(entry, [analyse(p) for p in entry.phrasings], analyse(f"{entry.answer} {entry.context}"))
        self._embed([len(self._entries) - 1])

    def _merge_duplicate(self, entry: Entry) -> Entry:
        """An answered question asked before: the newer answer replaces the older, keeping its phrasing."""
        # Same content terms (inflection, word order, stopwords and synonyms aside) = same question.
        # Nearer-but-not-equal duplicates are merged at query time (_ranked).
        key = frozenset(t.term for t in analyse(entry.question))
        idx = self._answered_keys.get(key)
        if not key or idx is None or idx in self._removed:
            return entry
        old = self._entries[idx]
        self.remove(old.id)
        alts = tuple(dict.fromkeys(p for p in (*entry.alternatives, *old.phrasings) if p != entry.question))
        return Entry(entry.id, entry.question, alts[:8], entry.answer, entry.source, entry.activity,
                     entry.kind, entry.context, entry.topic)

    def remove(self, entry_id: str) -> bool:
        """Stop answering with this entry (e.g. reuse withdrawn). False if it is not indexed.

        The entry stays in the postings as a tombstone (skipped when scoring), so document
        frequencies drift a little until the next build(); rebuild e.g. nightly if many go.
        """
        idx = self._by_id.pop(entry_id, None)
        if idx is None:
            return False
        self._removed.add(idx)
        return True

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def get(self, entry_id: str) -> Entry | None:
        idx = self._by_id.get(entry_id)
        return None if idx is None else self._entries[idx]

    @property
    def entries(self) -> list[Entry]:
        return [self._entries[i] for i in sorted(self._by_id.values())]

    def _expand(self, tokens: list[Token]) -> list[Token]:
        """Tokens with the parts of joined compounds filled in from the vocabulary."""
        out = []
        for tok in tokens:
            if not tok.parts and len(tok.surface) >= 7:
                parts = self._split(tok.surface)
                if parts:
                    tok = Token(tok.term, parts, tok.surface, hyphenated=False)
            out.append(tok)
        return out

    def _index(self, entry: Entry, phrasings: list[list[Token]], answer: list[Token]) -> None:
        """Post one analysed entry (its first phrasing is its question)."""
        idx = len(self._entries)
        self._entries.append(entry)
        self._by_id[entry.id] = idx
        if entry.kind == "answered":
            key = frozenset(t.term for t in phrasings[0])
            self._answered_keys[key] = idx
            self._question_keys[idx] = key
        all_terms: set[str] = set()
        curated = entry.kind in CURATED
        q_postings, a_postings = (self._q_postings, self._a_postings) if curated else (self._lq_postings, self._la_postings)
        for tokens in phrasings:
            tokens = self._expand(tokens)
            doc = len(self._q_doc_entry)
            self._q_doc_entry.append(idx)
            self._q_forward.append(self._post(q_postings, doc, tokens, self._avg_q))
            all_terms.update(self._unigrams(tokens))
        self._n_q[curated] += len(phrasings)
        self._n_a[curated] += 1
        answer = self._expand(answer)
        self._a_forward.append(self._post(a_postings, idx, answer, self._avg_a))
        all_terms.update(self._unigrams(answer))
        self._entry_terms.append(frozenset(all_terms))
        self._entry_topic.append(frozenset(t.term for t in analyse(entry.topic)) if entry.topic else frozenset())
        for t in all_terms:
            if self._entry_df.get(t, 0) == 0 and len(t) >= 5 and not t.isdigit():
                self._add_deletes(t)
            self._entry_df[t] += 1
            if entry.kind in CURATED:
                self._curated_df[t] += 1
        self._n_curated += entry.kind in CURATED

    @staticmethod
    def _unigrams(tokens: list[Token]) -> set[str]:
        out: set[str] = set()
        for tok in tokens:
            out.add(tok.term)
            out.update(tok.parts)
        return out

    @staticmethod
    def _post(postings: dict[str, list[tuple[int, float]]], doc: int, tokens: list[Token], avg: float) -> dict[str, float]:
        counts: dict[str, float] = defaultdict(float)
        for tok in tokens:
            counts[tok.term] += 1.0
            # pieces of a hyphenated word count fully ("buddy-møder" is "buddy møder");
            # parts found by splitting a joined compound count less
            w = 1.0 if tok.hyphenated else PART_WEIGHT
            for part in tok.parts:
                if part != tok.term:
                    counts[part] += w
        for bigram in _bigrams(tokens):
            counts[bigram] += 1.0
        length = len(tokens)
        norm = K1 * (1 - B + B * length / avg)
        weights = {t: tf * (K1 + 1) / (tf + norm) for t, tf in counts.items()}
        for t, w in weights.items():
            postings[t].append((doc, w))
        return weights

    def _add_deletes(self, t: str) -> None:
        self._deletes[t].add(t)
        for i in range(len(t)):
            self._deletes[t[:i] + t[i + 1:]].add(t)

    # ------------------------------------------------------------------ query side

    def _known(self, t: str) -> bool:
        return self._entry_df.get(t, 0) > 0 or t in self._q_postings or t in self._lq_postings

    def _split(self, surface: str) -> tuple[str, ...]:
        """Split a joined compound into two known terms ("mentorsamtale" -> mentor, samtal)."""
        cached = self._split_cache.get(surface)
        if cached is not None:
            return cached
        result: tuple[str, ...] = ()
        n = len(surface)
        for i in range(n - 3, 3, -1):  # longest first part first
            head, rest = surface[:i], surface[i:]
            if head in STOPWORDS:
                continue
            th = term(head)
            if len(th) < 3 or th.isdigit() or (th not in self._entry_df and th not in self._parts_vocab):
                continue
            for tail in (rest, rest[1:] if rest[0] in "se" and len(rest) > 4 else ""):
                if len(tail) < 3 or tail in STOPWORDS:
                    continue
                tt = term(tail)
                if len(tt) >= 3 and not tt.isdigit() and (tt in self._entry_df or tt in self._parts_vocab):
                    result = (th, tt)
                    break
            if result:
                break
        if len(self._split_cache) < 500_000:
            self._split_cache[surface] = result
        return result

    def _fuzzy(self, t: str) -> list[str]:
        """Known terms one (two for long words) typing errors away, closest and commonest first."""
        if len(t) < 5 or t.isdigit():
            return []
        limit = 2 if len(t) >= 9 else 1
        cands: set[str] = set(self._deletes.get(t, ()))
        for i in range(len(t)):
            d = t[:i] + t[i + 1:]
            if self._entry_df.get(d, 0) > 0:
                cands.add(d)
            cands.update(self._deletes.get(d, ()))
        scored = []
        for c in cands:
            if c == t or self._entry_df.get(c, 0) == 0:
                continue
            dist = _damerau(t, c, limit)
            if dist <= limit:
                scored.append((dist, -self._entry_df[c], c))
        scored.sort()
        if not scored:
            return []
        best = scored[0][0]
        return [c for d, _, c in scored if d == best][:2]

    def _idf(self, df: int, n: int) -> float:
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _analyse_query(self, question: str) -> _Query:
        tokens = analyse(question)
        n_entries = max(1, len(self._entries))
        n_curated = max(1, self._n_curated)
        weights: dict[str, float] = {}
        units: list[tuple[float, tuple[tuple[str, ...], ...]]] = []
        seen_units: set[str] = set()
        plain: list[Token] = []  # the tokens as matched (for bigrams)
        for tok in tokens:
            ways: list[tuple[str, ...]] = []
            main = tok.term
            parts = tok.parts
            if not parts and len(tok.surface) >= 7 and not self._known(main):
                parts = self._split(tok.surface)
            if self._known(main):
                weights[main] = max(weights.get(main, 0.0), 1.0)
                ways.append((main,))
                plain.append(Token(main))
            elif not parts:
                fuzzy = self._fuzzy(main)
                for f in fuzzy:
                    weights[f] = max(weights.get(f, 0.0), FUZZY_WEIGHT)
                    ways.append((f,))
                plain.append(Token(fuzzy[0] if fuzzy else main))
            else:
                plain.append(Token(main))
            if parts:
                known_parts = tuple(p for p in parts if self._known(p))
                for p in known_parts:
                    weights[p] = max(weights.get(p, 0.0), PART_WEIGHT if self._known(main) else 0.8)
                if known_parts and len(known_parts) == len(parts):
                    ways.append(known_parts)
            if main in seen_units:
                continue
            seen_units.add(main)
            df = self._curated_df.get(main, 0)
            if df == 0 and ways:  # matched via parts or a typo: weigh it like what it matched
                df = min(self._curated_df.get(w, 0) for w in ways[0]) or 0
            units.append((self._idf(df, n_curated), tuple(ways)))
        for bigram in _bigrams(plain):
            if (bigram in self._q_postings or bigram in self._a_postings or bigram in self._lq_postings
                    or bigram in self._la_postings):
                weights[bigram] = BIGRAM_WEIGHT
        ideal = 0.0
        # the ideal on the curated statistics: `relative` must not drift with the learned memory
        n_docs, n_entries = max(1, self._n_q[True]), max(1, self._n_a[True])
        for t, w in weights.items():
            if " " in t:
                continue
            ideal += w * (K1 + 1) * (self._idf(len(self._q_postings.get(t, ())), n_docs)
                                     + ANSWER_WEIGHT * self._idf(len(self._a_postings.get(t, ())), n_entries))
        # Words nobody has used in the index count towards the ideal as rare words would.
        for idf, ways in units:
            if not ways:
                ideal += (K1 + 1) * (idf + ANSWER_WEIGHT * idf)
        return _Query(weights, units, ideal)

    def _scores(self, query: _Query) -> dict[int, float]:
        """BM25 per entry: best phrasing + weighted answer field, times the kind prior.

        Term at a time over the postings of the question's rarer terms; a term in more than
        FREQUENT_SHARE of the documents ("modul", "leder" among 10 000 answers) is only added to
        the documents the rarer terms already found, through the forward index. Its IDF is low,
        so it can re-order candidates but hardly make one, and its long postings list is
        what would make a query slow.
        """
        entry_scores: dict[int, float] = {}
        doc_entry = self._q_doc_entry
        # Curated entries are scored on curated statistics alone (stable at any size of the learned
        # memory); learned ones on all statistics (a word common in the FAQ is common for them too).
        n_q, n_a = self._n_q[True] + self._n_q[False], self._n_a[True] + self._n_a[False]
        groups = ((True, self._q_postings, self._a_postings, None, None, self._n_q[True], self._n_a[True]),
                  (False, self._lq_postings, self._la_postings, self._q_postings, self._a_postings, n_q, n_a))
        for curated, qp, ap, q_base, a_base, n_docs, n_entries in groups:
            if not self._n_a[curated]:
                continue
            doc_scores = self._accumulate(query, qp, self._q_forward, max(1, n_docs), 1.0, base=q_base)
            group: dict[int, float] = {}
            for doc, sc in doc_scores.items():
                e = doc_entry[doc]
                if sc > group.get(e, 0.0):
                    group[e] = sc
            answer_scores = self._accumulate(query, ap, self._a_forward, max(1, n_entries), ANSWER_WEIGHT,
                                             seed=group, base=a_base)
            for e, sc in answer_scores.items():
                group[e] = group.get(e, 0.0) + sc
            entry_scores.update(group)
        removed = self._removed
        entries = self._entries
        return {e: sc * KIND_PRIOR[entries[e].kind] for e, sc in entry_scores.items() if e not in removed}

    def _accumulate(
        self,
        query: _Query,
        postings: dict[str, list[tuple[int, float]]],
        forward: list[dict[str, float]],
        n: int,
        field_weight: float,
        seed: dict[int, float] | None = None,
        base: dict[str, list[tuple[int, float]]] | None = None,
    ) -> dict[int, float]:
        terms = []
        for t, w in query.weights.items():
            plist = postings.get(t)
            if plist:
                df = len(plist) + (len(base.get(t, ())) if base is not None else 0)
                terms.append((len(plist), t, field_weight * w * self._idf(df, n), plist))
        if not terms:
            return {}
        terms.sort()
        limit = max(FREQUENT_MIN, FREQUENT_SHARE * n)
        scores: dict[int, float] = {}
        if seed:
            scores = dict.fromkeys(seed, 0.0)
        get = scores.get
        rest = []
        for i, (df, t, wi, plist) in enumerate(terms):
            if df > limit and (scores or i > 0):
                rest.append((t, wi))
                continue
            for doc, tfw in plist:
                scores[doc] = get(doc, 0.0) + wi * tfw
        for t, wi in rest:
            for doc in scores:
                v = forward[doc].get(t)
                if v:
                    scores[doc] += wi * v
        return {d: v for d, v in scores.items() if v > 0.0}

    def _coverage(self, query: _Query, e: int) -> float:
        total = matched = 0.0
        terms = self._entry_terms[e]
        for idf, ways in query.units:
            total += idf
            for i, way in enumerate(ways):
                if all(t in terms for t in way):
                    # an exact term counts fully; a typo or split compound nearly so
                    exact = i == 0 and len(way) == 1 and way[0] in query.weights and query.weights[way[0]] >= 1.0
                    matched += idf if exact else idf * 0.9
                    break
        return matched / total if total else 0.0

    def search(self, question: str, k: int = 5) -> list[Candidate]:
        """The k best entries with score, coverage and relative score (for tuning and hand-off)."""
        query = self._analyse_query(question)
        return self._ranked(query, k, question)

    def _lexical(self, query: _Query, e: int, bm25: float) -> tuple[float, float]:
        """(BM25 weighted by coverage and topic, coverage) of one entry."""
        coverage = self._coverage(query, e)
        score = bm25 * (COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * coverage)
        topic = self._entry_topic[e]
        if topic and not topic & set(query.weights):
            score *= TOPIC_MISS
        return score, coverage

    def _ranked(self, query: _Query, k: int, question: str = "") -> list[Candidate]:
        """Entries by BM25 and (when there are vectors) by meaning, fused by reciprocal rank."""
        scores = self._scores(query)
        pool = heapq.nlargest(RERANK, scores.items(), key=lambda kv: kv[1])
        ideal = query.ideal or 1.0
        lexical: dict[int, tuple[float, float]] = {e: self._lexical(query, e, bm25) for e, bm25 in pool}
        by_lexical = sorted(lexical, key=lambda e: -lexical[e][0])
        semantic = self._dense_ranking(question) if question and query.units else []
        if not by_lexical and not semantic:
            return []
        fused: dict[int, float] = defaultdict(float)
        lex_rank: dict[int, int] = {}
        for r, e in enumerate(by_lexical, start=1):
            fused[e] += 1.0 / (RRF_K + r)
            lex_rank[e] = r
        sims: dict[int, tuple[int, float]] = {}
        for r, (e, sim) in enumerate(semantic, start=1):
            fused[e] += DENSE_WEIGHT / (RRF_K + r)
            sims[e] = (r, sim)
        entries = self._entries
        ranked = []
        for e, f in fused.items():
            if e not in lexical:
                lexical[e] = self._lexical(query, e, scores.get(e, 0.0))
            lex, coverage = lexical[e]
            r, sim = sims.get(e, (0, 0.0))
            # Without vectors the lexical score is the ranking, as before; with them, the fused rank
            # (ties broken by the lexical score). The kind prior is in the lexical score already.
            score = f if semantic else lex
            ranked.append(Candidate(entries[e], score, coverage, scores.get(e, 0.0) / ideal, lex, sim, r,
                                    lex_rank.get(e, 0)))
        ranked.sort(key=lambda c: (-c.score, -c.lexical))
        _curated_first(ranked)
        return _merge_near_duplicates(ranked, k, self._question_keys, self._by_id)

    def answer(self, question: str) -> Match:
        """The best entry for a question and whether the bot may answer with it."""
        query = self._analyse_query(question)
        terms = tuple(query.weights)
        if not query.units:
            return Match(None, 0.0, False, 0.0, 0.0, terms=terms)
        ranked = self._ranked(query, RERANK, question)
        if not ranked:
            return Match(None, 0.0, False, 0.0, 0.0, terms=terms)
        best = ranked[0]
        runner = ranked[1] if len(ranked) > 1 else None
        runner_score = runner.score if runner else 0.0
        # The margin is on the lexical score (what the thresholds were calibrated on): how far the
        # winner is ahead of the best other entry by words; negative when meaning lifted it.
        other = max((c.lexical for c in ranked[1:]), default=0.0)
        margin = (best.lexical - other) / best.lexical if best.lexical > 0 else 0.0
        confident = self.thresholds.confident(best.coverage, best.relative, margin) or self.thresholds.agreed(best)
        if best.entry.kind == "answered" and best.coverage < self.thresholds.learned_coverage:
            confident = False  # a learned answer is reused only for (nearly) the question it answered
        if not confident:
            # The winner is unsure, but a passage close behind may hold all the words and agree with
            # the meaning: the text says it where the FAQ does not.
            for c in ranked[1:SUPPLEMENT_RANK]:
                if c.entry.kind == "passage" and c.coverage > best.coverage and self.thresholds.agreed(c):
                    best, confident = c, True
                    break
        entry = best.entry
        words = {t for t in terms if " " not in t}
        if entry.kind == "passage":  # show what answers, not the whole block
            from bot.qa.passages import trim_passage

            entry = replace(entry, answer=trim_passage(entry.answer, words))
        elif confident and entry.kind in CURATED:
            entry = self._with_passage(entry, ranked, words)
        return Match(
            entry=entry,
            score=best.score,
            confident=confident,
            runner_up_score=runner_score,
            coverage=best.coverage,
            relative=best.relative,
            margin=margin,
            runner_up=runner.entry if runner else None,
            terms=terms,
        )


    def _with_passage(self, entry: Entry, ranked: list[Candidate], words: set[str]) -> Entry:
        """A curated answer with the programme text's passage on the same question after it, when one ranks close.

        The FAQ sums up; the description says it in full (both sides of a two-sided concept, the
        names and numbers). The passage must rank near the top by words or by meaning and hold
        half of the question's words."""
        from bot.qa.passages import trim_passage

        for c in ranked[:SUPPLEMENT_RANK]:
            if (c.entry.kind == "passage" and (0 < c.dense_rank <= SUPPLEMENT_RANK or 0 < c.lexical_rank <= SUPPLEMENT_RANK)
                    and c.coverage >= SUPPLEMENT_COVERAGE):
                excerpt = trim_passage(c.entry.answer, words)
                if excerpt[:60] in entry.answer:
                    return entry
                return replace(entry, answer=f"{entry.answer}\n\nI programbeskrivelsen ({c.entry.question}): {excerpt}")
        return entry


def _curated_first(ranked: list[Candidate]) -> None:
    """A learned answer on top yields to a curated entry close behind that holds as much of the question."""
    if not ranked or ranked[0].entry.kind != "answered":
        return
    top = ranked[0]
    for i, c in enumerate(ranked[1:CURATED_REACH + 1], start=1):
        if c.entry.kind in CURATED and c.coverage >= top.coverage - CURATED_SLACK:
            ranked.insert(0, ranked.pop(i))
            return


def _merge_near_duplicates(ranked: list[Candidate], k: int, keys: dict[int, frozenset[str]],
                           by_id: dict[str, int]) -> list[Candidate]:
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


def _merge_answered(entries: list[Entry]) -> list[Entry]:
    """Answered questions that are the same question (same content terms): the last one, with the others' phrasings."""
    by_key: dict[frozenset[str], int] = {}
    out: list[Entry] = []
    for entry in entries:
        if entry.kind != "answered":
            out.append(entry)
            continue
        key = frozenset(t.term for t in analyse(entry.question))
        i = by_key.get(key) if key else None
        if i is None:
            by_key[key] = len(out)
            out.append(entry)
            continue
        old = out[i]
        alts = tuple(dict.fromkeys(p for p in (*entry.alternatives, *old.phrasings) if p != entry.question))
        out[i] = Entry(entry.id, entry.question, alts[:8], entry.answer, entry.source, entry.activity,
                       entry.kind, entry.context, entry.topic)
    return out


def dense_texts(entry: Entry) -> list[tuple[str, bool]]:
    """What is embedded for an entry, as (text, is_query): its phrasings as questions and its answer as a passage.

    Questions are compared with questions in e5's symmetric 'query:' space; the answer text in
    the 'passage:' space, where a paraphrase that shares no phrasing still finds it."""
    if entry.kind == "passage":
        return [(f"{entry.question}: {entry.answer}", False)]
    if entry.kind == "answered":
        return [(entry.question, True)]
    return [(f"{entry.question} {entry.answer}", False), *((p, True) for p in entry.phrasings)]


def build_index(entries: Iterable[Entry], thresholds: Thresholds | None = None) -> QuestionIndex:
    """A QuestionIndex over these entries."""
    return QuestionIndex(thresholds).build(entries)


__all__ = ["Candidate", "Entry", "KINDS", "Match", "QuestionIndex", "Thresholds", "build_index"]
