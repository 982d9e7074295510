"""The question index: BM25 over stemmed Danish fused with dense vectors, and a confidence rule that knows when to hand off.

Meaning (bot.qa.dense): every curated entry (FAQ, generated programme entries, materials, readiness
boxes, passages of the programme text) also has e5 vectors - its phrasings as questions, its answer
as a passage - computed at build (from content/qa-vectors.npz or the in-memory cache) and for a
learned answer when it is added. A question is ranked by BM25 and by cosine similarity; the two
rankings are fused by reciprocal rank (RRF_K, DENSE_WEIGHT, chosen on the tuning set). Without the
model (QA_DENSE=0, or it fails to load) the BM25 ranking alone is used, as before.
QA_DENSE_ENCODER=words ranks by the word-mean vectors of bot.qa.wordvec instead: no model call at
answer time (p99 under 20 ms with 10 000 learned answers), fewer questions answered right.

Learned answers: kind prior 0.9 (a curated answer of equal score wins), the same question asked
twice is one entry (newest answer, older phrasings kept), and near-duplicates are collapsed in
the ranking, so 10 000 of them cannot crowd the curated answer off the top.

The lexical half is bot.qa.bm25, the dense half bot.qa.vectors, the confidence rule
bot.qa.confidence (see `Thresholds` for the rule and how its values were chosen), learned answers
bot.qa.learned. Confidence looks at three things of the best entry:

  coverage  the share of the question's content words (IDF-weighted, so "modul" counts less
            than "barsel") that occur anywhere in the entry;
  relative  the score divided by the best score the question could get (every term matched
            with saturated tf in both fields) - comparable across short and long questions;
  margin    (best - runner-up) / best, where the runner-up is the best OTHER entry.
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from bot.qa import dense
from bot.qa.answer_types import asked_kinds, holds_asked
from bot.qa.bm25 import AnalysedQuery, Bm25Index
from bot.qa.compose import continued, next_passages, with_runner_up
from bot.qa.confidence import Thresholds
from bot.qa.entry import CURATED, KINDS, Candidate, Entry, Match, dense_texts
from bot.qa.learned import curated_first, displaced_learned, merge_answered, merge_near_duplicates, merged, question_key
from bot.qa.passages import trim_passage
from bot.qa.rerank import RERANK_DEPTH, rerank
from bot.qa.sentences import SentenceVectors
from bot.qa.text import analyse
from bot.qa.vectors import DenseVectors, query_vector

# A confident curated answer gets the best passage of the programme text after it when that passage
# is among the SUPPLEMENT_RANK best by words and by meaning and holds this much of the question.
SUPPLEMENT_RANK = 10
SUPPLEMENT_COVERAGE = 0.5
# An unsure winner gives way to a passage among the GIVE_WAY_RANK best that holds more of the question.
GIVE_WAY_RANK = 5
# Reciprocal rank fusion of the BM25 and the dense ranking: 1 / (RRF_K + rank) per ranking.
RRF_K = 10
DENSE_WEIGHT = 0.3
# With the word-mean vectors (bot.qa.wordvec, the default encoder) meaning is a weaker signal: it
# weighs less, and the two paths that trust a high similarity alone are off (Thresholds.for_words).
# Chosen on the tuning questions and tests/qa_blind2.yaml.
WORDS_DENSE_WEIGHT = 0.1
TOPIC_MISS = 0.75
# Final ranking: BM25 x (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) x coverage), over the RERANK best
# by BM25. An entry that has every content word of the question beats one that matches a
# single word very well.
COVERAGE_FLOOR = 0.35
RERANK = 40
# The dense pass is skipped when the curated best holds this much of the question and leads the
# next curated entry by this margin (and no learned answer could compete): see _needs_meaning.
# p-qa4: 0.75 / 0.2 (was 0.85 / 0.5) embeds 31 % fewer of the tuning and blind2 questions with the
# same answers on both (margins down to 0.1 changed none either; 0.2 keeps some room).
DECISIVE_COVERAGE = 0.75
DECISIVE_MARGIN = 0.2
QUERY_CACHE = 1024  # analysed questions kept per index


class QuestionIndex(Bm25Index):
    """An incremental index of entries by words and meaning; `answer()` ranks and decides whether to trust it."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        super().__init__()
        contextual = dense.contextual()
        self.thresholds = thresholds or (Thresholds() if contextual else Thresholds.for_words())
        self._dense_weight = DENSE_WEIGHT if contextual else WORDS_DENSE_WEIGHT
        # answer() may run in a worker thread (the bot keeps its event loop free) while add() runs on
        # the loop: one lock per index, kept across build()'s re-initialisation.
        self._lock: threading.RLock = getattr(self, "_lock", None) or threading.RLock()
        self._query_cache: OrderedDict[str, AnalysedQuery] = OrderedDict()  # analysis depends on the vocabulary: cleared on change
        self._vectors = DenseVectors()  # curated entries
        self._learned_vectors = DenseVectors()  # learned answers: ranked apart (see _ranked)
        self._sentences = SentenceVectors()  # curated answers' sentences, for the re-ranker (bot.qa.rerank)
        self._next_passage: dict[str, Entry] = {}  # a passage -> the next one under its heading (bot.qa.compose)

    def build(self, entries: Iterable[Entry]) -> QuestionIndex:
        """Index these entries from scratch (replaces anything indexed before)."""
        with self._lock:
            return self._build(list(entries))

    def _build(self, entries: list[Entry]) -> QuestionIndex:
        seen: set[str] = set()
        for entry in entries:
            if entry.id in seen:
                raise ValueError(f"entry id {entry.id!r} twice")
            seen.add(entry.id)
        self.__init__(self.thresholds)  # type: ignore[misc]  # re-initialise in place: callers hold this object
        entries = merge_answered(entries)
        # Pass 1: the vocabulary of plain words, so that compounds can be split in pass 2.
        analysed = []
        q_total = a_total = q_docs = a_docs = 0
        for entry in entries:
            phr = [analyse(p) for p in entry.phrasings]
            ans = analyse(f"{entry.answer} {entry.context}")
            for tokens in (*phr, ans):
                for tok in tokens:
                    self._entry_df[tok.term] += 0  # known, df counted when indexed
                    for part in tok.parts:
                        self._entry_df[part] += 0
            if entry.kind in CURATED:  # the length norm on curated texts: stable at any size of the learned memory
                q_total += sum(len(t) for t in phr)
                q_docs += len(phr)
                a_total += len(ans)
                a_docs += 1
            analysed.append((entry, phr, ans))
        if a_docs:
            self._avg_q = max(1.0, q_total / max(1, q_docs))
            self._avg_a = max(1.0, a_total / a_docs)
        # Pass 2: index.
        for entry, phr, ans in analysed:
            self._index(entry, phr, ans)
        self._next_passage = next_passages(entries)
        curated = [i for i, e in enumerate(self._entries) if e.kind in CURATED]
        self._vectors.add(self._entries, curated)
        self._sentences.add(self._entries, curated)
        # Learned answers given at build are ranked by words only (embedding 10 000 would take minutes);
        # one added live gets its vector at once.
        return self

    @property
    def dense(self) -> bool:
        """True when the index ranks by meaning as well as by words."""
        return bool(self._vectors) or bool(self._learned_vectors)

    def add(self, entry: Entry) -> None:
        """Make one more entry (e.g. an answered question) searchable at once; same id replaces."""
        with self._lock:
            self._add(entry)

    def _add(self, entry: Entry) -> None:
        self._query_cache.clear()
        if entry.id in self._by_id:
            self.remove(entry.id)
        if entry.kind == "answered":
            entry = self._merge_duplicate(entry)
        self._index(entry, [analyse(p) for p in entry.phrasings], analyse(f"{entry.answer} {entry.context}"))
        vectors = self._vectors if entry.kind in CURATED else self._learned_vectors
        vectors.add(self._entries, [len(self._entries) - 1])
        if entry.kind in CURATED:
            self._sentences.add(self._entries, [len(self._entries) - 1])

    def _merge_duplicate(self, entry: Entry) -> Entry:
        """An answered question asked before: the newer answer replaces the older, keeping its phrasing."""
        # Nearer-but-not-equal duplicates are merged at query time (_ranked).
        key = question_key(entry.question)
        idx = self._answered_keys.get(key)
        if not key or idx is None or idx in self._removed:
            return entry
        old = self._entries[idx]
        self.remove(old.id)
        return merged(entry, old)

    def remove(self, entry_id: str) -> bool:
        """Stop answering with this entry (e.g. reuse withdrawn). False if it is not indexed.

        The entry stays in the postings as a tombstone (skipped when scoring), so document
        frequencies drift a little until the next build(); rebuild e.g. nightly if many go.
        """
        with self._lock:
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

    def search(self, question: str, k: int = 5) -> list[Candidate]:
        """The k best entries with score, coverage and relative score (for tuning and hand-off)."""
        with self._lock:
            return self._ranked(self._query(question), k, question)

    def _query(self, question: str) -> AnalysedQuery:
        """The question analysed against the vocabulary, cached (a cohort asks the same few questions)."""
        cached = self._query_cache.get(question)
        if cached is None:
            cached = self._query_cache[question] = self._analyse_query(question)
            if len(self._query_cache) > QUERY_CACHE:
                self._query_cache.popitem(last=False)
        else:
            self._query_cache.move_to_end(question)
        return cached

    def _lexical(self, query: AnalysedQuery, e: int, bm25: float) -> tuple[float, float]:
        """(BM25 weighted by coverage and topic, coverage) of one entry."""
        coverage = self._coverage(query, e)
        score = bm25 * (COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * coverage)
        topic = self._entry_topic[e]
        if topic and not topic & set(query.weights):
            score *= TOPIC_MISS
        return score, coverage

    def _names_topic(self, query: AnalysedQuery, entry_id: str) -> bool:
        """True when the entry has no topic, or the question names one of its words."""
        topic = self._entry_topic[self._by_id[entry_id]]
        return not topic or bool(topic & set(query.weights))

    def _pool(self, query: AnalysedQuery, group: dict[int, float]) -> dict[int, tuple[float, float]]:
        """(lexical score, coverage) of the RERANK best of one group's BM25 scores (curated or learned)."""
        return {e: self._lexical(query, e, bm25) for e, bm25 in heapq.nlargest(RERANK, group.items(), key=lambda kv: kv[1])}

    def _needs_meaning(self, query: AnalysedQuery, scores: dict[int, float], pools: list[dict[int, tuple[float, float]]]) -> bool:
        """False when the words alone settle it: nothing could be confident, or the curated best is a clear full match.

        The question's embedding is most of an answer's time; these two cases are where the dense
        ranking cannot change the decision (values chosen on the tuning questions)."""
        t = self.thresholds
        best_cov = max((cov for pool in pools for _, cov in pool.values()), default=0.0)
        if best_cov < min(t.meaning_coverage, t.min_coverage, t.strong_coverage):
            return False  # a hand-off whatever the meaning says: every path needs this much of the words
        curated = sorted(pools[0].items(), key=lambda kv: -kv[1][0])
        asked = set(query.weights)
        if not curated:
            return True
        # A learned answer could compete: let meaning rank the learned ones - when they have vectors
        # (those given at build have none; learned and curated are weighed against each other by words).
        if self._learned_vectors and any(
            cov >= t.learned_coverage and self._own_share(e, asked) >= t.learned_coverage for e, (_, cov) in pools[1].items()
        ):
            return True
        e, (lex, cov) = curated[0]
        second = curated[1][1][0] if len(curated) > 1 else 0.0
        relative = scores.get(e, 0.0) / (query.ideal or 1.0)
        return not (cov >= DECISIVE_COVERAGE and relative >= t.sure_relative and lex > 0 and (lex - second) / lex >= DECISIVE_MARGIN)

    def _fuse(
        self,
        query: AnalysedQuery,
        scores: dict[int, float],
        pool: dict[int, tuple[float, float]],
        semantic: list[tuple[int, float]],
        use_dense: bool,
    ) -> list[Candidate]:
        """One group's candidates: BM25 and meaning fused by reciprocal rank (the lexical score alone without vectors)."""
        by_lexical = sorted(pool, key=lambda e: -pool[e][0])
        fused: dict[int, float] = defaultdict(float)
        lex_rank: dict[int, int] = {}
        for r, e in enumerate(by_lexical, start=1):
            fused[e] += 1.0 / (RRF_K + r)
            lex_rank[e] = r
        sims: dict[int, tuple[int, float]] = {}
        for r, (e, sim) in enumerate(semantic, start=1):
            fused[e] += self._dense_weight / (RRF_K + r)
            sims[e] = (r, sim)
        entries = self._entries
        asked = set(query.weights)
        ideal = query.ideal or 1.0
        out = []
        for e, f in fused.items():
            if e not in pool:
                pool[e] = self._lexical(query, e, scores.get(e, 0.0))
            lex, coverage = pool[e]
            r, sim = sims.get(e, (0, 0.0))
            own = self._own_share(e, asked) if entries[e].kind == "answered" else 1.0
            # The kind prior is in the lexical score already; it breaks ties of the fused rank.
            out.append(
                Candidate(entries[e], f if use_dense else lex, coverage, scores.get(e, 0.0) / ideal, lex, sim, r, lex_rank.get(e, 0), own)
            )
        return out

    def _ranked(self, query: AnalysedQuery, k: int, question: str = "") -> list[Candidate]:
        """Entries by BM25 and (when there are vectors) by meaning, fused by reciprocal rank.

        Curated and learned entries are ranked apart, so the curated ranking is the same with 0 or
        10 000 learned answers; a learned answer joins it only when the new question holds (nearly)
        all of the question it was written for, and yields to a curated entry close behind."""
        groups = self._group_scores(query)
        scores = {**groups[0], **groups[1]}
        pools = [self._pool(query, groups[0]), self._pool(query, groups[1])]
        vector = None
        if question and query.units and self.dense and self._needs_meaning(query, scores, pools):
            # A learned answer that the words alone make confident is reused whatever meaning says
            # (it has no vector when given at build): rank by words first, embed only when that fails.
            by_words = self._merge_groups(query, scores, pools, None, max(k, RERANK))
            if by_words and self._learned_by_words(by_words):
                return by_words[:k]
            vector = query_vector(question)
        return self._merge_groups(query, scores, pools, vector, k)

    def _learned_by_words(self, ranked: list[Candidate]) -> bool:
        """True when the best is a learned answer to (nearly) this question, confident on words alone."""
        best, t = ranked[0], self.thresholds
        if not t.fits(best):
            return False
        return t.confident(best.coverage, best.relative, self._margin(ranked)) or t.repeated(best, ranked)

    def _margin(self, ranked: list[Candidate]) -> float:
        """How far the winner is ahead of the best other entry by words; negative when meaning lifted it."""
        best = ranked[0]
        other = max((c.lexical for c in ranked[1:] if c.own >= self.thresholds.learned_coverage), default=0.0)
        return (best.lexical - other) / best.lexical if best.lexical > 0 else 0.0

    def _merge_groups(
        self, query: AnalysedQuery, scores: dict[int, float], pools: list[dict[int, tuple[float, float]]], vector: Any, k: int
    ) -> list[Candidate]:
        """Curated and learned candidates fused (with meaning when there is a vector) into one ranking."""
        use_dense = vector is not None
        curated = self._fuse(query, scores, pools[0], self._vectors.ranking(vector, self._removed), use_dense)
        learned = self._fuse(query, scores, pools[1], self._learned_vectors.ranking(vector, self._removed), use_dense)
        floor = self.thresholds.learned_coverage
        curated.sort(key=lambda c: (-c.score, -c.lexical))
        learned.sort(key=lambda c: (-c.score, -c.lexical))
        if use_dense and self._sentences:
            curated = self._rerank(curated, vector)
        fit = [c for c in learned if c.own >= floor]
        # The groups' fused scores are not comparable (learned answers given at build have no vectors):
        # the best fitting learned answer goes first when it matches the words better than the curated best.
        ranked = [fit[0], *curated, *fit[1:]] if fit and (not curated or fit[0].lexical > curated[0].lexical) else [*curated, *fit]
        curated_first(ranked)
        ranked.extend(c for c in learned if c.own < floor)
        return merge_near_duplicates(ranked, k, self._question_keys, self._by_id)

    def _rerank(self, curated: list[Candidate], vector: Any) -> list[Candidate]:
        """The best curated candidates re-ordered on their scores and closest sentences (bot.qa.rerank)."""
        head = [self._by_id[c.entry.id] for c in curated[:RERANK_DEPTH] if c.entry.id in self._by_id]
        best = self._sentences.best(vector, head)
        # An entry outside the dense ranking's pool has no similarity yet: the re-ranker needs its real one.
        sims = self._vectors.similarities(vector, [e for e, c in zip(head, curated, strict=False) if not c.similarity])
        curated = [replace(c, similarity=sims[self._by_id[c.entry.id]]) if self._by_id.get(c.entry.id) in sims else c for c in curated]
        return rerank(curated, {self._entries[e].id: found for e, found in best.items()})

    def _own_share(self, e: int, asked: set[str]) -> float:
        """The share of a learned entry's own question terms that the new question has."""
        key = self._question_keys.get(e)
        return len(key & asked) / len(key) if key else 0.0

    def answer(self, question: str) -> Match:
        """The best entry for a question and whether the bot may answer with it (thread-safe against add/remove)."""
        with self._lock:
            return self._answer(question)

    def _answer(self, question: str) -> Match:
        query = self._query(question)
        terms = tuple(query.weights)
        if not query.units:
            return Match(None, 0.0, False, 0.0, 0.0, terms=terms)
        ranked = self._ranked(query, RERANK, question)
        if not ranked:
            return Match(None, 0.0, False, 0.0, 0.0, terms=terms)
        best = ranked[0]
        runner = ranked[1] if len(ranked) > 1 else None
        runner_score = runner.score if runner else 0.0
        margin = self._margin(ranked)  # on the lexical score: what the thresholds were calibrated on
        t = self.thresholds
        confident = t.confident(best.coverage, best.relative, margin) or t.agreed(best) or t.near(best, margin) or t.repeated(best, ranked)
        if not confident and best.sentence:
            others = max((c.sentence for c in ranked[:RERANK_DEPTH] if c.entry.id != best.entry.id), default=0.0)
            confident = t.closest(best, margin, others)
        if best.entry.kind == "answered" and not t.fits(best):
            confident = False  # a learned answer is reused only for (nearly) the question it answered
        if confident and best.entry.kind == "faq" and not self._names_topic(query, best.entry.id):
            confident = False  # an entry about one thing (what Teams costs) does not answer a question naming none of it
        if not confident:
            # The winner is unsure, but a passage close behind may hold all the words and agree with
            # the meaning: the text says it where the FAQ does not.
            for c in ranked[1:GIVE_WAY_RANK]:
                if c.entry.kind == "passage" and c.coverage > best.coverage and t.agreed(c):
                    best, confident = c, True
                    break
        if not confident:
            strong = next((c for c in ranked if c.dense_rank == 1), None)
            if strong is not None and strong.entry.kind in CURATED and t.strong(strong):
                best, confident = strong, True
        entry = best.entry
        words = {t for t in terms if " " not in t}
        if entry.kind == "passage":  # show what answers, not the whole block
            entry = replace(entry, answer=continued(trim_passage(entry.answer, words), self._next_passage.get(entry.id)))
            if confident:  # a second passage that ranks close: the other side of a two-sided concept
                entry = self._with_passage(entry, [c for c in ranked if c.entry.id != best.entry.id], words)
        elif confident and entry.kind in CURATED:
            entry = self._with_passage(entry, ranked, words)
        if confident and entry.kind in CURATED:  # the other half of the answer, when a second entry holds it
            entry = with_runner_up(entry, best, ranked)
        kinds = asked_kinds(question)
        if confident and kinds and not holds_asked(kinds, best.entry, entry.answer):
            confident = False  # about the right thing, but without the phone number, address or time asked for
        if not confident:
            learned = displaced_learned(ranked, best, kinds, t)
            if learned is not None:
                best, entry, confident = learned, learned.entry, True
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
        names and numbers). Passages are ranked among themselves, by words and by meaning fused by
        reciprocal rank; the best one is added when it holds SUPPLEMENT_COVERAGE of the question."""
        passages = [c for c in ranked if c.entry.kind == "passage" and c.entry.id != entry.id and c.coverage >= SUPPLEMENT_COVERAGE]
        if not passages:
            return entry
        fused: dict[str, float] = defaultdict(float)
        for r, c in enumerate(sorted(passages, key=lambda c: -c.lexical), start=1):
            fused[c.entry.id] += 1.0 / (RRF_K + r)
        for r, c in enumerate(sorted((c for c in passages if c.similarity > 0), key=lambda c: -c.similarity), start=1):
            fused[c.entry.id] += 1.0 / (RRF_K + r)
        best = max(passages, key=lambda c: (fused[c.entry.id], c.lexical))
        excerpt = continued(trim_passage(best.entry.answer, words), self._next_passage.get(best.entry.id))
        if excerpt.strip("… ")[:60] in entry.answer:
            return entry
        return replace(entry, answer=f"{entry.answer}\n\nI programbeskrivelsen ({best.entry.question}): {excerpt}")


def build_index(entries: Iterable[Entry], thresholds: Thresholds | None = None) -> QuestionIndex:
    """A QuestionIndex over these entries."""
    return QuestionIndex(thresholds).build(entries)


__all__ = ["KINDS", "Candidate", "Entry", "Match", "QuestionIndex", "Thresholds", "build_index", "dense_texts"]
