"""What the question index holds and returns: Entry, Candidate, Match (and what of an entry is embedded)."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("faq", "programme", "material", "passage", "answered")
CURATED = frozenset({"faq", "programme", "material", "passage"})


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
    own: float = 1.0  # a learned entry: the share of ITS question's words the new question has (1 for curated)
    sentence: float = 0.0  # cosine similarity of the entry's closest sentence to the question (bot.qa.sentences; 0 if not re-ranked)
    closest: str = ""  # that sentence
    rerank: float = 0.0  # the re-ranker's score (bot.qa.rerank; 0 if not re-ranked)


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


def dense_texts(entry: Entry) -> list[tuple[str, bool]]:
    """What is embedded for an entry, as (text, is_query): its phrasings as questions and its answer as a passage.

    Questions are compared with questions in e5's symmetric 'query:' space; the answer text in
    the 'passage:' space, where a paraphrase that shares no phrasing still finds it."""
    if entry.kind == "passage":
        return [(f"{entry.question}: {entry.answer}", False)]
    if entry.kind == "answered":
        return [(entry.question, True)]
    return [(f"{entry.question} {entry.answer}", False), *((p, True) for p in entry.phrasings)]
