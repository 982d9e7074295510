"""LEAD-konsol's Deltagere at size through the real app: search, role filter, 50 a page, and one Ret form at a time."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Settings
from bot.storage.db import Database
from tests.support import Server, seed, start_server
from tests.support.console import ANNA, LARS, add_talents

EXTRA = 70  # talents added to the demo roster's 12 memberships: two pages and a bit
TOTAL = 12 + EXTRA


@pytest.fixture
async def console(db: Database, programme: Any, settings: Settings) -> AsyncIterator[Server]:
    """The real app with the example cohort and EXTRA more talents under Jens Sørensen."""
    await seed(db, programme)
    await add_talents(db, EXTRA)
    server = await start_server(settings)
    yield server
    await server.close()


async def page(server: Server, query: str = "", email: str = LARS) -> str:
    async with server.http.get(f"{server.url}/console?as={email}{query}") as resp:
        assert resp.status == 200
        return await resp.text()


async def follow(server: Server, href: str) -> str:
    """The page a link of the page leads to (its fragment left to the browser)."""
    async with server.http.get(server.url + html_lib.unescape(href).split("#")[0]) as resp:
        assert resp.status == 200
        return await resp.text()


def names(html: str) -> list[str]:
    """The names in the Deltagere list, in order."""
    return re.findall(r'<li class="person-item" id="p\d+">\s*<p class="occ-title">([^<]*?) <span', html)


def status(html: str) -> str:
    match = re.search(r'<p role="status" class="people-count">(.*?)</p>', html, re.S)
    assert match
    return re.sub(r"<[^>]+>", "", match.group(1))


def forms(html: str) -> int:
    return html.count('data-action="/console/people/preview"')


async def test_the_first_page_shows_fifty_and_links_to_the_next(console: Server) -> None:
    html = await page(console)
    assert f"Holdets deltagere ({TOTAL})" in html
    assert len(names(html)) == 50 and names(html) == sorted(names(html))  # by name, as the roster service orders them
    assert status(html).startswith(f"Viser 1–50 af {TOTAL}.")
    assert "Side 1 af 2" in html and 'rel="prev"' not in html
    nxt = re.search(r'<a href="([^"]*)" rel="next">', html)
    assert nxt and "side=2" in nxt.group(1) and nxt.group(1).endswith("#h-people")
    assert forms(html) == 0 and 'id="people-leaders"' not in html  # no Ret form is open, and no datalist of every leader

    second = await page(console, "&side=2")
    assert len(names(second)) == TOTAL - 50 and not set(names(second)) & set(names(html))
    assert status(second).startswith(f"Viser 51–{TOTAL} af {TOTAL}.") and 'rel="next"' not in second
    prev = re.search(r'<a href="([^"]*)" rel="prev">', second)
    assert prev and names(await follow(console, prev.group(1))) == names(html)
    assert names(await page(console, "&side=99")) == names(second)  # past the end: the last page
    assert names(await page(console, "&side=abc")) == names(html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("&q=anna", ["Anna Jensen"]),
        ("&q=BO.TALENT%40RN", ["Bo Madsen"]),  # e-mail, any case
        ("&q=Mette+Kristensen", ["Anna Jensen", "David Pedersen", "Mette Kristensen"]),  # the leader's name finds her talents
        ("&q=mentor", ["Anna Jensen", "Ole Andersen"]),  # the role, and Anna's mentor link
        ("&q=underviser", ["Sofie Holm"]),  # the Danish role name
        ("&q=talent+042", ["Talent 042"]),  # every word must match
        ("&rolle=leader", ["Dorte Demo", "Hanne Nielsen", "Jens Sørensen", "Mette Kristensen"]),
        ("&rolle=leader&q=region", ["Jens Sørensen"]),
        ("&q=ingen+s%C3%A5dan", []),
    ],
)
async def test_search_and_role_filter_narrow_the_list(console: Server, query: str, expected: list[str]) -> None:
    html = await page(console, query)
    assert names(html) == expected
    assert f"{len(expected)} af {TOTAL} passer" in status(html) and "Vis alle" in status(html)
    if not expected:
        assert "Ingen på holdet passer på din søgning." in html


async def test_search_across_pages_keeps_the_search_in_the_page_links(console: Server) -> None:
    html = await page(console, "&q=talent&rolle=talent")
    assert status(html).startswith(f"{5 + EXTRA} af {TOTAL} passer på »talent«. Viser 1–50.")
    nxt = re.search(r'<a href="([^"]*)" rel="next">', html)
    assert nxt and all(p in nxt.group(1) for p in ("q=talent", "rolle=talent", "side=2", f"as={LARS.replace('@', '%40')}"))
    assert 'value="talent"' in html and '<option value="talent" selected>Talenter (75)</option>' in html


async def test_ret_opens_the_form_for_that_one_person_only(console: Server) -> None:
    html = await page(console, "&q=anna")
    link = re.search(r'<a href="([^"]*)">Ret Anna Jensen</a>', html)
    assert link and "q=anna" in link.group(1)
    opened = await follow(console, link.group(1))
    assert forms(opened) == 1 and names(opened) == ["Anna Jensen"]
    assert 'name="email" value="anna.talent@aalborg.example"' in opened
    assert '<input type="hidden" name="q" value="anna">' in opened  # the form carries the search back
    assert 'id="people-leaders"' in opened and 'value="mette.leder@aalborg.example"' in opened
    assert forms(await page(console, "&ret=999999")) == 0  # no such membership: nothing opens
    assert "@" not in link.group(1).split("ret=")[1]  # the address names the membership, not the e-mail


async def test_an_open_form_stays_in_view_on_another_page_and_after_a_preview(console: Server) -> None:
    html = await page(console, "&q=anna")
    ret = re.search(r"ret=(\d+)", html)
    assert ret
    other = await page(console, f"&side=2&ret={ret.group(1)}")  # Anna is on page 1: her form comes first on page 2
    assert names(other)[0] == "Anna Jensen" and forms(other) == 1 and len(names(other)) == TOTAL - 50 + 1

    token = re.search(r'name="csrf" value="([^"]*)"', html)
    assert token
    form = {
        "csrf": token.group(1),
        "cohort": "hold-2027",
        "email": ANNA,
        "role": "talent",
        "new_role": "talent",
        "level": "leder-af-medarbejdere",
        "leader": "jens.leder@rn.example",
        "mentor": "",
        "q": "anna",
    }
    async with console.http.post(f"{console.url}/console/people/preview?as={LARS}", data=form) as resp:
        preview = await resp.text()
    assert resp.status == 200 and "Forhåndsvisning – intet er gemt endnu" in preview
    assert names(preview) == ["Anna Jensen"] and "1 af" in status(preview)  # still the search LEAD came from


async def test_inside_teams_the_shell_carries_the_search_into_the_view(console: Server) -> None:
    async with console.http.get(f"{console.url}/console?cohort=hold-2027&q=anna&rolle=talent&side=2&ret=5&x=1") as resp:
        html = await resp.text()
    view = re.search(r'data-view="([^"]*)"', html)
    assert view and view.group(1).replace("&amp;", "&") == "/console/view?cohort=hold-2027&q=anna&rolle=talent&side=2&ret=5"


async def test_a_search_is_shown_escaped_and_a_bad_role_or_page_falls_back(console: Server) -> None:
    html = await page(console, "&q=%3Cb%3Eanna%3C%2Fb%3E&rolle=chef&side=-3")
    assert "<b>anna</b>" not in html and "»&lt;b&gt;anna&lt;/b&gt;«" in html
    assert names(html) == [] and '<option value="" selected>Alle roller (82)</option>' in html  # an unknown role: all roles
    assert 'value="&lt;b&gt;anna&lt;/b&gt;"' in html  # the search box keeps what was written
