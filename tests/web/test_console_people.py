"""LEAD-konsol's Deltagere through the real app: one person edited in place, previewed, confirmed once, plans following."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.appkeys import CORE
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Person, PlannedDelivery
from tests.support import Server, seed, start_server
from tests.support.console import ANNA, LARS, leader_of

METTE, JENS, OLE = "mette.leder@aalborg.example", "jens.leder@rn.example", "ole.mentor@frederikshavn.example"


@pytest.fixture
async def console(db: Database, programme: Any, settings: Settings) -> AsyncIterator[Server]:
    """The real app with the example cohort, planned as after an import."""
    await seed(db, programme)
    server = await start_server(settings)
    await server.app[CORE].planner.replan("hold-2027")
    yield server
    await server.close()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&").replace("&#39;", "'")


async def csrf(server: Server, email: str = LARS) -> str:
    async with server.http.get(f"{server.url}/console?as={email}") as resp:
        match = re.search(r'name="csrf" value="([^"]*)"', await resp.text())
    assert match
    return match.group(1)


async def post(server: Server, path: str, form: dict[str, str], email: str = LARS) -> tuple[int, str]:
    async with server.http.post(f"{server.url}{path}?as={email}", data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text()


def anna_form(token: str, **values: str) -> dict[str, str]:
    """Anna's edit form as the page sends it: every field, with the ones the admin changed."""
    fields = {"new_role": "talent", "level": "leder-af-medarbejdere", "leader": METTE, "mentor": OLE, **values}
    return {"csrf": token, "cohort": "hold-2027", "email": ANNA, "role": "talent", **fields}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no field {name}"
    return match.group(1)


async def planned_for(db: Database, email: str) -> int:
    async with db.sessions() as s:
        person = await s.scalar(select(Person.id).where(Person.email == email))
        query = (
            select(func.count())
            .select_from(PlannedDelivery)
            .where(PlannedDelivery.person_id == person, PlannedDelivery.status == "planned")
        )
        return int(await s.scalar(query) or 0)


async def edits(db: Database) -> list[AuditEntry]:
    async with db.sessions() as s:
        return list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "roster.edit")))


async def test_the_list_shows_each_person_with_leader_and_mentor(console: Server) -> None:
    async with console.http.get(f"{console.url}/console?as={LARS}") as resp:
        text = text_of(await resp.text())
    assert "Holdets deltagere (12)" in text
    assert (
        "Anna Jensen anna.talent@aalborg.example · talent · leder af medarbejdere Nærmeste leder: Mette Kristensen · Mentor: Ole Andersen"
        in text
    )


