"""The re-ranker of the question index: the few best curated candidates re-ordered on scores, not ranks.

Reciprocal rank fusion (bot.qa.index) keeps only the order of each ranking: two entries that tie by
words (10.52 against 10.48) are a whole rank apart, and a passage whose one sentence says exactly
what was asked ranks by the mean of all its sentences. Over the RERANK_DEPTH best of the fused
ranking, this scores each candidate by

    lexical / best lexical                                   how close it is by words
  + SIMILARITY_WEIGHT x 10 x (similarity - best similarity)  by meaning of the whole entry
  + SENTENCE_WEIGHT   x 10 x (sentence - best sentence)      by its closest sentence (bot.qa.sentences)
  + COVERAGE_WEIGHT   x coverage                             the share of the question it holds
  + FUSED_WEIGHT      x 10 x fused score                     and where the fusion put it

Chosen (p-rank) by a grid over the weights on the development sets - the tuning questions,
tests/qa_blind2.yaml and the even-numbered half of tests/qa_dev4.yaml - and checked on the odd half:
the right entry first in 119 of its 158 in-scope questions against 110 by fusion alone (tuning
162 -> 166 of 174). Never chosen on tests/qa_heldout.yaml or tests/qa_blind3.yaml.
Only applied when the question was embedded: without meaning the lexical ranking stands.
"""

from __future__ import annotations

from dataclasses import replace

from bot.qa.entry import Candidate

RERANK_DEPTH = 8
SIMILARITY_WEIGHT = 0.8
SENTENCE_WEIGHT = 0.4
COVERAGE_WEIGHT = 0.25
FUSED_WEIGHT = 2.0
LIFT_DENSE_RANK = 5  # a candidate goes first only when it is among this many best by meaning


def rerank_score(c: Candidate, best_lexical: float, best_similarity: float, best_sentence: float) -> float:
    """One candidate's re-ranking score against the best values among the candidates re-ranked."""
    return (
        c.lexical / (best_lexical or 1.0)
        + SIMILARITY_WEIGHT * 10 * (c.similarity - best_similarity)
        + SENTENCE_WEIGHT * 10 * (c.sentence - best_sentence)
        + COVERAGE_WEIGHT * c.coverage
        + FUSED_WEIGHT * 10 * c.score
    )


def rerank(ranked: list[Candidate], closest: dict[str, tuple[float, str]]) -> list[Candidate]:
    """The RERANK_DEPTH first of a fused ranking re-ordered by rerank_score (the rest as they were).

    `closest` maps entry id -> (similarity, text) of its closest sentence to the question; each
    re-ranked candidate carries them and its score (Candidate.sentence, .closest, .rerank) for the reply."""
    head = [
        replace(c, sentence=closest[c.entry.id][0], closest=closest[c.entry.id][1]) if c.entry.id in closest else c
        for c in ranked[:RERANK_DEPTH]
    ]
    if len(head) < 2:
        return head + ranked[RERANK_DEPTH:]
    best_lexical = max(c.lexical for c in head)
    best_similarity = max(c.similarity for c in head)
    best_sentence = max(c.sentence for c in head)
    head = [replace(c, rerank=rerank_score(c, best_lexical, best_similarity, best_sentence)) for c in head]
    first = head[0]
    head.sort(key=lambda c: -c.rerank)
    if head[0] is not first and not 0 < head[0].dense_rank <= LIFT_DENSE_RANK:
        # Lifted over the fused winner by words alone: the confidence rule would trust its clear
        # lexical margin, which fusion had weighed against its meaning. The fused winner stays first.
        head.remove(first)
        head.insert(0, first)
    return head + ranked[RERANK_DEPTH:]
