"""LEAD-konsol through the real app on loopback: admins only, health, roster preview and confirm, broadcasts, log."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.domain.roster_file import roster_text
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Broadcast, Person
from tests.support import Server, seed, start_server
from tests.support.console import ANNA, BAD_TALENT, LARS, NEW_TALENT, ROSTER, members


@pytest.fixture
async def console(db: Database, programme: Any, settings: Settings) -> AsyncIterator[Server]:
    """The real app with the example cohort (no chats stored, no buddy groups yet)."""
    await seed(db, programme)
    server = await start_server(settings)
    yield server
    await server.close()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&").replace("&#39;", "'")


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no field {name}"
    return match.group(1)


async def get(server: Server, path: str) -> tuple[int, str, Any]:
    async with server.http.get(server.url + path, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers


async def post(server: Server, path: str, form: dict[str, str]) -> tuple[int, str, str]:
    async with server.http.post(server.url + path, data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers.get("Location", "")


async def upload(server: Server, data: bytes, csrf: str, filename: str = "liste.csv") -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("cohort", "hold-2027")
    form.add_field("file", io.BytesIO(data), filename=filename, content_type="application/octet-stream")
    async with server.http.post(f"{server.url}/console/roster/preview?as={LARS}", data=form) as resp:
        return resp.status, await resp.text()


async def audit(db: Database, action: str) -> list[AuditEntry]:
    async with db.sessions() as s:
        return list(await s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_admin_sees_klar_til_start_with_what_to_do(console: Server) -> None:
    status, html, headers = await get(console, f"/console?as={LARS}")
    assert status == 200
    text = text_of(html)
    assert "LEAD-konsol" in text and "Klar til start?" in text and "Ikke klar" in text
    assert "12 kan ikke nås af botten endnu" in text and "Gør sådan:" in text
    assert "5 talenter uden buddygruppe" in text and "Underviserkanalen er ikke sat" in text
    assert "Anna Jensen (anna.talent@aalborg.example): har ikke skrevet til botten endnu" in text
    assert "nonce-" in headers["Content-Security-Policy"] and headers["Cache-Control"] == "no-store"
    assert "/report/hold-2027" in html or "report" in html


@pytest.mark.parametrize("email", [ANNA, "mette.leder@aalborg.example", "sofie.underviser@lead.example"])
async def test_others_get_a_polite_refusal_and_no_data(console: Server, db: Database, email: str) -> None:
    status, html, headers = await get(console, f"/console?as={email}")
    assert status == 403
    assert "for holdets administratorer hos LEAD" in html
    assert "Anna Jensen" not in html and "Klar til start" not in html and "csrf" not in html
    assert "Content-Security-Policy" in headers
    status, html, _ = await post(console, f"/console/broadcast/send?as={email}", {"text": "hej", "role": "all"})
    assert status == 403
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0
    refused = await audit(db, "console.open")
    assert refused and refused[0].outcome == "refused" and refused[0].actor.startswith("person:")


async def test_a_form_without_the_token_is_refused(console: Server, db: Database) -> None:
    status, _, _ = await post(console, f"/console/broadcast/send?as={LARS}", {"text": "hej", "role": "all"})
    assert status == 403
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_bad_line_is_shown_then_fixed_previewed_confirmed_and_rerun_changes_nothing(console: Server, db: Database) -> None:
    _, html, _ = await get(console, f"/console?as={LARS}")
    csrf = field(html, "csrf")
    before = await members(db)
    status, html = await upload(console, (ROSTER + BAD_TALENT).encode("utf-8"), csrf, "../../etc/passwd")
    assert status == 400
    assert "Linje 14:" in text_of(html) and "Filen blev ikke gemt" in text_of(html)
    assert await members(db) == before

    status, html = await upload(console, (ROSTER + NEW_TALENT).encode("utf-8"), csrf)
    assert status == 200
    text = text_of(html)
    assert "Tilføjes (1)" in text and "Freja Holm (freja.talent@aalborg.example), talent" in text
    assert "intet er gemt endnu" in text
    assert await members(db) == before  # the preview wrote nothing

    form = {k: field(html, k) for k in ("csrf", "cohort", "content", "fingerprint", "token")}
    tampered = {**form, "content": form["content"][:-4] + "AAAA"}
    status, html, _ = await post(console, f"/console/roster/confirm?as={LARS}", tampered)
    assert status == 400 and "Upload filen igen" in text_of(html)
    assert await members(db) == before

    status, html, _ = await post(console, f"/console/roster/confirm?as={LARS}", form)
    assert status == 200 and "Deltagerlisten er gemt" in text_of(html)
    assert await members(db) == before + 1
    (entry,) = await audit(db, "roster.import")
    async with db.sessions() as s:
        lars = await s.scalar(select(Person.id).where(Person.email == LARS))
    assert entry.actor == f"person:{lars}" and entry.outcome == "allowed" and entry.cohort_key == "hold-2027"
    assert "6 talenter uden buddygruppe" in text_of(html)  # the health follows the new roster

    status, html = await upload(console, (ROSTER + NEW_TALENT).encode("utf-8"), field(html, "csrf"))
    assert "Filen ændrer ingenting" in text_of(html)


async def test_a_preview_confirmed_after_the_cohort_changed_is_shown_again(console: Server, db: Database) -> None:
    _, html, _ = await get(console, f"/console?as={LARS}")
    _, html = await upload(console, (ROSTER + NEW_TALENT).encode("utf-8"), field(html, "csrf"))
    form = {k: field(html, k) for k in ("csrf", "cohort", "content", "fingerprint", "token")}
    _, again = await upload(console, (ROSTER + NEW_TALENT).encode("utf-8"), form["csrf"])
    await post(console, f"/console/roster/confirm?as={LARS}", {k: field(again, k) for k in form})  # another tab wins
    _status, html, _ = await post(console, f"/console/roster/confirm?as={LARS}", form)
    assert "Holdet er ændret siden forhåndsvisningen" in text_of(html)
    assert len(await audit(db, "roster.import")) == 1


async def test_semicolon_cp1252_csv_and_xlsx_give_the_same_preview(console: Server) -> None:
    from openpyxl import Workbook

    _, html, _ = await get(console, f"/console?as={LARS}")
    csrf = field(html, "csrf")
    danish = (ROSTER + NEW_TALENT).replace(",", ";").encode("cp1252")
    status, html = await upload(console, danish, csrf)
    assert status == 200 and "Tilføjes (1)" in text_of(html) and "Ændres" not in text_of(html)  # ø read as ø
    book = Workbook()
    for line in (ROSTER + NEW_TALENT).splitlines():
        book.active.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    status, html = await upload(console, buffer.getvalue(), csrf, "liste.xlsx")
    assert status == 200 and "Tilføjes (1)" in text_of(html)
    status, html = await upload(console, b"PK\x03\x04not really a zip", csrf)
    assert status == 400 and "not an Excel workbook" in text_of(html)


def test_roster_text_names_the_line_of_bytes_that_are_no_text() -> None:
    with pytest.raises(Exception) as caught:
        roster_text(b"email,name\nanna@x.dk,Anna\n" + b"bo@x.dk,B\x81\x8d\n", "f.csv")
    assert ":3:" in str(caught.value.errors[0])  # type: ignore[attr-defined]
    assert roster_text(b"\xef\xbb\xbfemail;name\n", "f.csv") == "email;name\n"
    assert "Sørensen" in roster_text("Jens Sørensen".encode("cp1252"), "f.csv")


async def test_broadcast_preview_shows_the_card_then_send_shows_each_person(console: Server, db: Database) -> None:
    _, html, _ = await get(console, f"/console?as={LARS}")
    form = {"csrf": field(html, "csrf"), "cohort": "hold-2027", "role": "leader", "text": "Husk kick-off <b>tirsdag</b>"}
    status, html, _ = await post(console, f"/console/broadcast/preview?as={LARS}", form)
    text = text_of(html)
    assert status == 200 and "Sådan ser kortet ud" in text and "Besked fra LEAD til" in text
    assert "&lt;b&gt;tirsdag&lt;/b&gt;" in html and "<b>tirsdag" not in html  # never rendered as HTML
    assert "Kan ikke nås endnu:" in text
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0
    status, _, location = await post(console, f"/console/broadcast/send?as={LARS}", form)
    assert status == 303 and "broadcast=" in location and location.endswith("#beskeder")
    status, html, _ = await get(console, location)
    text = text_of(html)
    assert "Kan ikke nås: 4" in text and "Mette Kristensen Ikke nået (ingen chat med botten)" in text
    (entry,) = await audit(db, "broadcast")
    assert entry.outcome == "allowed" and "to leader" in entry.target
    assert "Besked sendt" in text  # the log lists it


async def test_an_empty_broadcast_says_why(console: Server) -> None:
    _, html, _ = await get(console, f"/console?as={LARS}")
    form = {"csrf": field(html, "csrf"), "cohort": "hold-2027", "role": "all", "text": "   "}
    _, html, _ = await post(console, f"/console/broadcast/preview?as={LARS}", form)
    assert "Beskeden er tom." in text_of(html)


async def test_inside_teams_the_console_starts_as_a_shell(console: Server) -> None:
    status, html, _ = await get(console, "/console")
    assert status == 200 and 'data-view="/console/view"' in html and "Henter konsollen" in html


async def test_a_fetch_from_teams_gets_fragments_and_the_refusal_with_200(console: Server) -> None:
    headers = {"Authorization": "Bearer local"}  # tab.js always sends one; locally ?as= still names the person
    async with console.http.get(f"{console.url}/console/view?as={LARS}", headers=headers) as resp:
        html = await resp.text()
    assert resp.status == 200 and "<html" not in html and "Klar til start?" in html
    async with console.http.get(f"{console.url}/console/view?as={ANNA}", headers=headers) as resp:
        html = await resp.text()
    assert resp.status == 200 and "<html" not in html and "for holdets administratorer" in html
