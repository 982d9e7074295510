"""BM25 scoring over numpy postings: the frequent-term rule, postings that grow with add(), and the scores against a plain sum."""

from __future__ import annotations

import math

import numpy as np

from bot.qa.bm25 import ANSWER_WEIGHT, K1, KIND_PRIOR
from bot.qa.entry import Entry
from bot.qa.index import QuestionIndex
from bot.qa.postings import PostingArrays, accumulate


def _arr(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def test_a_frequent_term_only_adds_to_documents_a_rarer_term_found() -> None:
    rare = (1, 2.0, np.asarray([3]), _arr(1.0))
    frequent = (5, 0.5, np.asarray([0, 1, 2, 3, 4]), _arr(1.0, 1.0, 1.0, 1.0, 1.0))
    scores = accumulate([rare, frequent], 6, limit=2, seed=None)
    assert scores.tolist() == [0.0, 0.0, 0.0, 2.5, 0.0, 0.0]
    # Alone (nothing rarer found anything) the frequent term scores all its documents.
    assert accumulate([frequent], 6, limit=2, seed=None).tolist() == [0.5, 0.5, 0.5, 0.5, 0.5, 0.0]
    # A seed (the entries the question field found) counts as found.
    seed = np.zeros(6, dtype=bool)
    seed[1] = True
    assert accumulate([frequent], 6, limit=2, seed=seed).tolist() == [0.0, 0.5, 0.0, 0.0, 0.0, 0.0]


def test_posting_arrays_follow_a_list_that_grows() -> None:
    postings = {"buddy": [(0, 1.5)]}
    arrays = PostingArrays(postings)
    docs, weights = arrays.get("buddy") or (None, None)
    assert docs is not None and docs.tolist() == [0] and weights.tolist() == [1.5]
    postings["buddy"].append((4, 0.5))
    docs, weights = arrays.get("buddy") or (None, None)
    assert docs is not None and docs.tolist() == [0, 4] and weights.tolist() == [1.5, 0.5]
    assert arrays.get("mentor") is None


def test_an_entry_added_after_a_query_is_scored_on_the_next() -> None:
    index = QuestionIndex().build(
        [
            Entry("a", "Hvornår er kick-off?", (), "Kick-off er i december.", "FAQ"),
            Entry("b", "Hvad er lederspejlet?", (), "Lederspejlet er feedback fra din buddy.", "FAQ"),
        ]
    )
    query = index._query("hvad er skyggepraktik")
    assert not index._group_scores(query)[0]
    index.add(Entry("c", "Hvad er skyggepraktik?", (), "I skyggepraktik ser din buddy dig lede et møde.", "FAQ"))
    query = index._query("hvad er skyggepraktik")
    curated, learned = index._group_scores(query)
    assert set(curated) == {2} and not learned
    # One phrasing and one answer: BM25 of the one term in both fields, times the FAQ prior.
    n_q, n_a = index._n_q[True], index._n_a[True]
    idf_q = math.log(1 + (n_q - 1 + 0.5) / 1.5)
    idf_a = math.log(1 + (n_a - 1 + 0.5) / 1.5)
    tf_q = index._q_postings["skyggepraktik"][0][1]
    tf_a = index._a_postings["skyggepraktik"][0][1]
    assert 0 < tf_q <= K1 + 1 and 0 < tf_a <= K1 + 1
    assert math.isclose(curated[2], (idf_q * tf_q + ANSWER_WEIGHT * idf_a * tf_a) * KIND_PRIOR["faq"])
    index.remove("c")
    assert not index._group_scores(index._query("hvad er skyggepraktik"))[0]