async def test_a_new_leader_is_previewed_without_writing_then_confirmed_once_and_the_plan_follows(console: Server, db: Database) -> None:
    mette_rows, jens_rows = await planned_for(db, METTE), await planned_for(db, JENS)
    status, html = await post(console, "/console/people/preview", anna_form(await csrf(console), leader=JENS))
    text = text_of(html)
    assert status == 200 and "Forhåndsvisning – intet er gemt endnu" in text
    assert f"Ændres: Anna Jensen ({ANNA}), talent: nærmeste leder: {METTE} → {JENS}" in text
    plan = re.search(r"Planen: (\d+) beskeder tilføjes, (\d+) flyttes, (\d+) udgår", text)
    assert plan and int(plan.group(1)) > 0 and int(plan.group(3)) > 0  # Jens gets the leader's rows about Anna, Mette's go
    assert await leader_of(db, ANNA) == METTE and await edits(db) == []  # the preview wrote nothing
    assert (await planned_for(db, METTE), await planned_for(db, JENS)) == (mette_rows, jens_rows)

    confirm = {**anna_form(hidden(html, "csrf"), leader=JENS), "fingerprint": hidden(html, "fingerprint"), "token": hidden(html, "token")}
    status, html = await post(console, "/console/people/confirm", confirm)
    assert status == 200 and "Ændringen er gemt." in text_of(html)
    assert await leader_of(db, ANNA) == JENS
    assert await planned_for(db, JENS) == jens_rows + int(plan.group(1))  # the new leader's nudges, through the import's re-plan
    assert await planned_for(db, METTE) == mette_rows - int(plan.group(3))
    (entry,) = await edits(db)
    assert entry.outcome == "allowed" and entry.target.startswith("person:") and "leader" in entry.target and "@" not in entry.target

    status, html = await post(console, "/console/people/confirm", confirm)  # a double click or a reload
    assert status == 200 and "Ændringen er allerede gemt." in text_of(html)
    assert len(await edits(db)) == 1 and await planned_for(db, JENS) == jens_rows + int(plan.group(1))


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"leader": "bo.talent@rn.example"},
            "leader",
            "bo.talent@rn.example står på holdet som talent. Vælg en nærmeste leder fra holdet.",
        ),
        ({"leader": "ukendt@nowhere.example"}, "leader", "ukendt@nowhere.example står ikke på holdet."),
        ({"leader": ""}, "leader", "En talent skal have en nærmeste leder."),
        ({"mentor": METTE}, "mentor", f"{METTE} står på holdet som nærmeste leder. Vælg en mentor fra holdet."),
        ({"level": ""}, "level", "En talent skal have et niveau"),
        ({"new_role": "leader"}, "role", None),  # Anna as a leader: fine by the rules, but she has no role twice
    ],
)
async def test_a_bad_value_gets_a_danish_error_at_its_field_and_nothing_is_written(
    console: Server, db: Database, values: dict[str, str], field: str, message: str | None
) -> None:
    status, html = await post(console, "/console/people/preview", anna_form(await csrf(console), **values))
    if message is None:  # a role change is previewed: Anna the talent goes, Anna the leader comes
        assert status == 200 and "Fjernes: Anna Jensen" in text_of(html) and "Tilføjes: Anna Jensen" in text_of(html)
        return
    assert status == 400
    error = re.search(rf'id="p\d+-{field}-error"[^>]*>([^<]*)<', html)
    assert error and message in error.group(1).replace("&#39;", "'")
    assert 'aria-invalid="true"' in html
    assert await leader_of(db, ANNA) == METTE and "Forhåndsvisning" not in text_of(html)


async def test_a_forged_confirm_and_a_changed_edit_write_nothing(console: Server, db: Database) -> None:
    status, html = await post(console, "/console/people/preview", anna_form(await csrf(console), leader=JENS))
    sealed = {"fingerprint": hidden(html, "fingerprint"), "token": hidden(html, "token")}
    # the sealed preview was for Jens; a form that swaps in another leader is refused
    status, html = await post(
        console, "/console/people/confirm", {**anna_form(hidden(html, "csrf"), leader="hanne.leder@hjoerring.example"), **sealed}
    )
    assert status == 400 and "Forhåndsvisningen er udløbet eller ændret" in text_of(html)
    assert await leader_of(db, ANNA) == METTE


async def test_others_and_forms_without_the_token_are_refused(console: Server, db: Database) -> None:
    status, html = await post(console, "/console/people/preview", anna_form("", leader=JENS), email=ANNA)
    assert status == 403 and "administratorer" in html and "Holdets deltagere" not in html
    status, _ = await post(console, "/console/people/confirm", anna_form("", leader=JENS), email=ANNA)
    assert status == 403
    status, _ = await post(console, "/console/people/preview", anna_form("1.forged", leader=JENS))
    assert status == 403
    status, _ = await post(console, "/console/people/confirm", {**anna_form("", leader=JENS), "fingerprint": "x", "token": "y"})
    assert status == 403
    assert await leader_of(db, ANNA) == METTE
    assert [e.outcome for e in await edits(db)] == ["refused", "refused"]  # Anna's two tries, audited as refusals
