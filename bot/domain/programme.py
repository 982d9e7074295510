"""The programme as data: its activities, in order, with their Danish texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("talent", "leader", "mentor", "instructor", "admin", "consultant", "steering")
LEVELS = ("leder-af-medarbejdere", "leder-af-ledere")
ACTIVITY_KEYS = ("kickoff", "leader-ws", "m1", "m2", "m3", "m4", "m5", "m6", "closing", "alumni")
ACTIVITY_FORMATS = ("session", "module")

ROLE_NAMES_DA = {
    "talent": "talent",
    "leader": "nærmeste leder",
    "mentor": "mentor",
    "instructor": "underviser",
    "admin": "administrator (LEAD)",
    "consultant": "intern konsulent",
    "steering": "styregruppe",
}
LEVEL_NAMES_DA = {
    "leder-af-medarbejdere": "leder af medarbejdere",
    "leder-af-ledere": "leder af ledere",
}


@dataclass(frozen=True)
class Activity:
    """One activity of the common track (fællesspor)."""

    key: str
    name: str
    format: str  # "session" (one block) or "module" (day 1 and day 2)
    duration: str
    participants: tuple[str, ...]  # roles that take part
    participants_text: str
    purpose: str
    content: str
    outcome: str
    competence_no: int | None = None
    competence: str = ""
    day1: str = ""
    day2: str = ""
    bring: str = ""
    definite: str = ""  # the Danish definite form ("afslutningsseminaret") for "til …", "var …", "om …"

    @property
    def the(self) -> str:
        """The definite form where Danish needs it; the name when none is set."""
        return self.definite or self.name

    @property
    def is_module(self) -> bool:
        return self.format == "module"

    @property
    def parts(self) -> tuple[str, ...]:
        """The calendar parts this activity needs dates for."""
        return ("day1", "day2") if self.is_module else ("main",)


@dataclass(frozen=True)
class Programme:
    """The whole programme definition loaded from content/."""

    key: str
    name: str
    activities: tuple[Activity, ...]
    library_months_after_end: int = 12
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def activity(self, key: str) -> Activity:
        """The activity with this key; KeyError if there is none."""
        for activity in self.activities:
            if activity.key == key:
                return activity
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.activities)
