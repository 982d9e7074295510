"""Graph roster sync: reach everyone on the roster through a loopback Graph and token endpoint."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.config import DEFAULT_BOT_SERVICE_URL, REPO_ROOT, ConfigError, Settings
from bot.delivery.graph import GRAPH_SCOPE, GraphClient, graph_scope
from bot.services.core import build_core
from bot.services.graph_sync import (
    ALREADY_REACHED,
    REACHED,
    UNREACHABLE,
    GraphSyncError,
    PersonOutcome,
    SyncResult,
    check_settings,
    sync_roster,
)
from bot.storage.db import Database
from bot.storage.models import Cohort, Conversation, Membership, Person
from manifest.package import resolve_values
from tests.fakes.graph import FakeGraph
from tests.support import NOW

APP_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "graph-test-secret"
TENANT = "66666666-7777-8888-9999-000000000000"
COHORT = "hold-graph"


class Sleeps:
    """An injectable sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def graph_env(fake: FakeGraph, database_url: str, **extra: str) -> dict[str, str]:
    """The environment an operator sets for the sync, pointed at the fakes."""
    return {
        "DATABASE_URL": database_url,
        "MicrosoftAppId": APP_ID,
        "MicrosoftAppPassword": SECRET,
        "MicrosoftAppTenantId": TENANT,
        "GRAPH_ENABLED": "1",
        "GRAPH_BASE_URL": fake.graph_url,
        "LOGIN_AUTHORITY": fake.authority,
        **extra,
    }


@pytest.fixture
async def fake(tmp_path: Path) -> AsyncIterator[FakeGraph]:
    graph = FakeGraph(TENANT, APP_ID, SECRET, bot_app_id=APP_ID)
    await graph.start(tmp_path / "tls")
    yield graph
    await graph.stop()


@pytest.fixture
def gsettings(fake: FakeGraph, settings: Settings) -> Settings:
    return Settings.from_env(graph_env(fake, settings.database_url))


async def seed(db: Database, people: list[tuple[str, str]], *, tenant: str | None = TENANT) -> None:
    """A cohort with these (email, name) people on its roster."""
    async with db.sessions() as session, session.begin():
        cohort = Cohort(key=COHORT, name="Talent Nord – hold graph", tenant_id=tenant)
        session.add(cohort)
        await session.flush()
        for email, name in people:
            person = Person(email=email, name=name, organisation="Aalborg Kommune")
            session.add(person)
            await session.flush()
            session.add(Membership(cohort_id=cohort.id, person_id=person.id, role="talent", level="leder-af-medarbejdere"))


async def run(db: Database, s: Settings, fake: FakeGraph, sleeps: Sleeps | None = None, **kw: object) -> SyncResult:
    return await sync_roster(db, s, COHORT, sleep=sleeps or Sleeps(), verify=str(fake.ca_path), **kw)  # type: ignore[arg-type]


def by_email(result: SyncResult) -> dict[str, PersonOutcome]:
    return {p.email: p for p in result.people}


# -- settings ---------------------------------------------------------------------------------


def test_graph_settings_default_to_the_global_graph_emea_service_url_and_the_packagers_app_id() -> None:
    s = Settings.from_env({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "x", "MicrosoftAppTenantId": TENANT})
    assert not s.graph_enabled
    assert s.graph_base_url == "https://graph.microsoft.com/v1.0"
    assert s.bot_service_url == DEFAULT_BOT_SERVICE_URL == "https://smba.trafficmanager.net/emea/"
    # the same id `make package` writes into the manifest, so the catalog lookup finds that app
    assert s.teams_app_id == resolve_values({"MicrosoftAppId": APP_ID})["TEAMS_APP_ID"]
    explicit = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert Settings.from_env({"TEAMS_APP_ID": explicit.upper()}).teams_app_id == explicit
    assert Settings.from_env({}).teams_app_id == ""


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TEAMS_APP_ID": "not-a-guid"}, "TEAMS_APP_ID"),
        ({"GRAPH_ENABLED": "perhaps"}, "GRAPH_ENABLED"),
        ({"GRAPH_BASE_URL": "graph.microsoft.com"}, "GRAPH_BASE_URL"),
        ({"BOT_SERVICE_URL": "smba"}, "BOT_SERVICE_URL"),
    ],
)
def test_bad_graph_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    assert err.value.variable == variable


