"""Skyggepraktik and bootcamp placement per cohort: the nudge, its text and the practical reminders follow the cohort file."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import CORE
from bot.content.cohort import parse_cohort
from bot.content.yamlfile import load_yaml_text
from bot.domain.errors import FileErrors
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import Cohort, PlannedDelivery
from tests.fakes.connector import card_text
from tests.support import EXAMPLE_COHORT, NOW, Clock, seed, start_server

CPH = ZoneInfo("Europe/Copenhagen")


def cohort_text(placements: str) -> str:
    return EXAMPLE_COHORT.read_text(encoding="utf-8").replace("activities:\n", f"{placements}\nactivities:\n", 1)


def test_placements_are_checked_with_their_line(programme: Any) -> None:
    spec = parse_cohort(load_yaml_text(cohort_text("placements: {skyggepraktik: m3, bootcamp: m6}"), "c.yaml"), "c.yaml", programme)
    assert spec.plan_settings == {"placements": {"skyggepraktik": "m3", "bootcamp": "m6"}}
    with pytest.raises(FileErrors) as bad:
        parse_cohort(load_yaml_text(cohort_text("placements: {skyggepraktik: m5, pool: m2}"), "c.yaml"), "c.yaml", programme)
    text = str(bad.value)
    assert "placements.skyggepraktik must be one of m3, m4" in text and "unknown 'pool'" in text and "c.yaml:6" in text


@pytest.mark.parametrize(
    "placements, shadow, camp, other", [("", "m4", "m2", "m3"), ("placements: {skyggepraktik: m3, bootcamp: m6}", "m3", "m6", "m4")]
)
async def test_the_nudge_and_reminders_follow_the_cohort(
    db: Database, settings: Any, programme: Any, placements: str, shadow: str, camp: str, other: str
) -> None:
    await seed(db, programme)
    spec = parse_cohort(load_yaml_text(cohort_text(placements), "c.yaml"), "c.yaml", programme)
    await RosterService(db).import_cohort(spec)
    server = await start_server(settings, Clock(NOW))
    core = server.app[CORE]
    try:
        await core.planner.replan("hold-2027")
        await core.buddies.suggest("hold-2027")
        async with db.sessions() as s:
            row = await s.scalar(select(PlannedDelivery).where(PlannedDelivery.topic == "skyggepraktik"))
            assert row is not None and row.data["anchor"] == shadow
            text = card_text((await core.messages.nudge_card(s, row, CPH)).data)
            cohort_id = await s.scalar(select(Cohort.id).where(Cohort.key == "hold-2027"))
            bring = {k: (await core.messages.reminder_card(s, cohort_id, k, CPH)).data["bring"] for k in ("m2", "m3", "m4", "m6")}
        assert f"Inden dag 2 i modul {shadow[1]}" in text
        assert "skyggepraktikken" in bring[shadow] and "skyggepraktikken" not in bring[other]
        assert "internat (bootcamp)" in bring[camp] and "internat" not in bring["m6" if camp == "m2" else "m2"]
    finally:
        await server.close()
