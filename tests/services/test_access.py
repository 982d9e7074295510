"""Roles and who may see what, through the real endpoint: admin commands, crafted card actions, the audit log."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from app import CORE
from bot.cli import main
from bot.config import Settings
from bot.domain import access as rules
from bot.domain.people import Profile, RoleInCohort
from bot.domain.roster import parse_roster
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import (
    AuditEntry,
    Broadcast,
    Conversation,
    DevelopmentPlan,
    DevelopmentPlanRevision,
    Evaluation,
    Material,
    OutboxMessage,
    Person,
    PlannedDelivery,
    Progress,
    ReadinessAssessment,
)
from tests.fakes.connector import FakeConnector, card_text
from tests.support import EXAMPLE_COHORT, NOW, Clock, message_from, seed, start_server, store_chats, teams_activity

ANNA, BO = "anna.talent@aalborg.example", "bo.talent@rn.example"
METTE, JENS = "mette.leder@aalborg.example", "jens.leder@rn.example"  # Mette leads Anna; Jens leads Bo
SOFIE, OLE, LARS = "sofie.underviser@lead.example", "ole.mentor@frederikshavn.example", "lars.admin@lead.example"
KARI = "kari.admin@lead.example"  # admin of hold-2028 only
NUMBER = {ANNA: 1, BO: 2, METTE: 3, JENS: 4, SOFIE: 5, OLE: 6, LARS: 7, KARI: 8}


@pytest.fixture
async def world(db: Database, programme: Any, settings: Settings, connector: FakeConnector, tmp_path: Any) -> Any:
    await seed(db, programme)
    # a second cohort with its own admin, in the same (tenant-less) deployment
    text = EXAMPLE_COHORT.read_text(encoding="utf-8").replace("key: hold-2027", "key: hold-2028")
    from bot.content.cohort import parse_cohort
    from bot.content.yamlfile import load_yaml_text

    await RosterService(db).import_cohort(parse_cohort(load_yaml_text(text, "c.yaml"), "c.yaml", programme))
    roster = (
        "email,name,role,organisation,level,leader_email,mentor_email\n"
        f"{KARI},Kari Holm,admin,LEAD,,,\nper.leder@vhm.example,Per Leder,leader,Vesthimmerland,,,\n"
        "pia.talent@vhm.example,Pia Talent,talent,Vesthimmerland,leder-af-medarbejdere,per.leder@vhm.example,\n"
    )
    await RosterService(db).import_roster("hold-2028", parse_roster(roster, "r.csv"), "r.csv")
    server = await start_server(settings, Clock(NOW))
    await server.app[CORE].planner.replan("hold-2027")
    await store_chats(db, connector.url)
    yield server
    await server.close()


async def say(server: Any, connector: FakeConnector, email: str, text: str) -> str:
    """A personal-chat message from a rostered person; the text of the bot's answer."""
    await server.post(message_from(email, text, connector, NUMBER[email]))
    return connector.texts()[-1]


async def act(server: Any, connector: FakeConnector, email: str, data: dict[str, Any]) -> dict[str, Any]:
    """Action.Execute by this person with these card data (crafted at will)."""
    hello = message_from(email, "x", connector, NUMBER[email])
    invoke = teams_activity("invoke-adaptiveCard-action-personal", serviceUrl=connector.url)
    invoke["from"], invoke["conversation"], invoke["channelData"] = hello["from"], hello["conversation"], hello["channelData"]
    invoke["value"]["action"]["data"] = data
    async with server.http.post(server.url + "/api/messages", json=invoke) as resp:
        assert resp.status == 200
        return await resp.json()


async def pid(db: Database, email: str) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Person.id).where(Person.email == email))