def test_scope_follows_the_graph_host() -> None:
    assert graph_scope("https://graph.microsoft.com/v1.0") == GRAPH_SCOPE == "https://graph.microsoft.com/.default"
    assert graph_scope("http://127.0.0.1:8080/v1.0") == GRAPH_SCOPE
    assert graph_scope("https://graph.microsoft.us/v1.0") == "https://graph.microsoft.us/.default"


def test_odata_query_values_use_percent_20_never_plus() -> None:
    client = GraphClient("https://graph.microsoft.com/v1.0/", tokens=None)  # type: ignore[arg-type]
    url = client.url("/users", {"$filter": "mail eq 'o''brien+tn@x.dk'"})
    assert url == "https://graph.microsoft.com/v1.0/users?$filter=mail%20eq%20'o''brien%2Btn@x.dk'"


def test_sync_refuses_without_graph_enabled_or_credentials(settings: Settings) -> None:
    with pytest.raises(GraphSyncError, match="GRAPH_ENABLED=1"):
        check_settings(settings)
    with pytest.raises(GraphSyncError, match="MicrosoftAppId and MicrosoftAppPassword"):
        check_settings(replace(settings, graph_enabled=True))
    with pytest.raises(GraphSyncError, match="MicrosoftAppPassword"):
        check_settings(Settings.from_env({"GRAPH_ENABLED": "1", "MicrosoftAppId": APP_ID, "MicrosoftAppType": "UserAssignedMSI"}))


