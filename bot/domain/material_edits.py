"""LEAD's edits of a material step: the fields, their checks (Danish, per field) and the merge over the file's version."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.materials import KIND_LABELS_DA, Material, Materials, Sequence
from bot.domain.text import clean

FIELDS = ("title", "kind", "url", "minutes", "description")
FIELD_LABELS_DA = {"title": "Titel", "kind": "Type", "url": "Link", "minutes": "Varighed (minutter)", "description": "Beskrivelse"}
KINDS = tuple(KIND_LABELS_DA)  # video, podcast, article, literature
TITLE_MAX = 300  # the materials.title column
URL_MAX = 1000  # the materials.url column
DESCRIPTION_MAX = 2000  # a card shows a few lines; the file's own texts are far shorter
MINUTES_MIN, MINUTES_MAX = 1, 600  # the same range content/materials.yaml allows
# One https address: a host with a dot (or localhost for tests is not needed: people open these), no spaces.
_URL_RE = re.compile(r"^https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,63}(?::\d{1,5})?(?:[/?#][^\s<>\"]*)?$")

Values = dict[str, Any]  # field -> str (title, kind, url, description) or int (minutes)


class EditInvalid(ValueError):
    """The form has errors; `errors` maps each field to its Danish message (shown next to the field)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{FIELD_LABELS_DA.get(k, k)}: {v}" for k, v in errors.items()))
        self.errors = errors


def check_values(form: dict[str, Any]) -> Values:
    """The five fields read from a form (or the command line), cleaned and checked; EditInvalid lists every error."""
    errors: dict[str, str] = {}
    title = clean(form.get("title"), TITLE_MAX * 2).strip()
    if not title:
        errors["title"] = "Skriv en titel."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Titlen må højst være {TITLE_MAX} tegn (den er {len(title)})."
    kind = clean(form.get("kind"), 32).strip()
    if kind not in KINDS:
        errors["kind"] = "Vælg video, podcast, artikel eller grundlitteratur."
    url = clean(form.get("url"), URL_MAX * 2).strip()
    if not url.lower().startswith("https://"):
        errors["url"] = "Linket skal begynde med https:// (fx https://lead.dk/materiale)."
    elif len(url) > URL_MAX:
        errors["url"] = f"Linket må højst være {URL_MAX} tegn."
    elif not _URL_RE.match(url):
        errors["url"] = "Det ligner ikke et link: skriv hele adressen uden mellemrum, fx https://lead.dk/materiale."
    raw_minutes = clean(form.get("minutes"), 16).strip()
    minutes = int(raw_minutes) if raw_minutes.isascii() and raw_minutes.isdigit() else None
    if minutes is None or not MINUTES_MIN <= minutes <= MINUTES_MAX:
        errors["minutes"] = f"Skriv varigheden som et helt antal minutter fra {MINUTES_MIN} til {MINUTES_MAX}."
    description = clean(form.get("description"), DESCRIPTION_MAX * 2).strip()
    if not description:
        errors["description"] = "Skriv en kort beskrivelse, så deltagerne ved, hvad de får."
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Beskrivelsen må højst være {DESCRIPTION_MAX} tegn (den er {len(description)})."
    if errors:
        raise EditInvalid(errors)
    return {"title": title, "kind": kind, "url": url, "minutes": minutes, "description": description}


def overrides(original: Material, values: Values) -> Values:
    """Only the fields that differ from the file's version: a field left as the file has it keeps following the file."""
    return {name: value for name, value in values.items() if getattr(original, name) != value}


def apply(material: Material, edit: Values) -> Material:
    """The step with an edit's fields over the file's."""
    return replace(material, **{k: v for k, v in edit.items() if k in FIELDS and v is not None}) if edit else material


def merged(materials: Materials, edits: dict[tuple[str, str], Values]) -> Materials:
    """The file's materials with LEAD's edits over them (an edit wins; an edit of a step the file no longer has is ignored)."""
    if not edits:
        return materials
    sequences: dict[str, Sequence] = {}
    for key, sequence in materials.sequences.items():
        steps = tuple(apply(step, edits.get((key, step.topic), {})) for step in sequence.steps)
        sequences[key] = replace(sequence, steps=steps)
    return Materials(materials.timing, sequences)


@dataclass(frozen=True)
class Change:
    """One step's change to store with the publish that carries it: new overrides, or None to go back to the file."""

    activity_key: str
    topic: str
    values: Values | None
    actor: str
