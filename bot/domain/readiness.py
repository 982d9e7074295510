"""The readiness criteria (parathedskriterier) after module 6: six boxes and their recommendations.

The Danish texts are the programme description's, word for word; only the hyphenation that the
PDF extraction left inside words ("ledelses-niveau", "om-råde") is joined up again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from bot.domain.calendar import Session
from bot.domain.nudges import Occasion, occasion_moment
from bot.domain.plan import PlanItem, plan_key

AIMS = ("vertical", "horizontal")
TASKS = ("stretch", "simple")  # next level / advanced on own level, or relatively simple on own level
PERFORMANCES = ("exceptional", "satisfactory", "not-yet")
BOXES = (1, 2, 3, 4, 5, 6)

AIM_NAMES_DA = {
    "vertical": "Vertikal ledelsesudvikling",
    "horizontal": "Horisontal ledelsesudvikling",
}
AIM_HINTS_DA = {
    "vertical": "mod næste ledelsesniveau i ledelseskæden",
    "horizontal": "bredere eller mere komplekse opgaver på samme ledelsesniveau",
}
PERFORMANCE_NAMES_DA = {
    "exceptional": "Exceptionel præstation",
    "satisfactory": "Fyldestgørende præstation",
    "not-yet": "Ikke fyldestgørende præstation på nuværende tidspunkt",
}
# The rows of the model: what the talent works with, as the description words it per aim.
TASK_NAMES_DA = {
    ("vertical", "stretch"): "Arbejder med opgaver fra næste ledelsesniveau",
    ("horizontal", "stretch"): "Arbejder med avancerede opgaver på eget ledelsesniveau",
    ("vertical", "simple"): "Arbejder med forholdsvist simple opgaver på eget ledelsesniveau",
    ("horizontal", "simple"): "Arbejder med forholdsvist simple opgaver på eget ledelsesniveau",
}

# What each box says about the talent, per aim (boxes 4-6 are the same for both aims).
_DESCRIPTIONS: dict[tuple[int, str], str] = {
    (1, "vertical"): "Talentet løser opgaver på næste ledelsesniveau exceptionelt.",
    (2, "vertical"): "Talentet løser opgaver på næste ledelsesniveau tilfredsstillende.",
    (3, "vertical"): "Talentet arbejder med opgaver på næste ledelsesniveau, men løser ikke disse fyldestgørende.",
    (1, "horizontal"): "Talentet løser avancerede opgaver på eget ledelsesniveau exceptionelt.",
    (2, "horizontal"): "Talentet løser avancerede opgaver på eget ledelsesniveau fyldestgørende.",
    (3, "horizontal"): "Talentet arbejder med avancerede opgaver på eget ledelsesniveau, men løser ikke disse fyldestgørende.",
    (4, "either"): "Talentet løser forholdsvist simple opgaver på eget ledelsesniveau exceptionelt.",
    (5, "either"): "Talentet løser forholdsvist simple opgaver på eget ledelsesniveau fyldestgørende.",
    (6, "either"): "Talentet løser forholdsvist simple opgaver på eget ledelsesniveau, men løser ikke disse fyldestgørende.",
}

# "Anbefaling" per box and aim.
_RECOMMENDATIONS: dict[tuple[int, str], str] = {
    (1, "vertical"): "Forfrem talentet hurtigst muligt til næste ledelsesniveau.",
    (2, "vertical"): ("Giv endnu mere komplicerede opgaver, således talentet kan mestre de nye arbejdsværdier, færdigheder og tidsrammen."),
    (3, "vertical"): (
        "Giv mere tid til udvikling og tillad, at talentet opnår mere erfaring. Coach med henblik på at "
        "udvikle nye arbejdsværdier, færdigheder og mestring af tidsrammen. Hjælp talentet med at styre "
        "sin tid mere effektivt."
    ),
    (1, "horizontal"): (
        "Udvid talentets opgaveportefølje med endnu mere udfordrende ledelsesopgaver på det nuværende "
        "ledelsesniveau. Eller forfrem talentet til et lederjob på samme ledelsesniveau, men for et "
        "større/mere komplekst område/afdeling."
    ),
    (2, "horizontal"): "Sæt i fællesskab nye mål og coach talentet.",
    (3, "horizontal"): ("Coach talentet og følg nøje med i, hvad der sker. Hjælp talentet med at styre sin tid mere effektivt."),
    (4, "either"): "Tildel avancerede opgaver på eget ledelsesniveau.",
    (5, "either"): "Sæt i fællesskab mål for den videre udvikling og coach for at udvikle præstationsniveauet.",
    (6, "either"): "Undersøg årsagerne og lav i fællesskab en handlingsplan for forbedringer.",
}


class ReadinessError(ValueError):
    """An answer outside the model: Danish text for the person."""


@dataclass(frozen=True)
class Placement:
    """Where a talent lands in the model, with the programme's words for it."""

    box: int
    aim: str
    tasks: str
    performance: str
    description: str
    recommendation: str

    @property
    def aim_da(self) -> str:
        return AIM_NAMES_DA[self.aim]

    @property
    def tasks_da(self) -> str:
        return TASK_NAMES_DA[(self.aim, self.tasks)]

    @property
    def performance_da(self) -> str:
        return PERFORMANCE_NAMES_DA[self.performance]


