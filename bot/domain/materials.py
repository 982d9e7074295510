"""Preparation sequences: intro, article, literature before each activity, and when to send them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import time

TOPICS = ("intro", "article", "literature")
TOPIC_KINDS = {"intro": ("video", "podcast"), "article": ("article",), "literature": ("literature",)}
STEP_OFFSETS = ("intro", "article", "literature", "reminder")
DEFAULT_OFFSETS = {"intro": 14, "article": 7, "literature": 4, "reminder": 2}
DEFAULT_SEND_TIME = time(8, 30)
PLACEHOLDER_URL_PREFIX = "https://materialer.example/"

KIND_LABELS_DA = {"video": "Video", "podcast": "Podcast", "article": "Artikel", "literature": "Grundlitteratur"}
TOPIC_LABELS_DA = {"intro": "Intro", "article": "Kort artikel", "literature": "Grundlitteratur (valgfri)"}


@dataclass(frozen=True)
class Material:
    """One step of a sequence, as people see it."""

    activity_key: str
    topic: str
    kind: str
    title: str
    url: str
    minutes: int
    description: str

    @property
    def version(self) -> str:
        """A short hash of what people see; a change means 'opdateret materiale'."""
        visible = [self.kind, self.title, self.url, self.minutes, self.description]
        return hashlib.sha1(json.dumps(visible, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]

    @property
    def is_placeholder(self) -> bool:
        return self.url.startswith(PLACEHOLDER_URL_PREFIX)


@dataclass(frozen=True)
class Sequence:
    """The preparation for one activity: who gets it, its steps, and the practical reminder."""

    activity_key: str
    audience: tuple[str, ...]
    steps: tuple[Material, ...]
    reminder: str

    @property
    def minutes(self) -> int:
        return sum(step.minutes for step in self.steps)


@dataclass(frozen=True)
class Timing:
    """When steps go out: days before the activity's first day, at a local time on a working day."""

    offsets_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_OFFSETS))
    send_time: time = DEFAULT_SEND_TIME

    def with_overrides(self, overrides: dict | None) -> Timing:
        """This timing with a cohort's overrides (offsets_days, send_time) applied."""
        if not overrides:
            return self
        offsets = {**self.offsets_days, **(overrides.get("offsets_days") or {})}
        send = overrides.get("send_time")
        return Timing(offsets, time.fromisoformat(send) if send else self.send_time)


@dataclass(frozen=True)
class Materials:
    """All sequences and the programme's default timing."""

    timing: Timing
    sequences: dict[str, Sequence]

    def material(self, activity_key: str, topic: str) -> Material | None:
        sequence = self.sequences.get(activity_key)
        if sequence is None:
            return None
        return next((s for s in sequence.steps if s.topic == topic), None)
