"""Uploaded files reach the talent: the chat library, the 'Mit forløb' tab and the card that needs them carry signed links."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.appkeys import CORE
from bot.services.reply import Reply
from bot.storage.db import Database
from bot.storage.models import Person
from tests.fakes.connector import FakeConnector
from tests.support import ANNA, Server, personal_message, rendered
from tests.support.files import PDF, office


def _paths(node: Any) -> list[str]:
    urls = re.findall(r'"url": "([^"]*/files/\d+\?[^"]*)"', json.dumps(node))
    return [urlsplit(u)._replace(scheme="", netloc="").geturl() for u in urls]


async def _anna(db: Database) -> int:
    async with db.sessions() as s:
        return int(await s.scalar(select(Person.id).where(Person.email == ANNA)) or 0)


async def test_the_chat_library_links_the_cohorts_files(seeded: Database, server: Server, connector: FakeConnector) -> None:
    files = server.app[CORE].files
    await files.add("hold-2027", "Opfølgning.docx", office("docx"), title="Skabelon til opfølgning", attach="nudge:follow-up")
    activity = personal_message("materialer", connector)
    connector.know(activity["from"], ANNA)
    await server.post(activity)
    card = connector.sent[-1].body["attachments"][0]["content"]
    assert "Skabelon til opfølgning (Word)" in json.dumps(card, ensure_ascii=False)
    [path] = _paths(card)
    async with server.http.get(server.url + path) as resp:
        assert resp.status == 200 and await resp.read() == office("docx")


async def test_the_tab_library_lists_them_and_a_search_filters(seeded: Database, server: Server) -> None:
    files = server.app[CORE].files
    await files.add("hold-2027", "slides.pptx", office("pptx"), title="Slides til modul 1", attach="m1")
    async with server.http.get(f"{server.url}/tab?as={ANNA}") as resp:
        html = await resp.text()
    assert "Skabeloner og filer" in html and "Slides til modul 1" in html and "PowerPoint" in html
    async with server.http.get(f"{server.url}/tab?as={ANNA}&q=budget") as resp:
        assert "Slides til modul 1" not in await resp.text()


async def test_the_leader_conversation_nudge_carries_its_guide(seeded: Database, server: Server) -> None:
    core = server.app[CORE]
    await core.files.add("hold-2027", "guide.pdf", PDF, title="Samtaleguide", attach="nudge:leader-conversation")
    await core.files.add("hold-2027", "andet.pdf", PDF, title="Ledergruppeskabelon", attach="nudge:leader-group")
    anna = await _anna(seeded)
    async with seeded.sessions() as s:
        attached = await core.files.attachments(s, anna, nudge="leader-conversation")
    assert [f["title"] for f in attached] == ["Samtaleguide"]
    card = rendered(
        Reply(
            "nudge",
            {
                "title": "Samtale 1",
                "note": "",
                "text": "t",
                "questions": [],
                "people": [],
                "book_url": None,
                "chat_url": None,
                "plan_id": 1,
                "done": None,
                "can_act": True,
                "plan_talent": None,
                "files": attached,
            },
        )
    )
    [path] = _paths(card)
    async with server.http.get(server.url + path) as resp:
        assert resp.status == 200


async def test_the_module_slides_ride_on_its_intro_card(seeded: Database, server: Server) -> None:
    core = server.app[CORE]
    await core.files.add("hold-2027", "m1.pptx", office("pptx"), title="Modul 1-slides", attach="m1")
    await core.files.add("hold-2027", "artikel.pdf", PDF, title="Artiklens skema", attach="m1.article")
    anna = await _anna(seeded)
    async with seeded.sessions() as s:
        intro, _ = await core.messages.material_card(s, anna, "m1", "intro", ZoneInfo("Europe/Copenhagen"))
        article, _ = await core.messages.material_card(s, anna, "m1", "article", ZoneInfo("Europe/Copenhagen"))
    assert [f["title"] for f in intro.data["files"]] == ["Modul 1-slides"]
    assert [f["title"] for f in article.data["files"]] == ["Artiklens skema"]
    assert "Modul 1-slides (PowerPoint)" in json.dumps(rendered(intro), ensure_ascii=False)
