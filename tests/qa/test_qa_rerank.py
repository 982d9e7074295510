"""The re-ranker and the composed replies: closest sentences, near ties settled by meaning, two-part answers, lists that go on."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.qa import dense
from bot.qa.compose import continued, next_passages, with_runner_up
from bot.qa.confidence import Thresholds
from bot.qa.entry import Candidate, Entry
from bot.qa.index import QuestionIndex
from bot.qa.loader import content_entries
from bot.qa.passages import trim_passage
from bot.qa.rerank import RERANK_DEPTH, rerank
from bot.qa.sentences import sentence_texts
from bot.qa.text import term

CONTENT = REPO_ROOT / "content"


@pytest.fixture(scope="module")
def index() -> QuestionIndex:
    return QuestionIndex().build(content_entries(CONTENT))


def _entry(name: str, answer: str = "Et svar i en hel sætning her.", kind: str = "faq") -> Entry:
    return Entry(name, f"Hvad er {name}?", (), answer, f"Kilde {name}", None, kind)


def _cand(name: str, lexical: float, similarity: float, dense_rank: int, score: float = 0.1, coverage: float = 1.0) -> Candidate:
    return Candidate(_entry(name), score, coverage, 0.3, lexical, similarity, dense_rank, 1)


def test_a_near_tie_by_words_is_settled_by_meaning_and_the_closest_sentence() -> None:
    # Reciprocal rank fusion put "a" first (best by words by a hair); "b" is far closer in meaning.
    ranked = [_cand("a", 10.5, 0.90, 3, score=0.116), _cand("b", 10.4, 0.99, 1, score=0.111), _cand("c", 4.0, 0.85, 9, score=0.08)]
    out = rerank(ranked, {"a": (0.80, "A."), "b": (0.95, "B svarer."), "c": (0.80, "C.")})
    assert [c.entry.id for c in out] == ["b", "a", "c"]
    assert out[0].closest == "B svarer." and out[0].sentence == 0.95 and out[0].rerank > out[1].rerank


def test_a_candidate_far_from_the_meaning_is_not_lifted_over_the_fused_winner() -> None:
    # "b" wins clearly by words but is not among the dense best: the fused winner stays first.
    ranked = [_cand("a", 6.0, 0.90, 2, score=0.108), _cand("b", 12.5, 0.86, 0, score=0.103)]
    out = rerank(ranked, {"a": (0.82, "A."), "b": (0.83, "B.")})
    assert out[0].entry.id == "a" and out[1].rerank > out[0].rerank


def test_only_the_head_of_the_ranking_is_re_ordered() -> None:
    ranked = [_cand(f"e{i}", 10.0 - i, 0.9, i + 1) for i in range(RERANK_DEPTH)] + [_cand("tail", 50.0, 0.99, 1)]
    assert rerank(ranked, {})[-1].entry.id == "tail"


def test_who_runs_the_kick_off_is_its_consultant_team(index: QuestionIndex) -> None:
    """By words the kick-off's participants and its team tie; by meaning the team is who 'står for' it."""
    m = index.answer("Hvem står for kick-off?")
    assert m.confident and "Torsten Conrad" in m.reply


def test_every_curated_answer_sentence_has_a_vector(index: QuestionIndex) -> None:
    passage = next(e for e in index.entries if e.kind == "passage" and len(sentence_texts(e)) > 2)
    close = index._sentences.best(dense.embed_query(sentence_texts(passage)[1]), [index._by_id[passage.id]])
    sim, sentence = close[index._by_id[passage.id]]
    assert sentence == sentence_texts(passage)[1] and sim > 0.9


def test_a_runner_up_close_behind_adds_its_closest_sentence() -> None:
    best = Candidate(_entry("lodret"), 0.1, 1.0, 0.4, 9.0, 0.9, 1, 1, sentence=0.88, closest="Lodret.", rerank=3.0)
    runner = Candidate(
        _entry("vandret", "Udvid opgaverne på samme niveau. Andet."),
        0.1,
        1.0,
        0.4,
        8.9,
        0.9,
        2,
        2,
        sentence=0.89,
        closest="Udvid opgaverne på samme niveau.",
        rerank=2.9,
    )
    composed = with_runner_up(best.entry, best, [best, runner])
    assert composed.answer == "Et svar i en hel sætning her.\n\nSe også (Kilde vandret): Udvid opgaverne på samme niveau."
    far = Candidate(runner.entry, 0.1, 1.0, 0.4, 5.0, 0.9, 2, 2, sentence=0.89, closest=runner.closest, rerank=2.0)
    assert with_runner_up(best.entry, best, [best, far]) == best.entry  # too far behind
    unlike = Candidate(runner.entry, 0.1, 1.0, 0.4, 8.9, 0.9, 2, 2, sentence=0.80, closest=runner.closest, rerank=2.9)
    assert with_runner_up(best.entry, best, [best, unlike]) == best.entry  # no sentence close to the question
    assert with_runner_up(best.entry, Candidate(best.entry, 0.1, 1.0, 0.4), [best, runner]) == best.entry  # not re-ranked


