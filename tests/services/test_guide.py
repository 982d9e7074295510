"""The guide's replies as data: welcome, help and the next activity for a talent, a leader and a mentor."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.people import Profile
from bot.services.directory import Directory
from bot.services.guide import HELP_COMMANDS, LEADER_PREPARATION_TEXT, PREPARATION_TEXT, Guide
from bot.services.reply import Reply, notice
from bot.storage.db import Database
from bot.storage.models import Person
from tests.support import NOW, seed

ANNA, METTE, OLE = "anna.talent@aalborg.example", "mette.leder@aalborg.example", "ole.mentor@frederikshavn.example"


@pytest.fixture
async def guide(db: Database, programme: Any) -> Guide:
    await seed(db, programme)  # the example cohort: kick-off on Tuesday 12 January 2027, NOW is the Monday before
    return Guide(programme, Directory(db), lambda: NOW)


async def profile_of(guide: Guide, email: str) -> Profile:
    async with guide.directory.db.sessions() as s:
        person_id = await s.scalar(select(Person.id).where(Person.email == email))
    found = await guide.directory.profile(person_id)
    assert found is not None
    return found


async def test_welcome_names_the_role_the_leader_and_what_is_next(guide: Guide) -> None:
    reply = await guide.welcome(await profile_of(guide, ANNA))
    assert reply.card == "welcome" and reply.data["first_name"] == "Anna"
    assert reply.data["roles"] == ["Talent på Talent Nord 2.0 – hold 2027 (leder af medarbejdere) · nærmeste leder: Mette Kristensen"]
    assert reply.data["next"] == {
        "name": "Kick-off",
        "when": "tirsdag 12. januar 2027 kl. 09.00–12.30",
        "venue": "Aalborg Kongres & Kultur Center",
        "until": "om 8 dage",
    }
    leader = await guide.welcome(await profile_of(guide, METTE))
    assert leader.data["roles"] == ["Nærmeste leder på Talent Nord 2.0 – hold 2027"]
    assert (await guide.welcome(await profile_of(guide, OLE))).data["next"] is None  # no activity is a mentor's


def test_help_lists_every_command(guide: Guide) -> None:
    reply = guide.help()
    assert reply == Reply(
        "help", {"commands": [{"command": c, "text": t} for c, t in HELP_COMMANDS], "is_admin": False, "tab_url": None}
    )  # no tab link configured in this guide
    assert [c["command"] for c in reply.data["commands"]][:2] == ["næste", "materialer"]


async def test_next_differs_for_a_talent_and_their_leader(guide: Guide) -> None:
    talent = await guide.next(await profile_of(guide, ANNA))
    leader = await guide.next(await profile_of(guide, METTE))
    assert talent.card == leader.card == "next_activity"
    assert talent.data["name"] == leader.data["name"] == "Kick-off" and talent.data["until"] == "om 8 dage"
    assert talent.data["preparation"] == PREPARATION_TEXT and leader.data["preparation"] == LEADER_PREPARATION_TEXT
    # the leaders' workshop is on the leader's calendar, not the talent's; modules are on the talent's
    assert next(x["name"] for x in talent.data["later"]) == "Modul 1: Ledelse gennem kerneopgaven"
    assert next(x["name"] for x in leader.data["later"]) == "Workshop for nærmeste ledere"
    assert talent.data["later"][0]["when"] == "2.\u00a0februar 2027"  # no-break space: no Markdown list


async def test_next_without_activities_is_a_notice(guide: Guide) -> None:
    reply = await guide.next(await profile_of(guide, OLE))
    assert reply == notice("Ingen kommende aktiviteter", reply.data["text"]) and "kalender" in reply.data["text"]


def test_stranger_and_fallback_replies(guide: Guide) -> None:
    assert guide.not_rostered("Kim") == Reply("not_rostered", {"name": "Kim"})
    assert guide.fallback("blå") == Reply("fallback", {"text": "blå"})
