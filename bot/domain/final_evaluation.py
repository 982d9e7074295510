"""The final evaluation: one answer per talent about the whole programme, after the closing seminar (the 80 % criterion)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from bot.domain.calendar import Session
from bot.domain.nudges import Occasion, occasion_moment
from bot.domain.plan import PlanItem, plan_key

TOPIC = "programme-evaluation"
EVALUATION_KEY = "programme"  # Evaluation.activity_key of the answer: not an activity, the whole programme
AFTER = "closing"


@dataclass(frozen=True)
class FinalEvaluation:
    """Its Danish texts (content/nudges.yaml, final_evaluation)."""

    title: str = "Levede Talent Nord 2.0 op til dine forventninger?"
    text: str = "Programmet er slut. Giv os dit samlede svar om hele forløbet – det tager under et minut."
    question: str = "Levede Talent Nord 2.0 som helhed op til dine forventninger?"


def plan_final_evaluation(
    cohort_key: str, sessions: Iterable[Session], talents: Iterable[int], send_time: time, tz: ZoneInfo
) -> list[PlanItem]:
    """One survey per talent, the first working morning after the closing seminar."""
    closing = [s for s in sessions if s.activity_key == AFTER]
    if not closing:
        return []
    last = max(closing, key=lambda s: s.ends_at)
    due = occasion_moment(Occasion(AFTER, "after"), last, send_time, tz)
    return [
        PlanItem(
            key=plan_key(cohort_key, pid, None, TOPIC),
            person_id=pid,
            kind="survey",
            activity_key=None,
            topic=TOPIC,
            seq=0,
            due_at=due,
            not_after=None,
            data={},
        )
        for pid in sorted(set(talents))
    ]