async def test_cli_refuses_without_graph_enabled(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("GRAPH_ENABLED", raising=False)
    assert await asyncio.to_thread(main, ["roster", "sync", "--cohort", COHORT]) == 1
    captured = capsys.readouterr()
    assert "GRAPH_ENABLED=1" in captured.err and captured.out == ""
    monkeypatch.setenv("GRAPH_ENABLED", "1")
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    assert await asyncio.to_thread(main, ["roster", "sync", "--cohort", COHORT]) == 1
    assert "MicrosoftAppId" in capsys.readouterr().err


# -- the sync ---------------------------------------------------------------------------------


async def test_sync_installs_the_app_stores_each_chat_and_links_the_person(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    catalog_id = fake.publish(gsettings.teams_app_id)
    anna = fake.add_user("anna@aalborg.example", "Anna Holm")
    bo = fake.add_user("bo@rn.example", "Bo Dahl")
    carl = fake.add_user("carl.berg@hjoerring.example", "Carl Berg", upn="cb123@hjoerring.onmicrosoft.com")
    fake.preinstall(bo)
    await seed(db, [("anna@aalborg.example", "Anna Holm"), ("bo@rn.example", "Bo Dahl"), ("carl.berg@hjoerring.example", "Carl Berg")])

    result = await run(db, gsettings, fake)

    people = by_email(result)
    assert [p.status for p in result.people] == [REACHED, REACHED, REACHED]
    assert people["anna@aalborg.example"].installed and not people["bo@rn.example"].installed
    assert result.catalog_app_id == catalog_id and result.installed == 2
    posts = fake.posts()
    assert sorted(p.path for p in posts) == sorted(f"/users/{u}/teamwork/installedApps" for u in (anna, carl))
    assert all(p.body == {"teamsApp@odata.bind": f"{fake.graph_url}/appCatalogs/teamsApps/{catalog_id}"} for p in posts)
    # carl's roster address is his mail, not his UPN: found through $filter=mail eq '…'
    assert any(r.path == "/users" and r.query["$filter"] == "mail eq 'carl.berg@hjoerring.example'" for r in fake.requests)
    # one app-only token for the cohort's tenant, with the Graph scope, and every call carries it
    assert [(t["tenant"], t["client_id"], t["scope"]) for t in fake.token_requests] == [(TENANT, APP_ID, GRAPH_SCOPE)]
    assert all(r.authorization and r.authorization.startswith("Bearer ") for r in fake.requests)

    async with db.sessions() as session:
        rows = {p.email: p for p in await session.scalars(select(Person))}
        conversations = {c.person_id: c for c in await session.scalars(select(Conversation))}
    for email, uid in (("anna@aalborg.example", anna), ("bo@rn.example", bo), ("carl.berg@hjoerring.example", carl)):
        person = rows[email]
        assert person.aad_object_id == uid and person.tenant_id == TENANT
        chat = conversations[person.id]
        assert chat.conversation_id == fake.chat_id(uid) == people[email].chat_id
        assert chat.kind == "personal" and chat.service_url == DEFAULT_BOT_SERVICE_URL and chat.tenant_id == TENANT
        assert chat.unreachable_at is None
        assert chat.reference["conversation"] == {
            "id": fake.chat_id(uid),
            "conversationType": "personal",
            "isGroup": False,
            "tenantId": TENANT,
        }
        assert chat.reference["bot"]["id"] == f"28:{APP_ID}" and chat.reference["user"]["aadObjectId"] == uid
        assert chat.reference["channelId"] == "msteams" and chat.reference["serviceUrl"] == DEFAULT_BOT_SERVICE_URL


async def test_synced_people_can_be_reached_by_the_plan_and_broadcasts(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.publish(gsettings.teams_app_id)
    fake.add_user("anna@aalborg.example", "Anna Holm")
    await seed(db, [("anna@aalborg.example", "Anna Holm")])
    core = build_core(db, gsettings, lambda: NOW)
    before = await core.broadcaster.broadcast(COHORT, "Velkommen", "all")
    assert before.unreachable == ["anna@aalborg.example"]
    await run(db, gsettings, fake)
    after = await core.broadcaster.broadcast(COHORT, "Velkommen igen", "all")
    assert after.unreachable == [] and after.queued == 1


async def test_second_run_changes_nothing_and_makes_no_posts(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.publish(gsettings.teams_app_id)
    for n in range(5):
        fake.add_user(f"talent{n}@aalborg.example", f"Talent {n}")
    await seed(db, [(f"talent{n}@aalborg.example", f"Talent {n}") for n in range(5)])
    first = await run(db, gsettings, fake)
    assert first.count(REACHED) == 5

    async def snapshot() -> list[tuple[object, ...]]:
        async with db.sessions() as session:
            convs = [
                (c.conversation_id, c.person_id, c.reference, c.updated_at)
                for c in await session.scalars(select(Conversation).order_by(Conversation.id))
            ]
            people = [
                (p.email, p.aad_object_id, p.tenant_id, p.updated_at) for p in await session.scalars(select(Person).order_by(Person.id))
            ]
        return convs + people

    stored = await snapshot()
    fake.requests.clear()
    second = await run(db, gsettings, fake)
    assert [p.status for p in second.people] == [ALREADY_REACHED] * 5 and second.installed == 0
    assert fake.posts() == []
    assert [(r.method, r.path) for r in fake.requests] == [("GET", "/appCatalogs/teamsApps")]  # only the catalog check
    assert await snapshot() == stored


async def test_a_chat_marked_unreachable_is_reinstalled_and_reachable_again(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.publish(gsettings.teams_app_id)
    uid = fake.add_user("anna@aalborg.example", "Anna Holm")
    await seed(db, [("anna@aalborg.example", "Anna Holm")])
    await run(db, gsettings, fake)
    await build_core(db, gsettings, lambda: NOW).directory.mark_unreachable(fake.chat_id(uid), "403 from the connector")
    del fake.installed[uid]  # she removed the app
    again = await run(db, gsettings, fake)
    assert again.people[0].status == REACHED and again.people[0].installed
    async with db.sessions() as session:
        assert (await session.scalar(select(Conversation))).unreachable_at is None  # type: ignore[union-attr]


async def test_throttling_honours_retry_after_and_transient_errors_back_off(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.publish(gsettings.teams_app_id)
    fake.add_user("anna@aalborg.example", "Anna Holm")
    await seed(db, [("anna@aalborg.example", "Anna Holm")])
    fake.throttle_first, fake.retry_after, fake.transient_503 = 2, "3", 2
    sleeps = Sleeps()
    result = await run(db, gsettings, fake, sleeps)
    assert result.people[0].status == REACHED
    # the catalog GET is the first call: 429, 429, 503, 503, then 200
    assert [r.path for r in fake.requests[:5]] == ["/appCatalogs/teamsApps"] * 5
    assert sleeps.calls[:2] == [3.0, 3.0]
    assert len(sleeps.calls) == 4 and 0 <= sleeps.calls[2] <= 8 and 0 <= sleeps.calls[3] <= 16


async def test_a_timeout_is_retried(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.publish(gsettings.teams_app_id)
    fake.add_user("anna@aalborg.example", "Anna Holm")
    await seed(db, [("anna@aalborg.example", "Anna Holm")])
    # the first call hangs well past the timeout; the timeout itself is long enough that no other
    # call (TLS to the token endpoint included) runs out of time on a loaded machine
    fake.slow_first, fake.slow_seconds = 1, 60
    sleeps = Sleeps()
    result = await run(db, gsettings, fake, sleeps, timeout=1.5)
    assert result.people[0].status == REACHED
    assert len(sleeps.calls) == 1 and [r.path for r in fake.requests[:2]] == ["/appCatalogs/teamsApps"] * 2


async def test_graph_that_stays_down_fails_clearly_after_the_last_attempt(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.publish(gsettings.teams_app_id)
    await seed(db, [("anna@aalborg.example", "Anna Holm")])
    fake.transient_503 = 100
    sleeps = Sleeps()
    with pytest.raises(GraphSyncError, match="503"):
        await run(db, gsettings, fake, sleeps, max_attempts=3)
    assert len(fake.requests) == 3 and len(sleeps.calls) == 2


async def test_unreachable_people_are_listed_with_danish_reasons(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.publish(gsettings.teams_app_id)
    fake.add_user("anna@aalborg.example", "Anna Holm")
    blocked = fake.add_user("bo@rn.example", "Bo Dahl")
    fake.forbidden.add(blocked)
    raced = fake.add_user("dea@frederikshavn.example", "Dea Lund")
    fake.race.add(raced)
    await seed(
        db,
        [
            ("anna@aalborg.example", "Anna Holm"),
            ("bo@rn.example", "Bo Dahl"),
            ("ghost@nowhere.example", "Gert Ghost"),
            ("dea@frederikshavn.example", "Dea Lund"),
        ],
    )
    result = await run(db, gsettings, fake)
    people = by_email(result)
    assert people["anna@aalborg.example"].status == REACHED
    assert people["ghost@nowhere.example"].status == UNREACHABLE
    assert people["ghost@nowhere.example"].reason == "ikke fundet i Entra ID"
    assert people["bo@rn.example"].status == UNREACHABLE
    assert people["bo@rn.example"].reason.startswith("mangler tilladelse: TeamsAppInstallation.ReadWriteSelfForUser.All")
    # Dea got the app a moment before us: the POST's 409 is fine, she is reached without us installing
    assert people["dea@frederikshavn.example"].status == REACHED and not people["dea@frederikshavn.example"].installed
    assert [r.path for r in fake.posts()].count(f"/users/{raced}/teamwork/installedApps") == 1
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 2


async def test_two_roster_emails_for_one_entra_user_are_caught(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.publish(gsettings.teams_app_id)
    fake.add_user("anna.holm@aalborg.example", "Anna Holm", upn="anna@aalborg.example")
    await seed(db, [("anna@aalborg.example", "Anna Holm"), ("anna.holm@aalborg.example", "Anna Holm")])
    result = await run(db, gsettings, fake)
    assert sorted(p.status for p in result.people) == [REACHED, UNREACHABLE]
    unreachable = next(p for p in result.people if p.status == UNREACHABLE)
    assert unreachable.reason is not None and unreachable.reason.startswith("samme Entra ID-bruger som")


async def test_app_missing_from_the_org_catalog_fails_the_whole_sync(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.add_user("anna@aalborg.example", "Anna Holm")
    await seed(db, [("anna@aalborg.example", "Anna Holm")])
    with pytest.raises(GraphSyncError, match="not published in the org catalog") as err:
        await run(db, gsettings, fake)
    assert gsettings.teams_app_id in str(err.value)
    assert [r.path for r in fake.requests] == ["/appCatalogs/teamsApps"]  # nobody was touched
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0


async def test_a_wrong_secret_fails_with_entras_reason_and_never_shows_the_secret(
    db: Database, gsettings: Settings, fake: FakeGraph
) -> None:
    fake.publish(gsettings.teams_app_id)
    await seed(db, [("anna@aalborg.example", "Anna Holm")])
    fake.client_secret = "the-real-one"
    with pytest.raises(GraphSyncError) as err:
        await run(db, gsettings, fake)
    assert "invalid_client" in str(err.value) and "AADSTS7000215" in str(err.value)
    assert SECRET not in str(err.value) and fake.requests == []


async def test_the_tenant_comes_from_the_cohort_else_the_bots_own(db: Database, gsettings: Settings, fake: FakeGraph) -> None:
    fake.publish(gsettings.teams_app_id)
    await seed(db, [], tenant=None)
    result = await run(db, gsettings, fake)
    assert result.tenant_id == TENANT and fake.token_requests[0]["tenant"] == TENANT
    with pytest.raises(GraphSyncError, match="no tenant"):
        await run(db, replace(gsettings, app_tenant_id=""), fake)
    with pytest.raises(GraphSyncError, match="no cohort"):
        await sync_roster(db, gsettings, "nope", sleep=Sleeps(), verify=str(fake.ca_path))


# -- the command line -------------------------------------------------------------------------


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`python -m bot …` as LEAD runs it, without blocking the loop the fakes serve on."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_cli_prints_everyone_as_json_and_text(db: Database, settings: Settings, fake: FakeGraph) -> None:
    s = Settings.from_env(graph_env(fake, settings.database_url))
    fake.add_user("anna@aalborg.example", "Anna Holm")
    await seed(db, [("anna@aalborg.example", "Anna Holm"), ("ghost@nowhere.example", "Gert Ghost")])
    # The operator's way to trust a private CA: requests (inside msal) reads REQUESTS_CA_BUNDLE.
    env = {**os.environ, **graph_env(fake, settings.database_url), "REQUESTS_CA_BUNDLE": str(fake.ca_path)}

    code, out, err = await _cli(env, "roster", "sync", "--cohort", COHORT, "--json")
    assert code == 1 and out == "" and "not published in the org catalog" in err

    fake.publish(s.teams_app_id)
    code, out, err = await _cli(env, "roster", "sync", "--cohort", COHORT, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["counts"] == {"reached": 1, "already_reached": 0, "unreachable": 1}
    assert [(p["email"], p["status"], p["reason"]) for p in data["people"]] == [
        ("anna@aalborg.example", "reached", None),
        ("ghost@nowhere.example", "unreachable", "ikke fundet i Entra ID"),
    ]
    assert data["people"][0]["chatId"].startswith("19:") and data["tenantId"] == TENANT
    assert "1 reached" in err
    # a line per person on stderr as each is done, with the count so far
    progress = [line.split() for line in err.splitlines() if line.startswith("[")]
    assert sorted(p[0] for p in progress) == ["[1/2]", "[2/2]"]
    assert {(p[1], p[2]) for p in progress} == {("reached", "anna@aalborg.example"), ("unreachable", "ghost@nowhere.example")}

    code, out, _ = await _cli(env, "roster", "sync", "--cohort", COHORT)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["already_reached", "anna@aalborg.example"]
    assert lines[1].split()[:2] == ["unreachable", "ghost@nowhere.example"] and lines[1].endswith("– ikke fundet i Entra ID")
    assert fake.posts() and all(p.path.endswith("/teamwork/installedApps") for p in fake.posts())
    assert len(fake.posts()) == 1  # the second run installed nothing
