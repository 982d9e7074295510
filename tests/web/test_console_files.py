"""LEAD-konsol's files through the real app: upload with size and content checks, CSRF, admins only, signed downloads."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.appkeys import CORE
from bot.config import Settings
from bot.services import file_links
from bot.storage.db import Database
from bot.storage.file_tables import FileBlob, StoredFile
from bot.storage.models import AuditEntry, Person
from tests.support import NOW, Clock, Server, seed, start_server
from tests.support.console import ANNA, LARS
from tests.support.files import HTML_AS_PDF, PDF, office

OUTSIDER = "ole.udenfor@andet.example"


@pytest.fixture
async def console(db: Database, programme: Any, settings: Settings) -> AsyncIterator[Server]:
    await seed(db, programme)
    server = await start_server(replace(settings, file_max_bytes=64 * 1024))
    yield server
    await server.close()


async def csrf_of(server: Server, email: str = LARS) -> str:
    async with server.http.get(f"{server.url}/console?as={email}") as resp:
        html = await resp.text()
    match = re.search(r'name="csrf" value="([^"]*)"', html)
    assert match
    return match.group(1)


async def send(
    server: Server, data: bytes, *, csrf: str, name: str = "guide.pdf", attach: str = "", title: str = "", email: str = LARS
) -> tuple[int, str, str]:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("title", title)
    form.add_field("attach", attach)
    form.add_field("file", io.BytesIO(data), filename=name, content_type="text/html")
    async with server.http.post(f"{server.url}/console/files/upload?cohort=hold-2027&as={email}", data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers.get("Location", "")


async def count(db: Database) -> tuple[int, int]:
    async with db.sessions() as s:
        return (
            int(await s.scalar(select(func.count()).select_from(StoredFile)) or 0),
            int(await s.scalar(select(func.count()).select_from(FileBlob)) or 0),
        )


def links(html: str) -> list[str]:
    return [
        urlsplit(m.replace("&amp;", "&"))._replace(scheme="", netloc="").geturl()
        for m in re.findall(r'href="([^"]*/files/\d+\?[^"]*)"', html)
    ]


async def fetch(server: Server, path: str) -> tuple[int, bytes, Any]:
    async with server.http.get(server.url + path, allow_redirects=False) as resp:
        return resp.status, await resp.read(), resp.headers


async def test_an_admin_uploads_a_file_and_it_is_served_as_an_attachment(console: Server, db: Database) -> None:
    status, _, location = await send(
        console,
        office("docx"),
        csrf=await csrf_of(console),
        name="../Samtaleguide.docx",
        attach="nudge:leader-conversation",
        title="Samtaleguide til samtale 1",
    )
    assert status == 303 and location.endswith("#filer")
    assert await count(db) == (1, 1)
    async with console.http.get(console.url + f"/console?as={LARS}") as resp:
        html = await resp.text()
    assert "Samtaleguide til samtale 1" in html and "Samtaler med nærmeste leder" in html
    [link] = links(html)
    status, body, headers = await fetch(console, link)
    assert status == 200 and body == office("docx")
    assert headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert headers["Content-Disposition"].startswith('attachment; filename="Samtaleguide.docx"')
    assert headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in headers["Content-Security-Policy"]
    async with db.sessions() as s:
        [entry] = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "files.add")))
    assert entry.outcome == "allowed" and "docx" in (entry.target or "")


async def test_content_decides_not_the_name(console: Server, db: Database) -> None:
    status, html, _ = await send(console, HTML_AS_PDF, csrf=await csrf_of(console), name="slides.pdf")
    assert status == 400 and "Filtypen er ikke tilladt" in html
    assert await count(db) == (0, 0)


async def test_too_large_is_refused_in_danish_and_nothing_is_stored(console: Server, db: Database) -> None:
    status, html, _ = await send(console, PDF + b"0" * (70 * 1024), csrf=await csrf_of(console))
    assert status == 413 and "Filen er for stor" in html
    assert await count(db) == (0, 0)


async def test_a_body_over_the_app_limit_gets_a_danish_413(console: Server) -> None:
    big = b"x" * (300 * 1024)  # over MAX_BODY_BYTES' default 256 KB
    async with console.http.post(f"{console.url}/console/roster/preview?as={LARS}", data={"csrf": "x", "file": big.decode()}) as resp:
        assert resp.status == 413
        text = await resp.text()
    assert "for stort" in text and "Maximum request body size" not in text


async def test_without_the_csrf_token_nothing_is_stored(console: Server, db: Database) -> None:
    status, _, _ = await send(console, PDF, csrf="1.forged")
    assert status == 403
    assert await count(db) == (0, 0)


@pytest.mark.parametrize("email", [ANNA, "mette.leder@aalborg.example"])
async def test_others_cannot_upload(console: Server, db: Database, email: str) -> None:
    status, html, _ = await send(console, PDF, csrf="", email=email)
    assert status == 403 and "administratorer" in html
    assert await count(db) == (0, 0)


async def test_remove_stops_the_link(console: Server, db: Database) -> None:
    csrf = await csrf_of(console)
    await send(console, PDF, csrf=csrf)
    async with console.http.get(console.url + f"/console?as={LARS}") as resp:
        html = await resp.text()
    [link] = links(html)
    file_id = re.search(r"/files/(\d+)", link).group(1)  # type: ignore[union-attr]
    async with console.http.post(
        f"{console.url}/console/files/remove?as={LARS}", data={"csrf": csrf, "cohort": "hold-2027", "id": file_id}, allow_redirects=False
    ) as resp:
        assert resp.status == 303
    assert await count(db) == (0, 0)
    assert (await fetch(console, link))[0] == 404


async def test_links_are_for_the_cohort_signed_and_expiring(console: Server, db: Database, settings: Settings) -> None:
    await send(console, PDF, csrf=await csrf_of(console))
    async with db.sessions() as s:
        file_id = int(await s.scalar(select(StoredFile.id)) or 0)
        anna = int(await s.scalar(select(Person.id).where(Person.email == ANNA)) or 0)
        outsider = Person(email=OUTSIDER, name="Ole Udenfor")
        s.add(outsider)
        await s.commit()
        outsider_id = outsider.id
    files = console.app[CORE].files
    good = file_links.file_path(files.secret, file_id, anna, NOW + timedelta(hours=1))
    assert (await fetch(console, good))[0] == 200
    outsiders = file_links.file_path(files.secret, file_id, outsider_id, NOW + timedelta(hours=1))
    status, body, _ = await fetch(console, outsiders)
    assert status == 403 and "ugyldigt" in body.decode()
    expired = file_links.file_path(files.secret, file_id, anna, NOW - timedelta(minutes=1))
    assert (await fetch(console, expired))[0] == 403
    forged = good.replace(f"p={anna}", f"p={outsider_id}")
    assert (await fetch(console, forged))[0] == 403
    other_key = file_links.file_path("another secret of sixteen+", file_id, anna, NOW + timedelta(hours=1))
    assert (await fetch(console, other_key))[0] == 403
    gone = file_links.file_path(files.secret, file_id + 99, anna, NOW + timedelta(hours=1))
    assert (await fetch(console, gone))[0] == 404


async def test_the_link_dies_when_the_library_closes(db: Database, programme: Any, settings: Settings) -> None:
    await seed(db, programme)
    clock = Clock(NOW)
    server = await start_server(settings, clock)
    try:
        await send(server, PDF, csrf=await csrf_of(server))
        async with server.http.get(server.url + f"/console?as={LARS}") as resp:
            [link] = links(await resp.text())
        assert (await fetch(server, link))[0] == 200
        clock.now = NOW + timedelta(days=3 * 365)  # long after the last activity + one year
        files = server.app[CORE].files
        async with db.sessions() as s:
            anna = int(await s.scalar(select(Person.id).where(Person.email == ANNA)) or 0)
            file_id = int(await s.scalar(select(StoredFile.id)) or 0)
        fresh = file_links.file_path(files.secret, file_id, anna, clock.now + timedelta(hours=1))
        assert (await fetch(server, fresh))[0] == 403
    finally:
        await server.close()


async def test_a_storage_directory_keeps_the_bytes_out_of_the_database(
    db: Database, programme: Any, settings: Settings, tmp_path: Path
) -> None:
    await seed(db, programme)
    store = tmp_path / "files"
    store.mkdir()
    server = await start_server(replace(settings, file_storage_dir=store))
    try:
        status, _, _ = await send(server, office("pptx"), csrf=await csrf_of(server), name="/etc/Modul 1.pptx", attach="m1")
        assert status == 303
        assert await count(db) == (1, 0)
        [stored] = list(store.iterdir())
        assert re.fullmatch(r"\d+\.bin", stored.name) and stored.read_bytes() == office("pptx")
        async with server.http.get(server.url + f"/console?as={LARS}") as resp:
            [link] = links(await resp.text())
        status, body, headers = await fetch(server, link)
        assert status == 200 and body == office("pptx") and "Modul%201.pptx" in headers["Content-Disposition"]
    finally:
        await server.close()
