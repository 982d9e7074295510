"""Tenant isolation: two client organisations on one deployment never see or touch each other's data."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from app import CORE
from bot.cli import main
from bot.config import Settings
from bot.content.cohort import parse_cohort
from bot.content.yamlfile import load_yaml_text
from bot.domain.access import scope_to_tenant, visible_in_tenant
from bot.domain.errors import FileErrors
from bot.domain.people import Profile, RoleInCohort
from bot.domain.roster import parse_roster
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Base, Broadcast, Cohort, Conversation, OutboxMessage, Person
from tests.fakes.connector import FakeConnector, card_text
from tests.support import EXAMPLE_COHORT, NOW, Clock, personal_message, start_server, teams_activity

TA, TB = "11111111-aaaa-4aaa-8aaa-000000000001", "22222222-bbbb-4bbb-8bbb-000000000002"
HEADER = "email,name,role,organisation,level,leader_email,mentor_email\n"


def roster(domain: str) -> str:
    """The same-looking roster for each organisation: same names and roles, the organisation's own emails."""
    return HEADER + (
        f"leder@{domain},Mette Kristensen,leader,Kommune,,,\n"
        f"anna@{domain},Anna Jensen,talent,Kommune,leder-af-medarbejdere,leder@{domain},\n"
        f"admin@{domain},Lars Thomsen,admin,LEAD,,,\n"
    )


def cohort_yaml(key: str, tenant: str | None) -> str:
    text = EXAMPLE_COHORT.read_text(encoding="utf-8").replace("key: hold-2027", f"key: {key}")
    return text + (f"tenant: {tenant}\n" if tenant else "")


async def import_cohort(db: Database, programme: Any, key: str, tenant: str | None, domain: str) -> None:
    text = cohort_yaml(key, tenant)
    await RosterService(db).import_cohort(parse_cohort(load_yaml_text(text, f"{key}.yaml"), f"{key}.yaml", programme))
    await RosterService(db).import_roster(key, parse_roster(roster(domain), f"{key}.csv"), f"{key}.csv")


def message(text: str, connector: FakeConnector, *, n: int, tenant: str | None, email: str | None) -> dict[str, Any]:
    """A personal-chat message from user n in a tenant (None: a payload with no tenant at all, as some local tools send)."""
    activity = personal_message(text, connector)
    activity["from"] = {"id": f"29:user-{n}", "name": "Anna Jensen", "aadObjectId": f"00000000-0000-0000-0000-{n:012d}"}
    activity["conversation"] = {"conversationType": "personal", "id": f"a:chat-{n}-{tenant}"}
    if tenant is None:
        activity["channelData"] = {}  # Teams always sends channelData; here without a tenant
    else:
        activity["conversation"]["tenantId"] = tenant
        activity["channelData"] = {"tenant": {"id": tenant}}
    if email:
        connector.know(activity["from"], email)
    return activity