async def audit(db: Database) -> list[AuditEntry]:
    async with db.sessions() as s:
        return list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a card action may change."""
    out = {}
    async with db.sessions() as s:
        for model in (
            PlannedDelivery,
            Evaluation,
            ReadinessAssessment,
            DevelopmentPlan,
            DevelopmentPlanRevision,
            Progress,
            OutboxMessage,
            Broadcast,
        ):
            rows = await s.scalars(select(model).order_by(model.id))
            out[model.__tablename__] = [tuple(getattr(r, c.key) for c in model.__table__.columns) for r in rows]
    return out


# ---- the rules ----------------------------------------------------------------------------------


def _profile(*roles: tuple[str, str], tenant: str | None = None) -> Profile:
    return Profile(
        1, "", "", "", tuple(RoleInCohort(i, key, key, "Europe/Copenhagen", role, tenant_id=tenant) for i, (key, role) in enumerate(roles))
    )


def test_the_rules_for_admins_instructors_plans_and_readiness() -> None:
    admin_a = _profile(("a", "admin"), ("b", "talent"))
    assert rules.is_admin(admin_a, "a") and not rules.is_admin(admin_a, "b")
    assert rules.admin_cohorts(admin_a) == ("a",)
    assert rules.can_answer_questions(_profile(("a", "instructor"))) and rules.can_answer_questions(admin_a, "a")
    assert not rules.can_answer_questions(admin_a, "b") and not rules.can_answer_questions(_profile(("a", "mentor")))
    # talent 10 with nearest leader 20; 30 is anyone else (another leader, an instructor, a mentor)
    assert rules.can_view_plan(10, 10, 20) and rules.can_view_plan(20, 10, 20) and not rules.can_view_plan(30, 10, 20)
    assert rules.can_edit_plan(10, 10) and not rules.can_edit_plan(20, 10)
    assert rules.can_view_readiness(20, 10, 20) and not rules.can_view_readiness(30, 10, 20)
    assert rules.can_assess_readiness(20, 20) and not rules.can_assess_readiness(10, 20)
    assert not rules.can_view_plan(30, 10, None) and not rules.can_assess_readiness(30, None)


# ---- admin commands through Teams ----------------------------------------------------------------


async def test_non_admins_are_refused_every_admin_command_and_each_attempt_is_logged_and_audited(
    world: Any, db: Database, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    async with db.sessions() as s:
        published = [(m.id, m.published_at) for m in await s.scalars(select(Material).order_by(Material.id))]
    before = await snapshot(db)
    caplog.set_level(logging.INFO)
    for email in (ANNA, METTE, SOFIE, OLE):
        assert "Det kan kun LEAD" in await say(world, connector, email, "udsend alle Hemmelig besked til alle")
        assert "Det kan kun LEAD" in await say(world, connector, email, "publicér")
        assert "Det kan kun LEAD" in await say(world, connector, email, "status")
    assert await snapshot(db) == before  # no broadcast, no outbox row, no plan change
    async with db.sessions() as s:
        assert [(m.id, m.published_at) for m in await s.scalars(select(Material).order_by(Material.id))] == published
    rows = await audit(db)
    ids = {await pid(db, e) for e in (ANNA, METTE, SOFIE, OLE)}
    assert len(rows) == 12 and {r.outcome for r in rows} == {"refused"}
    assert {r.actor_person_id for r in rows} == ids and {r.actor for r in rows} == {f"person:{i}" for i in ids}
    assert {r.action for r in rows} == {"broadcast", "content.publish", "report.status"}
    assert all(r.tenant_id == "a1b2c3d4-e5f6-7890-abcd-ef1234567890" for r in rows)
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused ")]
    assert len(refusals) == 12 and all("person" in m for m in refusals)
    assert "Hemmelig" not in caplog.text and not any("Hemmelig" in r.target for r in rows)


async def test_an_admin_acts_on_their_own_cohort_only_and_every_action_is_audited(
    world: Any, db: Database, connector: FakeConnector
) -> None:
    before = await snapshot(db)
    answer = await say(world, connector, KARI, "udsend hold-2027 all Fortroligt indhold")
    assert "Ikke dit hold" in answer and "ikke administrator for det hold" in answer
    assert "Ikke dit hold" in await say(world, connector, KARI, "status hold-2027")
    assert await snapshot(db) == before
    refused = await audit(db)
    assert [(r.action, r.cohort_key, r.outcome) for r in refused] == [
        ("broadcast", "hold-2027", "refused"),
        ("report.status", "hold-2027", "refused"),
    ]

    assert "Besked sendt" in await say(world, connector, KARI, "udsend alle Kun til hold 2028")
    assert "Besked sendt" in await say(world, connector, LARS, "udsend hold-2027 Talenter Velkommen til talenterne")
    assert "Status" in await say(world, connector, LARS, "status hold-2027")
    async with db.sessions() as s:
        broadcasts = [(b.text, b.role) for b in await s.scalars(select(Broadcast).order_by(Broadcast.id))]
        pia = await s.scalar(select(Person.id).where(Person.email == "pia.talent@vhm.example"))
        outbox = {o.conversation_id for o in await s.scalars(select(OutboxMessage).where(OutboxMessage.broadcast_id.is_not(None)))}
        chats = {c.id: c.person_id for c in await s.scalars(select(Conversation))}
    assert broadcasts == [("Kun til hold 2028", "all"), ("Velkommen til talenterne", "talent")]
    assert pia in {chats[c] for c in outbox}
    allowed = [r for r in await audit(db) if r.outcome == "allowed"]
    assert [(r.actor, r.action, r.cohort_key) for r in allowed] == [
        (f"person:{await pid(db, KARI)}", "broadcast", "hold-2028"),
        (f"person:{await pid(db, LARS)}", "broadcast", "hold-2027"),
        (f"person:{await pid(db, LARS)}", "report.status", "hold-2027"),
    ]
    assert allowed[1].target.startswith("role talent, ") and "recipient" in allowed[1].target
    assert not any("Velkommen" in r.target or "Kun til" in r.target or "Fortroligt" in r.target for r in await audit(db))


async def test_an_admin_of_several_cohorts_names_the_one_to_broadcast_to(world: Any, db: Database, connector: FakeConnector) -> None:
    rows = parse_roster(f"email,name,role,organisation,level,leader_email,mentor_email\n{LARS},Lars Thomsen,admin,LEAD,,,\n", "r.csv")
    await RosterService(db).import_roster("hold-2028", rows, "r.csv")
    answer = await say(world, connector, LARS, "udsend all Hej")
    assert "flere hold" in answer and "hold-2027" in answer and "hold-2028" in answer
    assert "Besked sendt" in await say(world, connector, LARS, "udsend hold-2028 all Hej")
    async with db.sessions() as s:
        assert len(list(await s.scalars(select(Broadcast)))) == 1


# ---- crafted card actions -------------------------------------------------------------------------


async def test_card_actions_naming_someone_elses_items_are_refused_and_change_nothing(
    world: Any, db: Database, connector: FakeConnector
) -> None:
    core = world.app[CORE]
    bo, jens = await pid(db, BO), await pid(db, JENS)
    await core.growth.save_plan(bo, {"aim": "vertical", "individual": "Bos mål"})
    async with db.sessions() as s:
        nudge = await s.scalar(select(PlannedDelivery).where(PlannedDelivery.person_id == bo, PlannedDelivery.kind == "nudge").limit(1))
        survey = await s.scalar(
            select(PlannedDelivery)
            .where(PlannedDelivery.person_id == bo, PlannedDelivery.kind == "survey", PlannedDelivery.activity_key.is_not(None))
            .limit(1)
        )
        readiness = await s.scalar(select(PlannedDelivery).where(PlannedDelivery.person_id == jens, PlannedDelivery.topic == "readiness"))
    assert nudge and survey and readiness
    crafted = [
        {"verb": "done", "plan": nudge.id},
        {"verb": "snooze", "plan": nudge.id, "days": 1},
        {"verb": "nudge-show", "plan": nudge.id},
        {"verb": "evaluate", "plan": survey.id, "rating": "1", "expectations": "nej", "comment": "hacked"},
        {"verb": "readiness", "plan": readiness.id, "talent": bo, "aim": "vertical", "tasks": "simple", "performance": "not-yet"},
        {"verb": "plan-view", "talent": bo},
        {"verb": "plan-save", "talent": bo, "aim": "horizontal", "individual": "overskrevet"},
        {"verb": "plan-edit", "talent": bo},
    ]
    before = await snapshot(db)
    for data in crafted:
        body = await act(world, connector, ANNA, data)
        assert body["statusCode"] == 400, data
        assert "ikke til dig" in body["value"]["message"] or "egen udviklingsplan" in body["value"]["message"], data
    assert await snapshot(db) == before
    rows = await audit(db)
    anna = await pid(db, ANNA)
    assert [r.action for r in rows] == [f"card.{d['verb']}" for d in crafted]
    assert {(r.actor_person_id, r.outcome) for r in rows} == {(anna, "refused")}
    assert rows[0].target == f"plan row {nudge.id}" and rows[5].target == f"plan of person {bo}"
    assert not any("hacked" in r.target or "overskrevet" in r.target for r in rows)

    # marking a material seen names no one: it records the sender's own progress only
    body = await act(world, connector, ANNA, {"verb": "seen", "activity": "kickoff", "topic": "intro", "person": bo})
    assert body["statusCode"] == 200
    async with db.sessions() as s:
        assert [p.person_id for p in await s.scalars(select(Progress))] == [anna]


async def test_a_leader_reads_their_own_talents_plan_but_not_another_leaders_talent(
    world: Any, db: Database, connector: FakeConnector
) -> None:
    core = world.app[CORE]
    anna = await pid(db, ANNA)
    await core.growth.save_plan(anna, {"aim": "vertical", "individual": "Annas eget mål"})
    body = await act(world, connector, METTE, {"verb": "plan-view", "talent": anna})
    assert body["statusCode"] == 200 and "Annas eget mål" in card_text(body["value"])
    assert not any(b.get("type", "").startswith("Input.") for b in body["value"]["body"])  # read-only
    assert "plan-edit" not in json.dumps(body["value"])
    before = await snapshot(db)
    body = await act(world, connector, METTE, {"verb": "plan-save", "talent": anna, "individual": "Lederens version"})
    assert body["statusCode"] == 400
    body = await act(world, connector, JENS, {"verb": "plan-view", "talent": anna})
    assert body["statusCode"] == 400 and "Annas eget mål" not in json.dumps(body)
    assert "Annas eget mål" not in await say(world, connector, JENS, "udviklingsplan")
    assert await snapshot(db) == before
    assert [(r.actor_person_id, r.action) for r in await audit(db)] == [
        (await pid(db, METTE), "card.plan-save"),
        (await pid(db, JENS), "card.plan-view"),
    ]


async def test_instructors_and_mentors_never_see_development_plans(world: Any, db: Database, connector: FakeConnector) -> None:
    core = world.app[CORE]
    anna = await pid(db, ANNA)
    await core.growth.save_plan(anna, {"aim": "vertical", "individual": "Annas eget mål"})
    for email in (SOFIE, OLE, LARS):  # instructor, Anna's own mentor, and an admin
        body = await act(world, connector, email, {"verb": "plan-view", "talent": anna})
        assert body["statusCode"] == 400 and "Annas eget mål" not in json.dumps(body)
        answer = await say(world, connector, email, "udviklingsplan")
        assert "Ingen udviklingsplan" in answer and "Annas eget mål" not in answer
    assert len([r for r in await audit(db) if r.action == "card.plan-view" and r.outcome == "refused"]) == 3
    assert rules.can_answer_questions(await core.directory.profile(await pid(db, SOFIE)))  # instructors answer questions


# ---- the command line ------------------------------------------------------------------------------


async def cli(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


async def test_cli_actions_are_audited_without_texts_or_emails(
    world: Any,
    db: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("USER", "lead-operator")
    monkeypatch.setenv("LOGNAME", "lead-operator")
    assert await cli("broadcast", "--cohort", "hold-2027", "--text", "Meget privat tekst", "--role", "talent") == 0
    assert await cli("plan", "--cohort", "hold-2027", "--person", ANNA, "--json") == 0
    assert await cli("attendance", "absent", "--cohort", "hold-2027", "--person", BO, "--activity", "m1", "--note", "syg") == 0
    assert await cli("buddies", "show", "--cohort", "hold-2027") == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("email,name,role\nnot-an-email,X,boss\n", encoding="utf-8")
    assert await cli("roster", "import", str(bad), "--cohort", "hold-2027") == 1
    assert await cli("report", "--cohort", "hold-2027", "--csv", str(tmp_path / "r.csv")) == 0
    capsys.readouterr()

    assert await cli("audit", "--cohort", "hold-2027", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(r["action"], r["outcome"]) for r in shown] == [
        ("broadcast", "allowed"),
        ("plan.export", "allowed"),
        ("attendance.absent", "allowed"),
        ("buddies.show", "allowed"),
        ("roster.import", "failed"),
        ("report.export", "allowed"),
    ]
    assert {r["actor"] for r in shown} == {"cli:lead-operator"}
    assert shown[0]["target"] == "role talent, 18 characters"
    assert shown[1]["target"] == f"person:{await pid(db, ANNA)}, json"
    assert shown[2]["target"] == f"person:{await pid(db, BO)}, activity m1"
    everything = json.dumps(shown)
    assert "privat" not in everything and "@" not in everything and "syg" not in everything
    assert await cli("audit", "--cohort", "hold-2027") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and "cli:lead-operator" in lines[0] and "broadcast" in lines[0]
    assert await cli("audit", "--cohort", "hold-2028", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
