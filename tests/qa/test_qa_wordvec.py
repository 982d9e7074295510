"""The word-mean encoder (QA_DENSE_ENCODER=words): cheap question vectors, the same space as the entries, still handing off."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bot.config import REPO_ROOT
from bot.qa import dense, wordvec
from bot.qa.evaluate import evaluate_mentioned, load_mentioned
from bot.qa.index import QuestionIndex
from bot.qa.loader import content_entries, load_vector_store

CONTENT = REPO_ROOT / "content"
LABELLED = REPO_ROOT / "tests" / "qa_questions.yaml"


@pytest.fixture(scope="module")
def words_index() -> QuestionIndex:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(dense.ENCODER_SWITCH, "words")
        index = QuestionIndex().build(content_entries(CONTENT))
        yield index


def test_content_words_drop_stopwords_and_map_everyday_words() -> None:
    assert wordvec.content_words("Hvad skal jeg lave med min chef på kick-off?") == ["leder", "kick", "off"]
    assert wordvec.vocabulary(["Modul 3 og modul 4", "modul 3"]) == ["modul", "3", "4"]


def test_a_text_vector_is_the_normalised_mean_of_its_word_vectors() -> None:
    load_vector_store(CONTENT)
    v = wordvec.encode(["buddy mentor", "", "mentor buddy"])
    assert v is not None and v.shape == (3, dense.DIM) and v.dtype == np.float32
    assert abs(float(np.linalg.norm(v[0])) - 1.0) < 1e-5 and not v[1].any()  # no content word: no direction
    assert np.allclose(v[0], v[2], atol=1e-6)  # a bag of words: order does not matter
    words = dense.embed(["buddy", "mentor"], is_query=True)
    mean = words.sum(axis=0)
    assert np.allclose(v[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_a_question_vector_costs_no_model_call_and_leaves_unknown_words_out(monkeypatch: pytest.MonkeyPatch) -> None:
    load_vector_store(CONTENT)
    m = dense.model()
    assert m is not None
    calls: list[object] = []
    monkeypatch.setattr(m, "query", lambda texts: calls.append(texts))
    t0 = time.perf_counter()
    q = wordvec.encode_query("hvornår er buddymødet med min makker xqzzyv")
    assert (time.perf_counter() - t0) < 0.05 and calls == []  # LIVE_WORDS = 0: no embedding at answer time
    known = wordvec.encode_query("hvornår er buddymødet med min makker")
    assert q is not None and np.allclose(q, known)


def test_the_words_encoder_answers_the_passage_questions_and_hands_off_out_of_scope(words_index: QuestionIndex) -> None:
    assert words_index.dense and words_index.thresholds.strong_similarity > 1.0
    report = evaluate_mentioned(words_index, load_mentioned(LABELLED, "passage_in_scope", "passage_out_of_scope"))
    assert report.in_rate >= 0.7 and report.out_confident <= 1, report.summary()  # measured: 27/37, 1/13
    for question in ("Hvad koster det at deltage i Talent Nord?", "Hvordan søger jeg barsel?", "Hvem vandt fodboldkampen i går?"):
        assert not words_index.answer(question).confident, question
