"""The report's figures for one cohort at one moment, and how a figure is written in Danish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ROLE_NAMES_DA = {"talent": "Talent", "leader": "Nærmeste leder", "mentor": "Mentor"}
TRACK_NAMES_DA = {"common": "Fællesspor", "group": "Gruppespor", "digital": "Digitalt spor", "everyday": "Hverdagsspor"}
MEETING_NAMES_DA = {
    "buddy-meeting": "Buddy-møder",
    "leader-conversation": "Samtaler med nærmeste leder",
    "leader-group": "Møder i lederens ledergruppe",
}


@dataclass(frozen=True)
class ActivityRating:
    """Evaluations of one activity."""

    activity_key: str
    name: str
    invited: int  # evaluation cards sent
    answers: int
    mean_rating: float | None
    ratings: dict[int, int]  # 1..5 -> count
    expectations: dict[str, int]  # ja, delvist, nej -> count


@dataclass(frozen=True)
class PrepActivity:
    """Preparation engagement for one activity: per step, how many of its audience opened it."""

    activity_key: str
    name: str
    audience: int
    steps: list[tuple[str, int]]  # (step label, opened)
    who: str = "talenter"  # the audience in Danish


@dataclass(frozen=True)
class Meetings:
    """Occasions of one kind: held, due by now, planned in all (each talent's occasion once)."""

    topic: str
    name: str
    held: int
    due: int
    planned: int


@dataclass(frozen=True)
class TimeSpent:
    """Average estimated time per person in one role, against the budget."""

    role: str
    name: str
    people: int
    average: float
    budget: float
    unit: str  # "dage" or "timer"
    tracks: dict[str, float] = field(default_factory=dict)  # talents: average days per track
    track_budget: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionFigures:
    """Open questions and answer times; available is False until the questions table exists."""

    available: bool
    open: int = 0
    answered: int = 0
    median_hours: float | None = None


@dataclass(frozen=True)
class CohortReport:
    """Every figure of the report for one cohort at one moment."""

    cohort_key: str
    cohort_name: str
    generated_at: datetime
    timezone: str
    talents: int
    completed: int
    on_track: int
    not_completed: int
    finished: bool  # every required session has been held
    completion_target: float
    expectation_answers: int
    expectation_counts: dict[str, int]
    expectations_target: float
    ratings: list[ActivityRating]
    preparation: list[PrepActivity]
    meetings: list[Meetings]
    readiness: dict[tuple[str, int], int]  # (aim, box) -> talents
    not_assessed: int
    questions: QuestionFigures
    time: list[TimeSpent]
    activity_expectation_answers: int = 0  # every per-activity evaluation by talents, pooled (reported beside the criterion)
    activity_expectation_counts: dict[str, int] = field(default_factory=dict)
    unpaired: int = 0  # talents in no buddy group: they get no buddy nudges
    started: bool = True  # a required session has been held: before that, completion has no meaning

    @property
    def completion_label(self) -> str:
        """The completion figure as shown: 'ikke startet' until the first required session has passed."""
        return pct(self.completion_rate) if self.started else "ikke startet"

    @property
    def completion_good(self) -> bool:
        """Green only once the programme has started and the share meets the target."""
        rate = self.completion_rate
        return self.started and rate is not None and rate >= self.completion_target

    @property
    def completion_rate(self) -> float | None:
        """Completed (or, while the programme runs, still able to complete) as a share of the talents."""
        return (self.completed + self.on_track) / self.talents if self.talents else None

    @property
    def expectations_rate(self) -> float | None:
        """The criterion: share of the talents' final evaluations (one each, the whole programme) that say 'ja'."""
        return self.expectation_counts.get("ja", 0) / self.expectation_answers if self.expectation_answers else None

    @property
    def activity_expectations_rate(self) -> float | None:
        """Share of the talents' per-activity evaluations, pooled, that say 'ja'."""
        n = self.activity_expectation_answers
        return self.activity_expectation_counts.get("ja", 0) / n if n else None

    def readiness_box(self, box: int) -> int:
        """Talents in a box, both aims together."""
        return sum(n for (_, b), n in self.readiness.items() if b == box)


def pct(value: float | None) -> str:
    """'87 %' (Danish spacing) or '–'."""
    return "–" if value is None else f"{round(value * 100)} %"


def num(value: float | None, decimals: int = 1) -> str:
    """A Danish decimal ('2,5') or '–'."""
    return "–" if value is None else f"{value:.{decimals}f}".replace(".", ",")