async def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit log, in primary-key order."""
    out = {}
    async with db.sessions() as s:
        for table in Base.metadata.sorted_tables:
            if table.name == "audit_log":
                continue
            rows = (await s.execute(select(table).order_by(*table.primary_key.columns))).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


@pytest.fixture
async def two(db: Database, programme: Any, settings: Settings, connector: FakeConnector) -> Any:
    await import_cohort(db, programme, "nord-a", TA, "a.example")
    await import_cohort(db, programme, "nord-b", TB, "b.example")
    server = await start_server(settings, Clock(NOW))
    for key in ("nord-a", "nord-b"):
        await server.app[CORE].planner.replan(key)
    yield server
    await server.close()


def test_a_cohort_without_a_tenant_serves_any_and_a_profile_keeps_only_its_tenants_roles() -> None:
    assert visible_in_tenant(None, TA) and visible_in_tenant(None, None) and visible_in_tenant(TA, TA)
    assert not visible_in_tenant(TA, TB) and not visible_in_tenant(TA, None)
    profile = Profile(
        1,
        "",
        "",
        "",
        (
            RoleInCohort(1, "a", "A", "Europe/Copenhagen", "admin", tenant_id=TA),
            RoleInCohort(2, "l", "L", "Europe/Copenhagen", "talent", tenant_id=None),
        ),
    )
    assert [r.cohort_key for r in scope_to_tenant(profile, TA).roles] == ["a", "l"]
    assert [r.cohort_key for r in scope_to_tenant(profile, TB).roles] == ["l"]


async def test_imports_bind_people_to_their_cohorts_tenant(two: Any, db: Database) -> None:
    async with db.sessions() as s:
        people = {p.email: p.tenant_id for p in await s.scalars(select(Person))}
        cohorts = {c.key: c.tenant_id for c in await s.scalars(select(Cohort))}
    assert cohorts == {"nord-a": TA, "nord-b": TB}
    assert people == {
        **{f"{w}@a.example": TA for w in ("leder", "anna", "admin")},
        **{f"{w}@b.example": TB for w in ("leder", "anna", "admin")},
    }


async def test_a_message_from_tenant_b_never_reads_or_writes_tenant_a(two: Any, db: Database, connector: FakeConnector) -> None:
    await two.post(message("næste", connector, n=1, tenant=TA, email="anna@a.example"))
    assert "Kick-off" in connector.texts()[-1]  # Anna of A is linked by her AAD id in tenant A
    before = await dump(db)

    # tenant B presents A's Anna's AAD id and email (a guest account, or a forged payload): a stranger
    await two.post(message("næste", connector, n=1, tenant=TB, email="anna@a.example"))
    assert "kan ikke finde dig på deltagerlisten" in connector.texts()[-1]
    await two.post(message("udviklingsplan", connector, n=1, tenant=TB, email="anna@a.example"))
    async with db.sessions() as s:
        row = (await s.scalars(select(Person).where(Person.email == "anna@a.example"))).one()
        nudge = await s.scalar(select(OutboxMessage.id).limit(1))
    invoke = teams_activity("invoke-adaptiveCard-action-personal", serviceUrl=connector.url)
    forged = message("x", connector, n=1, tenant=TB, email=None)
    invoke["from"], invoke["conversation"], invoke["channelData"] = forged["from"], forged["conversation"], forged["channelData"]
    invoke["value"]["action"]["data"] = {"verb": "plan-save", "individual": "skrevet fra B"}
    async with two.http.post(two.url + "/api/messages", json=invoke) as resp:
        body = await resp.json()
    assert "kan ikke finde dig" in card_text(body["value"]) and nudge is None
    # and no tenant at all does not reach a tenant's cohort either
    await two.post(message("næste", connector, n=1, tenant=None, email="anna@a.example"))
    assert "kan ikke finde dig på deltagerlisten" in connector.texts()[-1]
    assert await dump(db) == before, "a message from another tenant changed tenant A's data"
    assert row.tenant_id == TA and row.aad_object_id == "00000000-0000-0000-0000-000000000001"


async def test_same_looking_people_in_two_tenants_each_see_only_their_own(two: Any, db: Database, connector: FakeConnector) -> None:
    core = two.app[CORE]
    async with db.sessions() as s:
        ids = {p.email: p.id for p in await s.scalars(select(Person))}
    await core.growth.save_plan(ids["anna@a.example"], {"aim": "vertical", "individual": "Plan i A"})
    await core.growth.save_plan(ids["anna@b.example"], {"aim": "vertical", "individual": "Plan i B"})
    for n, tenant, domain in ((1, TA, "a.example"), (2, TB, "b.example")):
        await two.post(message("udviklingsplan", connector, n=10 + n, tenant=tenant, email=f"leder@{domain}"))
        shown = connector.texts()[-1]
        assert f"Plan i {'A' if n == 1 else 'B'}" in shown and f"Plan i {'B' if n == 1 else 'A'}" not in shown

    # B's admin broadcasts: only B's people get it; A's cohort is out of reach even by name
    await two.post(message("hej", connector, n=21, tenant=TA, email="anna@a.example"))  # A's Anna has a chat
    await two.post(message("hej", connector, n=22, tenant=TB, email="anna@b.example"))
    await two.post(message("udsend all Kun for B", connector, n=23, tenant=TB, email="admin@b.example"))
    assert "Besked sendt" in connector.texts()[-1]
    await two.post(message("udsend nord-a all Forsøg på A", connector, n=23, tenant=TB, email="admin@b.example"))
    assert "Ikke dit hold" in connector.texts()[-1]
    await two.post(message("status nord-a", connector, n=23, tenant=TB, email="admin@b.example"))
    assert "Ikke dit hold" in connector.texts()[-1]
    async with db.sessions() as s:
        broadcasts = [(b.cohort_id, b.text) for b in await s.scalars(select(Broadcast))]
        cohort_b = await s.scalar(select(Cohort.id).where(Cohort.key == "nord-b"))
        reached = set(
            await s.scalars(
                select(Conversation.person_id)
                .join(OutboxMessage, OutboxMessage.conversation_id == Conversation.id)
                .where(OutboxMessage.broadcast_id.is_not(None))
            )
        )
        refused = [
            (a.action, a.cohort_key, a.tenant_id)
            for a in await s.scalars(select(AuditEntry).where(AuditEntry.outcome == "refused").order_by(AuditEntry.id))
        ]
    assert broadcasts == [(cohort_b, "Kun for B")]
    assert ids["anna@b.example"] in reached and all(p in {ids[f"{w}@b.example"] for w in ("anna", "leder", "admin")} for p in reached)
    assert refused == [("broadcast", "nord-a", TB), ("report.status", "nord-a", TB)]


async def test_a_person_belongs_to_one_tenant_and_a_cross_tenant_roster_writes_nothing(two: Any, db: Database, programme: Any) -> None:
    before = await dump(db)
    rows = parse_roster(HEADER + "anna@a.example,Anna Jensen,leader,Kommune,,,\nny@b.example,Ny,leader,Kommune,,,\n", "x.csv")
    with pytest.raises(FileErrors) as info:
        await RosterService(db).import_roster("nord-b", rows, "x.csv")
    assert [str(e) for e in info.value.errors] == [
        "x.csv:2: anna@a.example is on cohort nord-a of another tenant; a person can belong to one tenant only"
    ]
    assert await dump(db) == before
    # a tenant given to a cohort later binds its people, and is refused when one of them is elsewhere
    await RosterService(db).import_cohort(parse_cohort(load_yaml_text(cohort_yaml("lokal", None), "l.yaml"), "l.yaml", programme))
    await RosterService(db).import_roster("lokal", parse_roster(HEADER + "anna@a.example,Anna Jensen,leader,K,,,\n", "l.csv"), "l.csv")
    with pytest.raises(FileErrors) as info:
        await RosterService(db).import_cohort(parse_cohort(load_yaml_text(cohort_yaml("lokal", TB), "l.yaml"), "l.yaml", programme))
    assert "anna@a.example is on cohort nord-a of another tenant" in str(info.value)
    async with db.sessions() as s:
        assert await s.scalar(select(Cohort.tenant_id).where(Cohort.key == "lokal")) is None


async def test_cohort_import_takes_its_tenant_from_the_flag_and_is_audited(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    path = tmp_path / "c.yaml"
    path.write_text(cohort_yaml("nord-c", TA), encoding="utf-8")
    assert await asyncio.to_thread(main, ["cohort", "import", str(path), "--tenant", TB]) == 0
    async with db.sessions() as s:
        assert await s.scalar(select(Cohort.tenant_id).where(Cohort.key == "nord-c")) == TB
        entry = (await s.scalars(select(AuditEntry))).one()
    assert (entry.action, entry.cohort_key, entry.tenant_id, entry.outcome) == ("cohort.import", "nord-c", TB, "allowed")
    assert entry.target == f"file c.yaml, tenant {TB}" and entry.actor.startswith("cli:")


async def test_local_mode_without_tenants_keeps_working(db: Database, programme: Any, settings: Settings, connector: FakeConnector) -> None:
    await import_cohort(db, programme, "lokal", None, "l.example")
    server = await start_server(settings, Clock(NOW))
    try:
        await server.post(message("næste", connector, n=31, tenant=None, email="anna@l.example"))
        assert "Kick-off" in connector.texts()[-1]
        # the Playground's fixed tenant reaches a cohort without one as well
        await server.post(message("næste", connector, n=32, tenant="00000000-0000-0000-0000-0000000000001", email="leder@l.example"))
        assert "Kick-off" in connector.texts()[-1]
    finally:
        await server.close()
