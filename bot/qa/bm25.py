"""BM25 over stemmed Danish for the question index: postings, query analysis (compounds, typos), coverage.

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
errors away ("skygepraktik" -> skyggepraktik), at a discount: on the stem, else on the word as
written against the curated words ("lederspejelt" -> lederspejlet). A word typed without æøå
("laering", "paa") is read as the word it stands for when that is known or a stopword.

Speed: an inverted index (term -> postings of (document, precomputed BM25 tf weight)), scored as
numpy arrays (bot.qa.postings); a query touches only the postings of its own terms. The length normalisation uses the average lengths
at `build()` time, so `add()` only appends postings (no rebuild); IDF is always current.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bot.qa.entry import CURATED, Entry
from bot.qa.postings import Growing, Posting, PostingArrays, accumulate
from bot.qa.text import COMPOUND_PARTS, STOPWORDS, SYNONYMS, Token, analyse, term
from bot.qa.typos import FUZZY_MIN_LEN, SURFACE_FUZZY_MIN_LEN, DeleteIndex, swapped, unfold

K1 = 1.2
B = 0.75
ANSWER_WEIGHT = 0.35  # answer field relative to the best question phrasing
BIGRAM_WEIGHT = 0.5  # a matched bigram relative to a matched unigram
PART_WEIGHT = 0.5  # each part of a split compound
FUZZY_WEIGHT = 0.7  # a term matched through a typo
PARTIAL_CREDIT = 0.5  # coverage of a split compound of which only some parts match
# A split whose shortest part has fewer letters is tried as a typo first: "talenstrategi" (tal +
# strategi) is talentstrategi, "deltger" (delt + ger) deltager. _split itself accepts parts of 3.
SURE_PART_LEN = 4
# Kind priors: FAQ answers are written as answers; generated programme texts are long; an
# instructor's answer is as good as the FAQ.
# Learned (answered) answers rank below the curated ones of equal score: 10 000 of them must not
# push a FAQ answer off the top with a near-duplicate phrasing.
KIND_PRIOR = {"faq": 1.0, "answered": 0.9, "programme": 0.92, "material": 0.9, "passage": 0.85}
FREQUENT_SHARE = 0.03  # see _scores
FREQUENT_MIN = 300
DEFAULT_AVG_QUESTION_LEN = 6.0
DEFAULT_AVG_ANSWER_LEN = 40.0


@dataclass
class AnalysedQuery:
    """A question analysed against the vocabulary: weighted terms and the units for coverage."""

    weights: dict[str, float]  # term -> query weight (unigram, part, fuzzy or bigram)
    units: list[tuple[float, tuple[tuple[str, ...], ...]]]  # (idf weight, ways to match it)
    ideal: float  # best achievable score (for `relative`)


def _bigrams(tokens: list[Token]) -> list[str]:
    return [f"{a.term} {b.term}" for a, b in itertools.pairwise(tokens)]


class Bm25Index:
    """The lexical half of the question index: an incremental BM25 over two fields, curated and learned apart."""

    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._by_id: dict[str, int] = {}
        self._removed: set[int] = set()
        self._entry_terms: list[frozenset[str]] = []
        self._entry_topic: list[frozenset[str]] = []
        # question field: one document per phrasing
        self._q_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._q_doc_entry: list[int] = []
        # answer field: one document per entry
        self._a_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        # Learned answers have postings of their own, with their own document frequencies: BM25 of
        # the curated entries is the same with 0 or 10 000 learned answers in the index.
        self._lq_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._la_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        # array copies of the four postings, each extended as its lists grow (bot.qa.postings)
        self._q_arrays, self._a_arrays = PostingArrays(self._q_postings), PostingArrays(self._a_postings)
        self._lq_arrays, self._la_arrays = PostingArrays(self._lq_postings), PostingArrays(self._la_postings)
        self._doc_entry_array = Growing(self._q_doc_entry, np.int64)
        self._priors: list[float] = []  # entry -> its kind prior
        self._prior_array = Growing(self._priors, np.float64)
        self._n_q = {True: 0, False: 0}  # phrasing documents, curated / learned
        self._n_a = {True: 0, False: 0}  # entries, curated / learned
        self._avg_q = DEFAULT_AVG_QUESTION_LEN
        self._avg_a = DEFAULT_AVG_ANSWER_LEN
        # vocabulary of unigram terms: entry frequency (for coverage weights, splitting, typos)
        self._entry_df: dict[str, int] = defaultdict(int)
        self._typos = DeleteIndex()  # the terms
        # curated words as written (normalised), with their terms: a typo is often clearer on the
        # word than on its stem ("skyggepraktig" stems to "skyggeprak", far from "skyggepraktik")
        self._surface_term: dict[str, str] = {}
        self._surface_typos = DeleteIndex()
        # the synonym table's words count as written too: "obligatorsk" is "obligatorisk" (krav), "overnating" "overnatning"
        self._add_surfaces([Token(term(w), (), w) for w in SYNONYMS if w.isalpha()])
        self._split_cache: dict[str, tuple[str, ...]] = {}
        self._parts_vocab: set[str] = {term(p) for p in COMPOUND_PARTS}
        self._answered_keys: dict[frozenset[str], int] = {}  # question terms -> entry (duplicates)
        self._question_keys: dict[int, frozenset[str]] = {}  # answered entry -> its question's terms
        # Coverage weighs a question's words by their rarity in the CURATED content only, so that
        # 10 000 learned answers ("modul", "leder" everywhere) do not change what counts as the
        # point of a question.
        self._curated_df: dict[str, int] = defaultdict(int)
        self._n_curated = 0

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
        self._priors.append(KIND_PRIOR[entry.kind])
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
            self._post(q_postings, doc, tokens, self._avg_q)
            all_terms.update(self._unigrams(tokens))
        self._n_q[curated] += len(phrasings)
        self._n_a[curated] += 1
        answer = self._expand(answer)
        if curated:
            for tokens in (*phrasings, answer):
                self._add_surfaces(tokens)
        self._post(a_postings, idx, answer, self._avg_a)
        all_terms.update(self._unigrams(answer))
        self._entry_terms.append(frozenset(all_terms))
        self._entry_topic.append(frozenset(t.term for t in analyse(entry.topic)) if entry.topic else frozenset())
        for t in all_terms:
            if self._entry_df.get(t, 0) == 0 and len(t) >= 5 and not t.isdigit():
                self._typos.add(t)
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
            if tok.hyphenated:  # "buddy-møderne" is also asked as "buddy møderne": its pieces' pair is a bigram too
                for a, b in itertools.pairwise(tok.parts):
                    counts[f"{a} {b}"] += 1.0
        for bigram in _bigrams(tokens):
            counts[bigram] += 1.0
        length = len(tokens)
        norm = K1 * (1 - B + B * length / avg)
        weights = {t: tf * (K1 + 1) / (tf + norm) for t, tf in counts.items()}
        for t, w in weights.items():
            postings[t].append((doc, w))
        return weights

    def _add_surfaces(self, tokens: list[Token]) -> None:
        for tok in tokens:
            w = tok.surface
            if len(w) >= FUZZY_MIN_LEN and w not in self._surface_term and not w.isdigit():
                self._surface_term[w] = tok.term
                self._surface_typos.add(w)

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
            tt = self._tail(rest)
            if tt is not None:
                result = (th, tt)
                break
        if len(self._split_cache) < 500_000:
            self._split_cache[surface] = result
        return result

    def _split_typo(self, surface: str) -> tuple[str, ...]:
        """A joined compound with a typo in its first part: a known tail and a head one typo from a known word."""
        n = len(surface)
        for i in range(n - 3, SURFACE_FUZZY_MIN_LEN - 1, -1):  # longest first part first
            head, tt = surface[:i], self._tail(surface[i:])
            if tt is not None:
                heads = self._fuzzy(term(head), head)
                if heads:
                    return (heads[0], tt)
        return ()

    def _tail(self, rest: str) -> str | None:
        """The known term the rest of a joined word stands for, with or without a linking s or e; None if none."""
        for tail in (rest, rest[1:] if rest[0] in "se" and len(rest) > 4 else ""):
            if len(tail) < 3 or tail in STOPWORDS:
                continue
            tt = term(tail)
            if len(tt) >= 3 and not tt.isdigit() and (tt in self._entry_df or tt in self._parts_vocab):
                return tt
        return None

    def _fuzzy(self, t: str, surface: str = "") -> list[str]:
        """Known terms one (two for long words) typing errors away: on the stem, else on the word as written."""
        found = self._typos.close(t, lambda c: self._entry_df.get(c, 0)) or self._typos.extending(t, lambda c: self._entry_df.get(c, 0))
        if not found and len(surface) == FUZZY_MIN_LEN - 1:  # "cehf": chef is known only as a synonym of leder
            return list(dict.fromkeys(term(w) for w in swapped(surface, lambda c: int(self._known(term(c))))))
        if found or len(surface) < SURFACE_FUZZY_MIN_LEN:
            return found
        # a typo is seldom in the first letter, and short words have many neighbours ("logge" -> "ligge")
        words = [w for w in self._surface_typos.close(surface, lambda c: int(c in self._surface_term)) if w[0] == surface[0]]
        return [t for t in dict.fromkeys(self._surface_term[w] for w in words) if self._known(t)][:2]

    def _unfolded(self, tok: Token) -> Token | None:
        """An unknown word typed without æøå ("laering", "paa") as the word it stands for; None for a stopword."""
        w = None if tok.parts else unfold(tok.surface)
        if w is None:
            return tok
        if w in STOPWORDS:
            return None
        t = term(w)
        # only when the word then makes sense: "maetrialer" is a typo of "materialer", not "mætrialer"
        parts = self._split(w) if len(w) >= 7 else ()
        if self._known(t) or (parts and all(self._known(p) for p in parts)):
            return Token(t, (), w)
        return tok

    def _idf(self, df: int, n: int) -> float:
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _analyse_query(self, question: str) -> AnalysedQuery:
        tokens = analyse(question)
        n_entries = max(1, len(self._entries))
        n_curated = max(1, self._n_curated)
        weights: dict[str, float] = {}
        units: list[tuple[float, tuple[tuple[str, ...], ...]]] = []
        seen_units: set[str] = set()
        plain: list[Token] = []  # the tokens as matched (for bigrams)
        for tok in tokens:
            if not self._known(tok.term):
                folded = self._unfolded(tok)
                if folded is None:
                    continue  # "paa", "gaar": a stopword typed without æøå
                tok = folded
            ways: list[tuple[str, ...]] = []
            main = tok.term
            parts = tok.parts
            if not parts and len(tok.surface) >= 7 and not self._known(main):
                parts = self._split(tok.surface)
            if self._known(main):
                weights[main] = max(weights.get(main, 0.0), 1.0)
                ways.append((main,))
                plain.append(Token(main))
            elif not parts or (not tok.parts and (not all(self._known(p) for p in parts) or min(map(len, parts)) < SURE_PART_LEN)):
                # a typo in a long word often splits into a known head and an unknown tail, or into
                # a part of three letters (SURE_PART_LEN): the typo wins
                fuzzy = self._fuzzy(main, tok.surface)
                if fuzzy:
                    parts = ()
                elif not tok.parts and len(tok.surface) >= 9:
                    parts = self._split_typo(tok.surface) or parts  # "inovationsmodulet", "grupesporet"
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
            if bigram in self._q_postings or bigram in self._a_postings or bigram in self._lq_postings or bigram in self._la_postings:
                weights[bigram] = BIGRAM_WEIGHT
        ideal = 0.0
        # the ideal on the curated statistics: `relative` must not drift with the learned memory
        n_docs, n_entries = max(1, self._n_q[True]), max(1, self._n_a[True])
        for t, w in weights.items():
            if " " in t:
                continue
            ideal += (
                w
                * (K1 + 1)
                * (
                    self._idf(len(self._q_postings.get(t, ())), n_docs)
                    + ANSWER_WEIGHT * self._idf(len(self._a_postings.get(t, ())), n_entries)
                )
            )
        # Words nobody has used in the index count towards the ideal as rare words would.
        for idf, unit_ways in units:
            if not unit_ways:
                ideal += (K1 + 1) * (idf + ANSWER_WEIGHT * idf)
        return AnalysedQuery(weights, units, ideal)

    def _scores(self, query: AnalysedQuery) -> dict[int, float]:
        """BM25 per entry, curated and learned together (see _group_scores)."""
        curated, learned = self._group_scores(query)
        return {**curated, **learned}

    def _group_scores(self, query: AnalysedQuery) -> tuple[dict[int, float], dict[int, float]]:
        """BM25 per entry of each group (curated, learned): best phrasing + weighted answer field, times the kind prior.

        Term at a time over numpy postings (bot.qa.postings) of the question's rarer terms; a term
        in more than FREQUENT_SHARE of the documents ("modul", "leder" among 10 000 answers) is
        only added to the documents the rarer terms already found. Its IDF is low, so it can
        re-order candidates but hardly make one, and its long postings list is what would make a
        query slow. Entries in index order.
        """
        # Curated entries are scored on curated statistics alone (stable at any size of the learned
        # memory); learned ones on all statistics (a word common in the FAQ is common for them too).
        n_q, n_a = self._n_q[True] + self._n_q[False], self._n_a[True] + self._n_a[False]
        groups = (
            (True, self._q_arrays, self._a_arrays, None, None, self._n_q[True], self._n_a[True]),
            (False, self._lq_arrays, self._la_arrays, self._q_postings, self._a_postings, n_q, n_a),
        )
        n_entries = len(self._entries)
        out: list[dict[int, float]] = []
        for curated, qp, ap, q_base, a_base, n_docs, n_group in groups:
            if not self._n_a[curated]:
                out.append({})
                continue
            docs = self._accumulate(query, qp, len(self._q_doc_entry), max(1, n_docs), 1.0, None, q_base)
            hit = np.flatnonzero(docs > 0.0)
            best = np.zeros(n_entries)
            np.maximum.at(best, self._doc_entry_array.array()[hit], docs[hit])  # an entry scores by its best phrasing
            seed = best > 0.0
            answers = self._accumulate(query, ap, n_entries, max(1, n_group), ANSWER_WEIGHT, seed if seed.any() else None, a_base)
            total = best + answers
            if self._removed:
                total[list(self._removed)] = 0.0
            idx = np.flatnonzero(total > 0.0)
            out.append(dict(zip(idx.tolist(), (total[idx] * self._prior_array.array()[idx]).tolist(), strict=True)))
        return out[0], out[1]

    def _accumulate(
        self,
        query: AnalysedQuery,
        arrays: PostingArrays,
        size: int,
        n: int,
        field_weight: float,
        seed: np.ndarray | None,
        base: dict[str, Posting] | None,
    ) -> np.ndarray:
        """One field's scores of its `size` documents (a dense array; 0 where nothing matched)."""
        terms = []
        for t, w in query.weights.items():
            found = arrays.get(t)
            if found is not None:
                df = len(found[0]) + (len(base.get(t, ())) if base is not None else 0)
                terms.append((len(found[0]), t, field_weight * w * self._idf(df, n), *found))
        terms.sort(key=lambda x: (x[0], x[1]))
        limit = max(FREQUENT_MIN, FREQUENT_SHARE * n)
        return accumulate([(df, wi, d, tw) for df, _, wi, d, tw in terms], size, limit, seed)

    def _coverage(self, query: AnalysedQuery, e: int) -> float:
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
            else:
                # a split compound with only some parts in the entry ("mentorordningen" against
                # "mentorkorps"): the share of parts it has, at PARTIAL_CREDIT
                best = max((sum(t in terms for t in way) / len(way) for way in ways if len(way) > 1), default=0.0)
                matched += idf * PARTIAL_CREDIT * best
        return matched / total if total else 0.0
