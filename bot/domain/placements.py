"""Where a cohort places the skyggepraktik and the bootcamp: the text contradicts itself, so each cohort chooses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CHOICES: dict[str, tuple[str, ...]] = {"skyggepraktik": ("m3", "m4"), "bootcamp": ("m2", "m6")}
DEFAULTS: dict[str, str] = {"skyggepraktik": "m4", "bootcamp": "m2"}  # the module texts; nudges.yaml may move skyggepraktik

# the sentence the practical reminder of the chosen module carries (it used to be fixed to m4 and m2)
REMINDERS_DA: dict[str, str] = {
    "skyggepraktik": (
        "Mellem dag 1 og dag 2 gennemfører du skyggepraktikken: Din buddy deltager i et møde i den leder- eller "
        "medarbejdergruppe, du er leder for, og giver dig live feedback. Aftal derfor gerne allerede nu med din "
        "buddy, hvilket møde det kan være."
    ),
    "bootcamp": "Modulet er et internat (bootcamp) over to sammenhængende dage, så sørg for, at din kalender er fri begge dage.",
}


def cohort_placements(plan_settings: Mapping[str, Any] | None, skyggepraktik_default: str = DEFAULTS["skyggepraktik"]) -> dict[str, str]:
    """The cohort's module per placement: its own choice, else the programme's default."""
    chosen = dict((plan_settings or {}).get("placements") or {})
    defaults = {**DEFAULTS, "skyggepraktik": skyggepraktik_default}
    return {name: chosen.get(name) or defaults[name] for name in CHOICES}


def reminder_notes(activity_key: str, placements: Mapping[str, str]) -> list[str]:
    """The placement sentences for this module's practical reminder."""
    return [REMINDERS_DA[name] for name, module in placements.items() if module == activity_key]