def box_of(tasks: str, performance: str) -> int:
    """The box number: row by level of tasks, column by performance."""
    if tasks not in TASKS:
        raise ReadinessError("Vælg hvilke opgaver talentet arbejder med.")
    if performance not in PERFORMANCES:
        raise ReadinessError("Vælg talentets præstation.")
    return TASKS.index(tasks) * 3 + PERFORMANCES.index(performance) + 1


def _variant(box: int, aim: str) -> str:
    return aim if box <= 3 else "either"


def description(box: int, aim: str) -> str:
    """What the box says about the talent, for this aim."""
    return _DESCRIPTIONS[(box, _variant(box, aim))]


def recommendation(box: int, aim: str) -> str:
    """The programme's recommendation for the box and aim."""
    if aim not in AIMS or box not in BOXES:
        raise ReadinessError("Ukendt boks eller formål.")
    return _RECOMMENDATIONS[(box, _variant(box, aim))]


def place(aim: str, tasks: str, performance: str) -> Placement:
    """Place a talent: the box with its description and recommendation; ReadinessError on bad input."""
    if aim not in AIMS:
        raise ReadinessError("Vælg om formålet er vertikal eller horisontal ledelsesudvikling.")
    box = box_of(tasks, performance)
    return Placement(box, aim, tasks, performance, description(box, aim), recommendation(box, aim))


SELF_TOPIC = "readiness-self"  # the talent's own card; "readiness" is the leader's
READINESS_TOPICS = ("readiness", SELF_TOPIC)
SELF_DAYS_BEFORE = 2  # the talent's own card goes this many days before the leader's (never before module 6 ends)


@dataclass(frozen=True)
class ReadinessTiming:
    """When the readiness card goes to the nearest leader: days after the end of a session."""

    after: str = "m6.day2"
    days: int = 3


def plan_readiness(
    cohort_key: str,
    timing: ReadinessTiming,
    sessions: Iterable[Session],
    talents: Iterable[tuple[int, int | None]],
    send_time: time,
    tz: ZoneInfo,
) -> list[PlanItem]:
    """Readiness cards after module 6 (none until it is dated): the talent's own first, then one to their nearest leader."""
    talents = list(talents)
    activity, _, part = timing.after.partition(".")
    anchor = next((s for s in sessions if s.activity_key == activity and (s.part == part or not part)), None)
    if anchor is None:
        return []
    due = occasion_moment(Occasion(timing.after, "after", timing.days), anchor, send_time, tz)
    # the talent places themselves first, in the same six boxes; the leader's card then shows it
    own_due = occasion_moment(Occasion(timing.after, "after", max(0, timing.days - SELF_DAYS_BEFORE)), anchor, send_time, tz)
    own = [
        PlanItem(
            key=plan_key(cohort_key, talent_id, None, "readiness-self"),
            person_id=talent_id,
            kind="survey",
            activity_key=None,
            topic=SELF_TOPIC,
            seq=0,
            due_at=min(own_due, due),
            not_after=None,
            data={"talent": talent_id, "self": True},
        )
        for talent_id, _ in talents
    ]
    return own + [
        PlanItem(
            key=plan_key(cohort_key, leader_id, None, f"readiness/{talent_id}"),
            person_id=leader_id,
            kind="survey",
            activity_key=None,
            topic="readiness",
            seq=0,
            due_at=due,
            not_after=None,
            data={"talent": talent_id},
        )
        for talent_id, leader_id in talents
        if leader_id is not None
    ]
