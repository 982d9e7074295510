"""Whole dialogs through the real app and fake connector: each message and the one reply it must get."""

from __future__ import annotations

from typing import Any

import pytest

from bot.storage.db import Database
from tests.fakes.connector import FakeConnector
from tests.support import Server, message_from, seed, store_chats

ANNA = "anna.talent@aalborg.example"
METTE = "mette.leder@aalborg.example"
OLE = "ole.mentor@frederikshavn.example"
LARS = "lars.admin@lead.example"
STRANGER = "stranger@elsewhere.example"
NUMBER = {ANNA: 1, METTE: 3, OLE: 6, LARS: 7, STRANGER: 9}

# (what the person writes, text the one reply must show), in order: a dialog, as zulip_bots tests them
TALENT_DIALOG = [
    ("hej", "Velkommen til Talent Nord 2.0, Anna!"),
    ("hjælp", "Det kan jeg hjælpe med"),
    ("Næste?", "Det næste for dig\nKick-off\nOm 8 dage."),
    ("tak", "Selv tak!"),
    ("udviklingsplan", "Din udviklingsplan"),
    ("underviserkanal", "Skriv »underviserkanal« i den kanal i Teams"),
    ("udsend alle Hej alle sammen", "Det kan kun LEAD"),
    ("status", "Det kan kun LEAD"),
    ("blå bananer", "forstod jeg ikke"),
]
LEADER_DIALOG = [
    ("hjælp", "Det kan jeg hjælpe med"),
    ("næste", "Kick-off"),
    ("udviklingsplan", "Anna Jensen"),
    ("mange tak", "Selv tak!"),
]
ADMIN_DIALOG = [
    ("udsend talenter Velkommen til programmet", "Besked sendt\nBeskeden går ud til"),
    ("udsend talenter", "Beskeden blev ikke sendt"),
    ("udsend", "Det forstod jeg ikke helt"),  # a command word alone is no command
    ("status", "hold 2027"),
    ("status", "Det skal ordnes\n• 5 talenter uden buddygruppe: "),  # no daily card yet: all that is wrong, what blocks first
]
STRANGER_DIALOG = [
    ("hjælp", "kan ikke finde dig på deltagerlisten"),
    ("udsend alle Hej", "kan ikke finde dig på deltagerlisten"),
]


@pytest.fixture
async def chats(db: Database, programme: Any, server: Server, connector: FakeConnector) -> Server:
    """The demo cohort with every rostered person's 1:1 chat stored."""
    await seed(db, programme)
    await store_chats(db, connector.url)
    return server


async def run_dialog(server: Server, connector: FakeConnector, email: str, dialog: list[tuple[str, str]]) -> None:
    """Post each message as this person; each gets exactly one reply showing the expected text."""
    for message, expected in dialog:
        before = len(connector.sent)
        await server.post(message_from(email, message, connector, NUMBER[email]))
        assert len(connector.sent) == before + 1, f"{message!r} got {len(connector.sent) - before} replies"
        assert expected in connector.texts()[-1], f"{message!r} -> {connector.texts()[-1]!r}"


@pytest.mark.parametrize(
    ("email", "dialog"),
    [(ANNA, TALENT_DIALOG), (METTE, LEADER_DIALOG), (LARS, ADMIN_DIALOG), (STRANGER, STRANGER_DIALOG)],
    ids=["talent", "leader", "admin", "stranger"],
)
async def test_dialog(chats: Server, connector: FakeConnector, email: str, dialog: list[tuple[str, str]]) -> None:
    await run_dialog(chats, connector, email, dialog)


async def test_a_mentor_has_no_plan_of_their_own(chats: Server, connector: FakeConnector) -> None:
    await run_dialog(chats, connector, OLE, [("udviklingsplan", "Ingen udviklingsplan"), ("hjælp", "Det kan jeg hjælpe med")])
