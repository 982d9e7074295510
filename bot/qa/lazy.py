"""The question index built on first use: commands that answer no question never parse the FAQ or load the model."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.qa.entry import Candidate, Entry, Match
from bot.qa.index import QuestionIndex


class LazyIndex:
    """A QuestionIndex made by `build` the first time it is asked, answered or changed (thread-safe)."""

    def __init__(self, build: Callable[[], QuestionIndex]) -> None:
        self._build = build
        self._index: QuestionIndex | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """Whether the index exists yet (for tests and the start-up log)."""
        return self._index is not None

    def warm(self) -> QuestionIndex:
        """Build the index now if it is not built (the server does this at start: the first question is not slow)."""
        index = self._index
        if index is None:
            with self._lock:  # a second caller waits for the first build instead of starting its own
                if self._index is None:
                    self._index = self._build()
                index = self._index
        return index

    def answer(self, question: str) -> Match:
        """QuestionIndex.answer on the built index."""
        return self.warm().answer(question)

    def search(self, question: str, k: int = 5) -> list[Candidate]:
        """QuestionIndex.search on the built index."""
        return self.warm().search(question, k)

    def add(self, entry: Entry) -> None:
        """QuestionIndex.add on the built index."""
        self.warm().add(entry)

    def remove(self, entry_id: str) -> bool:
        """QuestionIndex.remove on the built index."""
        return self.warm().remove(entry_id)

    def get(self, entry_id: str) -> Entry | None:
        """QuestionIndex.get on the built index."""
        return self.warm().get(entry_id)

    @property
    def entries(self) -> list[Entry]:
        """Every entry answered from."""
        return self.warm().entries

    @property
    def dense(self) -> bool:
        """True when the index ranks by meaning as well as by words."""
        return self.warm().dense

    def __len__(self) -> int:
        return len(self.warm())

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self.warm()


# What the question desk answers from: the index itself (tests) or the lazy one (the server and commands).
AnyIndex = QuestionIndex | LazyIndex