def test_both_halves_of_a_readiness_box_are_answered(index: QuestionIndex) -> None:
    """Box 1 recommends a vertical and a horizontal step, in two entries: the reply names both."""
    m = index.answer("hvad er anbefalingen for boks 1")
    assert m.confident
    assert "forfrem" in m.reply.casefold() and "opgaveportefølje" in m.reply.casefold()


def test_a_passage_that_announces_a_list_goes_on_into_the_next_one() -> None:
    first = Entry("passage:1:a", "Skyggepraktik", (), "Noget om dagen. Med skyggepraktikken får talenterne:", "P", None, "passage")
    second = Entry("passage:2:b", "Skyggepraktik", (), "Et udefra-ind perspektiv. LIVE feedback på lederskabet.", "P", None, "passage")
    other = Entry("passage:3:c", "Lederspejl", (), "Noget andet:", "P", None, "passage")
    following = next_passages([first, second, other])
    assert following == {first.id: second}  # never across headings
    shown = continued(first.answer, following.get(first.id))
    assert shown.endswith("får talenterne: Et udefra-ind perspektiv. LIVE feedback på lederskabet.")
    assert continued("Slutter med et punktum.", second) == "Slutter med et punktum."


def test_what_the_shadowing_gives_is_the_list_not_its_heading(index: QuestionIndex) -> None:
    m = index.answer("hvad er udbyttet af skyggepraktikken")
    assert m.confident and "udefra" in m.reply.casefold()


def test_without_the_model_nothing_is_re_ranked(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = content_entries(CONTENT)
    try:
        monkeypatch.setenv(dense.ENV_SWITCH, "0")
        dense.reset_for_tests()
        off = QuestionIndex().build(entries)
        assert not off._sentences
        m = off.answer("hvor mange buddymøder er der")
        assert m.confident and m.entry is not None and m.entry.id == "buddy-moeder"
        assert all(c.rerank == 0.0 for c in off.search("hvem står for kick-off", 8))
    finally:
        monkeypatch.undo()
        dense.reset_for_tests()


def test_a_trimmed_passage_keeps_the_list_its_matching_sentence_announces() -> None:
    filler = " ".join(f"Sætning nummer {n} handler om noget helt andet end spørgsmålet her i dag." for n in range(8))
    items = "• Et udefra-ind perspektiv • Live feedback • Sparring på praksis."
    text = f"{filler} Med skyggepraktikken får talenterne: {items} {filler}"
    shown = trim_passage(text, {term("skyggepraktik")})
    assert "• Et udefra-ind perspektiv • Live feedback • Sparring på praksis." in shown and shown.endswith(" …")


def test_the_closest_sentence_path_needs_the_words_the_margin_and_the_closest_sentence() -> None:
    t = Thresholds()

    def cand(coverage: float = 1.0, relative: float = 0.1, sentence: float = 0.9, lexical_rank: int = 1) -> Candidate:
        return Candidate(_entry("x"), 0.1, coverage, relative, 5.0, 0.85, 0, lexical_rank, sentence=sentence)

    assert t.closest(cand(), 0.3, 0.895)
    assert not t.closest(cand(), 0.05, 0.895)  # no clear winner by words
    assert not t.closest(cand(coverage=0.7), 0.3, 0.895)  # a word of the question is missing
    assert not t.closest(cand(sentence=0.88), 0.3, 0.9)  # another candidate has a closer sentence
    assert not t.closest(cand(lexical_rank=2), 0.3, 0.8)
    assert not t.closest(cand(sentence=0.0), 0.3, 0.0)  # not re-ranked: no sentences


def test_a_theme_named_in_one_sentence_of_a_module_is_answered(index: QuestionIndex) -> None:
    """Every word is in Modul 5's theme and it wins by words; its closest sentence is the closest of all."""
    m = index.answer("lærer vi noget om datainformeret ledelse")
    assert m.confident and "datainformeret ledelse" in m.reply.casefold() and "Modul 5" in m.reply
