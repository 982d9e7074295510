"""#19: mesterlære on the development plan, readiness placed together, and the closing seminar's plan in the follow-ups."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import CORE
from bot.services.errors import ActionError
from bot.services.overview import Overview
from bot.storage.db import Database
from bot.storage.models import DevelopmentPlanRevision, Person, PlannedDelivery, ReadinessAssessment, ReadinessSelfPlacement
from bot.web.views import development_plan
from tests.fakes.connector import FakeConnector, card_text
from tests.support import NOW, Clock, rendered, seed, start_server, store_chats

CPH = ZoneInfo("Europe/Copenhagen")
ANNA, DAVID, METTE = "anna.talent@aalborg.example", "david.talent@aalborg.example", "mette.leder@aalborg.example"
APPRENTICES = {"apprentice1": "Ida Holm", "apprentice1_role": "teamleder", "apprentice2": "Bo Berg", "apprentice2_role": "sagsbehandler"}


@pytest.fixture
async def world(db: Database, programme: Any, settings: Any, connector: FakeConnector) -> Any:
    await seed(db, programme)
    server = await start_server(settings, Clock(NOW))
    await server.app[CORE].planner.replan("hold-2027")
    await store_chats(db, connector.url)
    yield server
    await server.close()


async def pid(db: Database, email: str) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Person.id).where(Person.email == email))


async def rows(db: Database, person_id: int, topic: str) -> list[PlannedDelivery]:
    async with db.sessions() as s:
        return list(
            await s.scalars(
                select(PlannedDelivery)
                .where(PlannedDelivery.person_id == person_id, PlannedDelivery.topic == topic)
                .order_by(PlannedDelivery.seq)
            )
        )


async def card_of(world: Any, db: Database, row: PlannedDelivery) -> dict[str, Any]:
    async with db.sessions() as s:
        payload, _ = await world.app[CORE].messages.for_plan_row(s, row, NOW)
    return payload["attachments"][0]["content"]


# ---- mesterlære --------------------------------------------------------------------------------


async def test_apprentices_are_kept_on_the_plan_with_name_and_role_and_a_revision(world: Any, db: Database) -> None:
    growth = world.app[CORE].growth
    anna = await pid(db, ANNA)
    await growth.save_plan(anna, {"individual": "Mål"})
    form = rendered(await growth.save_plan(anna, {"individual": "Mål", **APPRENTICES}))
    values = [i.get("value") for col in (b for b in form["body"] if b["type"] == "ColumnSet") for c in col["columns"] for i in c["items"]]
    assert values == ["Ida Holm", "teamleder", "Bo Berg", "sagsbehandler"]
    async with db.sessions() as s:
        revisions = list(await s.scalars(select(DevelopmentPlanRevision).order_by(DevelopmentPlanRevision.version)))
    assert [r.apprentices for r in revisions] == [
        None,
        [{"name": "Ida Holm", "role": "teamleder"}, {"name": "Bo Berg", "role": "sagsbehandler"}],
    ]
    assert "mesterlære" in card_text(form)  # the history names what changed
    with pytest.raises(ActionError, match="både navn og rolle"):
        await growth.save_plan(anna, {"apprentice1": "Ida Holm"})


async def test_the_nearest_leader_sees_the_apprentices_in_the_card_and_in_mit_forloeb(world: Any, db: Database) -> None:
    growth = world.app[CORE].growth
    anna, mette = await pid(db, ANNA), await pid(db, METTE)
    await growth.save_plan(anna, {"individual": "Mål", **APPRENTICES})
    shown = card_text(rendered(await growth.plan_view(mette, anna)))
    assert "Ida Holm – teamleder" in shown and "Bo Berg – sagsbehandler" in shown
    snapshot = await Overview(db).talent(anna, 1)
    assert snapshot is not None
    tab = development_plan(snapshot, CPH)
    assert tab["apprentices"] == [{"name": "Ida Holm", "role": "teamleder"}, {"name": "Bo Berg", "role": "sagsbehandler"}]


async def test_the_leader_conversations_after_module_3_name_the_apprentices(world: Any, db: Database) -> None:
    anna, mette = await pid(db, ANNA), await pid(db, METTE)
    await world.app[CORE].growth.save_plan(anna, {**APPRENTICES})
    to_mette = [r for r in await rows(db, mette, "leader-conversation") if r.data["talent"] == anna]
    before, after = await card_of(world, db, to_mette[3]), await card_of(world, db, to_mette[5])
    assert "mesterlære" not in card_text(before)
    # the names are someone else's free text: shown plain, so Teams markdown characters come escaped
    assert "I mesterlære: Ida Holm \\(teamleder\\) og Bo Berg \\(sagsbehandler\\)" in card_text(after)


# ---- readiness placed together -------------------------------------------------------------------


async def test_the_talent_places_themselves_first_and_the_leader_sees_it_when_placing(world: Any, db: Database) -> None:
    growth = world.app[CORE].growth
    anna, mette = await pid(db, ANNA), await pid(db, METTE)
    (own_row,) = await rows(db, anna, "readiness-self")
    leader_row = next(r for r in await rows(db, mette, "readiness") if r.data["talent"] == anna)
    assert own_row.due_at < leader_row.due_at  # first
    own_card = await card_of(world, db, own_row)
    assert "Din egen placering" in card_text(own_card)
    assert "Talentet har ikke placeret sig selv endnu." in card_text(await card_of(world, db, leader_row))

    with pytest.raises(ActionError):  # the leader cannot place on the talent's own card, nor the talent on the leader's
        await growth.assess_readiness(mette, own_row.id, {"aim": "vertical", "tasks": "stretch", "performance": "satisfactory"})
    with pytest.raises(ActionError):
        await growth.assess_readiness(anna, leader_row.id, {"aim": "vertical", "tasks": "stretch", "performance": "satisfactory"})

    saved = card_text(
        rendered(await growth.assess_readiness(anna, own_row.id, {"aim": "vertical", "tasks": "stretch", "performance": "satisfactory"}))
    )
    assert "Din nærmeste leder ser din placering" in saved
    assert "Talentets egen placering: boks 2" in card_text(await card_of(world, db, leader_row))
    await growth.assess_readiness(mette, leader_row.id, {"aim": "vertical", "tasks": "simple", "performance": "satisfactory"})

    async with db.sessions() as s:
        own = list(await s.scalars(select(ReadinessSelfPlacement)))
        leaders = list(await s.scalars(select(ReadinessAssessment)))
    assert [(r.person_id, r.box) for r in own] == [(anna, 2)] and [(r.person_id, r.box) for r in leaders] == [(anna, 5)]
    both = card_text(rendered(await growth.plan_view(mette, anna)))
    assert "Egen placering: boks 2" in both and "Parathed: boks 5" in both  # both kept and shown
    snapshot = await Overview(db).talent(anna, 1)
    assert snapshot is not None
    tab = development_plan(snapshot, CPH)  # 'Mit forløb' shows both as well
    assert tab["readiness_own"]["box"] == 2 and tab["readiness"]["box"] == 5


# ---- the closing seminar's plan for local talent environments ------------------------------------


async def test_the_plan_for_local_talent_environments_is_followed_up_after_the_programme(world: Any, db: Database) -> None:
    growth = world.app[CORE].growth
    anna, david, mette = await pid(db, ANNA), await pid(db, DAVID), await pid(db, METTE)
    await growth.save_plan(anna, {"environment": "Talentforum i forvaltningen hvert kvartal"})
    await growth.save_plan(david, {"environment": "Mesterlære for to nye teamledere"})
    await world.app[CORE].buddies.suggest("hold-2027")
    buddy = await rows(db, anna, "buddy-meeting")
    during, after = card_text(await card_of(world, db, buddy[0])), card_text(await card_of(world, db, buddy[4]))
    assert "Talentforum" not in during
    assert "Planen for lokale talentmiljøer fra afslutningsseminaret" in after and "Talentforum i forvaltningen" in after
    (alumni,) = await rows(db, mette, "alumni")  # one invitation for her two talents, with both their plans
    shown = card_text(await card_of(world, db, alumni))
    assert "Talentforum i forvaltningen" in shown and "Mesterlære for to nye teamledere" in shown
    (own_alumni,) = await rows(db, anna, "alumni")
    shown = card_text(await card_of(world, db, own_alumni))
    assert "Talentforum i forvaltningen" in shown and "Mesterlære for to nye" not in shown
