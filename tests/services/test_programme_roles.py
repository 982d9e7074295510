"""#19: the internal consultant and the steering group as roster roles: their imports, nudges and what they may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import CORE
from bot.content.cohort import parse_cohort
from bot.content.yamlfile import load_yaml_text
from bot.domain.errors import FileErrors
from bot.domain.roster import parse_roster
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import Membership, Person, PlannedDelivery
from tests.fakes.connector import FakeConnector, card_text
from tests.support import EXAMPLE_COHORT, NOW, Clock, message_from, seed, start_server, store_chats

CPH = ZoneInfo("Europe/Copenhagen")
ANNA, BO, METTE = "anna.talent@aalborg.example", "bo.talent@rn.example", "mette.leder@aalborg.example"
KIRSTEN = "kirsten.hr@aalborg.example"  # internal consultant, Aalborg Kommune
STIG = "stig.styregruppe@rn.example"  # steering group of hold-2027
NUMBER = {ANNA: 1, BO: 2, METTE: 3, KIRSTEN: 4, STIG: 5}
EXTRA = (
    "email,name,role,organisation,level,leader_email,mentor_email\n"
    f"{KIRSTEN},Kirsten Holm,consultant,Aalborg Kommune,,,\n"
    f"{STIG},Stig Nielsen,steering,Region Nordjylland,,,\n"
)
MEETINGS = "\nsteering_meetings: [2027-03-01, 2027-06-14, 2027-11-29]\n"


@pytest.fixture
async def world(db: Database, programme: Any, settings: Any, connector: FakeConnector) -> Any:
    await seed(db, programme)
    service = RosterService(db)
    text = EXAMPLE_COHORT.read_text(encoding="utf-8") + MEETINGS
    await service.import_cohort(parse_cohort(load_yaml_text(text, "c.yaml"), "c.yaml", programme))
    other = EXAMPLE_COHORT.read_text(encoding="utf-8").replace("key: hold-2027", "key: hold-2028")
    await service.import_cohort(parse_cohort(load_yaml_text(other, "c2.yaml"), "c2.yaml", programme))
    await service.import_roster("hold-2027", parse_roster(EXTRA, "extra.csv"), "extra.csv")
    server = await start_server(settings, Clock(NOW))
    await server.app[CORE].planner.replan("hold-2027")
    await store_chats(db, connector.url)
    yield server
    await server.close()


async def say(server: Any, connector: FakeConnector, email: str, text: str) -> str:
    await server.post(message_from(email, text, connector, NUMBER[email]))
    return connector.texts()[-1]


async def pid(db: Database, email: str) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Person.id).where(Person.email == email))


def test_the_roster_takes_both_roles_and_names_the_line_of_a_wrong_one() -> None:
    rows = parse_roster(EXTRA, "extra.csv")
    assert [(r.email, r.role) for r in rows] == [(KIRSTEN, "consultant"), (STIG, "steering")]
    with pytest.raises(FileErrors) as caught:
        parse_roster(EXTRA.replace(",steering,", ",styregruppen,"), "extra.csv")
    assert "extra.csv:3" in str(caught.value) and "steering" in str(caught.value)


async def test_imported_roles_are_stored_and_the_consultant_gets_the_closing_and_alumni_preparation(world: Any, db: Database) -> None:
    kirsten, stig = await pid(db, KIRSTEN), await pid(db, STIG)
    async with db.sessions() as s:
        roles = {(m.person_id, m.role) for m in await s.scalars(select(Membership))}
        kirsten_rows = list(await s.scalars(select(PlannedDelivery).where(PlannedDelivery.person_id == kirsten)))
        stig_rows = list(await s.scalars(select(PlannedDelivery).where(PlannedDelivery.person_id == stig)))
    assert (kirsten, "consultant") in roles and (stig, "steering") in roles
    assert {r.activity_key for r in kirsten_rows if r.kind == "material"} == {"closing", "alumni"}
    assert {r.topic for r in stig_rows} == {"steering"}  # no preparation, no talent's nudges


async def test_the_steering_groups_three_meetings_are_nudged_a_week_before_with_the_report_link(world: Any, db: Database) -> None:
    core = world.app[CORE]
    stig = await pid(db, STIG)
    async with db.sessions() as s:
        rows = list(
            await s.scalars(
                select(PlannedDelivery)
                .where(PlannedDelivery.person_id == stig, PlannedDelivery.topic == "steering")
                .order_by(PlannedDelivery.seq)
            )
        )
        payloads = [(await core.messages.for_plan_row(s, r, NOW))[0]["attachments"][0]["content"] for r in rows]
    # 1 March 2027 is a Monday: a week before is Monday 22 February; 29 November minus 7 is Monday 22 November
    assert [r.due_at.astimezone(CPH) for r in rows] == [
        datetime(2027, 2, 22, 8, 30, tzinfo=CPH),
        datetime(2027, 6, 7, 8, 30, tzinfo=CPH),
        datetime(2027, 11, 22, 8, 30, tzinfo=CPH),
    ]
    first = payloads[0]
    assert first["body"][0]["text"] == "Styregruppemøde 1 af 3"
    links = [a["url"] for a in first["actions"] if a["type"] == "Action.OpenUrl"]
    assert len(links) == 1 and "/report/hold-2027" in links[0] and "sig=" in links[0]
    text = card_text(first)
    assert "Anna" not in text and "Bo Madsen" not in text  # aggregated: no talent named


async def test_the_steering_group_sees_its_own_cohorts_aggregated_report_only(world: Any, db: Database, connector: FakeConnector) -> None:
    shown = await say(world, connector, STIG, "status")
    assert "Status" in shown and "Talenter" in shown
    assert "Anna Jensen" not in shown and "Mette" not in shown  # figures, never a named talent's plan or box
    assert "buddies suggest" not in shown  # LEAD's to-do list (with its commands) stays LEAD's
    refused = await say(world, connector, STIG, "status hold-2028")
    assert "kun dit eget holds rapport" in refused
    plans = await say(world, connector, STIG, "udviklingsplan")
    assert "Ingen udviklingsplan" in plans


async def test_the_internal_consultant_sees_their_organisations_talent_environment_plans_only(
    world: Any, db: Database, connector: FakeConnector
) -> None:
    growth = world.app[CORE].growth
    anna, bo = await pid(db, ANNA), await pid(db, BO)
    await growth.save_plan(anna, {"individual": "Annas egne mål", "environment": "Talentforum i Aalborg hvert kvartal"})
    await growth.save_plan(bo, {"environment": "Regionens talentnetværk"})
    shown = await say(world, connector, KIRSTEN, "udviklingsplan")
    assert "Planer for lokale talentmiljøer" in shown and "Talentforum i Aalborg hvert kvartal" in shown
    assert "Regionens talentnetværk" not in shown  # another organisation's
    assert "Annas egne mål" not in shown  # the development plan's goals stay between talent and leader
    welcome = await say(world, connector, KIRSTEN, "hej")
    assert "afslutningsseminaret" in welcome and "alumnedagen" in welcome


def test_a_wrong_steering_meeting_date_is_named_with_its_line(programme: Any) -> None:
    text = EXAMPLE_COHORT.read_text(encoding="utf-8") + "\nsteering_meetings: [2027-03-01, 1. juni]\n"
    with pytest.raises(FileErrors) as caught:
        parse_cohort(load_yaml_text(text, "c.yaml"), "c.yaml", programme)
    line = text.count("\n", 0, text.index("steering_meetings")) + 1
    assert f"c.yaml:{line}" in str(caught.value) and "'1. juni' is not a date" in str(caught.value)
