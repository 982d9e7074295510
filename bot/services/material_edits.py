"""Editing a material step (the console's Materialer and `content edit`): checked, previewed, then published as a publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.domain.material_edits import FIELD_LABELS_DA, FIELDS, Change, EditInvalid, check_values, overrides
from bot.domain.materials import KIND_LABELS_DA, TOPIC_LABELS_DA, Material
from bot.domain.programme import Programme
from bot.outbox.writer import reachable_chats
from bot.services.learning import Learning, PublishSummary
from bot.services.link_guard import PlaceholderLinks, placeholder_links_soon
from bot.services.material_store import edit_rows, values_of
from bot.storage.db import Database
from bot.storage.models import Cohort, Person, PlannedDelivery
from bot.storage.models import Material as Published

UNKNOWN_STEP_DA = "Vælg en aktivitet og et trin fra listen."
NOT_EDITED_DA = "Trinnet følger allerede materials.yaml: der er ingen rettelse at fortryde."


@dataclass(frozen=True)
class StepView:
    """One step as the console lists it: what is in force, the file's version, and which fields LEAD changed."""

    activity_key: str
    activity_name: str
    topic: str
    topic_label: str
    current: Material
    original: Material
    edited: tuple[str, ...]
    edited_by: str
    edited_at: datetime | None


@dataclass
class StepChange:
    """What a publish changes in one step and who gets an 'opdateret materiale' notice for it, per cohort."""

    activity_key: str
    topic: str
    label: str
    fields: list[tuple[str, str, str]]  # (field label, before, after)
    notices: dict[str, list[str]] = field(default_factory=dict)  # cohort name -> names reached in Teams
    unreachable: dict[str, list[str]] = field(default_factory=dict)  # cohort name -> names without a chat yet

    @property
    def notice_count(self) -> int:
        return sum(len(n) for n in self.notices.values())


@dataclass
class EditPreview:
    """The effect of confirming a change: every step that publish would change (normally just the one), nothing written."""

    change: Change
    steps: list[StepChange]
    refused: str = ""  # Azure mode: the example links that would make the publish refuse

    @property
    def changed(self) -> bool:
        return bool(self.steps)

    @property
    def notice_count(self) -> int:
        return sum(s.notice_count for s in self.steps)


def _shown(name: str, value: Any) -> str:
    return KIND_LABELS_DA.get(value, str(value)) if name == "kind" else str(value)


class MaterialEditor:
    """The one service behind the console's material forms and `content edit|edits`; publish writes the change."""

    def __init__(self, db: Database, learning: Learning, programme: Programme) -> None:
        self.db = db
        self.learning = learning
        self.programme = programme

    def _label(self, activity_key: str, topic: str) -> str:
        return f"{self.programme.activity(activity_key).name} · {TOPIC_LABELS_DA.get(topic, topic)}"

    def original(self, activity_key: str, topic: str) -> Material:
        """The step as content/materials.yaml has it; EditInvalid for a step that does not exist."""
        step = self.learning.materials.material(activity_key, topic)
        if step is None:
            raise EditInvalid({"step": UNKNOWN_STEP_DA})
        return step

    async def steps(self) -> list[StepView]:
        """Every step in programme order, as in force after the next publish, with LEAD's edits marked."""
        async with self.db.sessions() as session:
            rows = {(r.activity_key, r.topic): r for r in await edit_rows(session)}
            materials = await self.learning.effective(session)
        out = []
        for key, sequence in materials.sequences.items():
            for step in sequence.steps:
                row = rows.get((key, step.topic))
                edited = tuple(name for name in FIELDS if row is not None and getattr(row, name) is not None)
                out.append(
                    StepView(
                        key,
                        self.programme.activity(key).name,
                        step.topic,
                        TOPIC_LABELS_DA.get(step.topic, step.topic),
                        step,
                        self.original(key, step.topic),
                        edited,
                        row.edited_by if row is not None and edited else "",
                        row.edited_at if row is not None and edited else None,
                    )
                )
        return out

    async def edit(self, activity_key: str, topic: str, form: dict[str, Any], actor: str) -> Change:
        """A checked change from a form; fields the form leaves out keep the value in force (the command line names a few)."""
        original = self.original(activity_key, topic)
        current = next(s.current for s in await self.steps() if (s.activity_key, s.topic) == (activity_key, topic))
        given = {name: form[name] if name in form else getattr(current, name) for name in FIELDS}
        return Change(activity_key, topic, overrides(original, check_values(given)), actor)

    async def revert(self, activity_key: str, topic: str, actor: str) -> Change:
        """The change that takes a step back to the file's version; EditInvalid when it has no edit."""
        self.original(activity_key, topic)
        async with self.db.sessions() as session:
            if not any((r.activity_key, r.topic) == (activity_key, topic) and values_of(r) for r in await edit_rows(session)):
                raise EditInvalid({"step": NOT_EDITED_DA})
        return Change(activity_key, topic, None, actor)

    async def preview(self, change: Change) -> EditPreview:
        """What confirming would publish and who would get an 'opdateret materiale' notice; writes nothing."""
        now = self.learning.clock()
        async with self.db.sessions() as session:
            materials = await self.learning.effective(session, change)
            published = {(m.activity_key, m.topic): m for m in await session.scalars(select(Published))}
            steps: list[StepChange] = []
            for sequence in materials.sequences.values():
                for step in sequence.steps:
                    row = published.get((step.activity_key, step.topic))
                    if row is not None and row.version == step.version:
                        continue
                    fields = [
                        (FIELD_LABELS_DA[n], _shown(n, getattr(row, n)) if row is not None else "", _shown(n, getattr(step, n)))
                        for n in FIELDS
                        if row is None or getattr(row, n) != getattr(step, n)
                    ]
                    steps.append(StepChange(step.activity_key, step.topic, self._label(step.activity_key, step.topic), fields))
            for item in steps:
                version = next(s.version for s in materials.sequences[item.activity_key].steps if s.topic == item.topic)
                rows = (
                    await session.execute(
                        select(PlannedDelivery.person_id, Person.name, Cohort.name)
                        .join(Person, Person.id == PlannedDelivery.person_id)
                        .join(Cohort, Cohort.id == PlannedDelivery.cohort_id)
                        .where(
                            PlannedDelivery.kind == "material",
                            PlannedDelivery.activity_key == item.activity_key,
                            PlannedDelivery.topic == item.topic,
                            PlannedDelivery.status == "sent",
                            PlannedDelivery.sent_version != version,
                        )
                        .order_by(Cohort.name, Person.name)
                    )
                ).all()
                chats = await reachable_chats(session, {r[0] for r in rows})
                for person_id, name, cohort in rows:
                    (item.notices if person_id in chats else item.unreachable).setdefault(cohort, []).append(name)
            refused = ""
            if self.learning.refuse_placeholders:
                links = await placeholder_links_soon(session, materials, now, skip_cohorts=(self.learning.demo_cohort,))
                refused = str(PlaceholderLinks(links)) if links else ""
        return EditPreview(change, steps, refused)

    async def confirm(self, change: Change) -> PublishSummary:
        """Store the change and publish, as `content publish` does (PlaceholderLinks in Azure mode keeps nothing)."""
        return await self.learning.publish(change=change)
