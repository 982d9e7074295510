"""LEAD-konsol's Beskeder at a time through the real app: stored, not sent before its time, sent once at it, cancelled."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.appkeys import CORE, SENDER
from bot.config import Settings
from bot.services.broadcasts import BroadcastError
from bot.services.core import build_core
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Broadcast, OutboxMessage
from scheduler import jobs
from tests.fakes.connector import FakeConnector
from tests.support import NOW, Clock, Server, seed, start_server, store_chats
from tests.support.console import ANNA, LARS

AT = "2027-01-04T12:00"  # NOW is 10:00 in Copenhagen: two hours ahead
AT_UTC = NOW + timedelta(hours=2)
LEADERS = 4  # the example roster's leaders, all with a chat


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def console(db: Database, programme: Any, settings: Settings, connector: FakeConnector, clock: Clock) -> AsyncIterator[Server]:
    """The real app on a clock the test moves, with the example cohort and everyone's chat stored."""
    await seed(db, programme)
    await store_chats(db, connector.url)
    server = await start_server(settings, clock)
    yield server
    await server.close()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&").replace("&#39;", "'")


async def page(server: Server, email: str = LARS) -> str:
    async with server.http.get(f"{server.url}/console?as={email}") as resp:
        return await resp.text()


def csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]*)"', html)
    assert match
    return match.group(1)


async def post(server: Server, path: str, form: dict[str, str], email: str = LARS) -> tuple[int, str, str]:
    async with server.http.post(f"{server.url}{path}?as={email}", data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers.get("Location", "")


async def schedule(server: Server, at: str = AT, text: str = "Husk at tilmelde jer kick-off") -> tuple[int, str, str]:
    form = {"csrf": csrf(await page(server)), "cohort": "hold-2027", "role": "leader", "text": text}
    status, html, _ = await post(server, "/console/broadcast/preview", form)
    assert status == 200 and 'name="at"' in html  # the previewed card offers the time
    return await post(server, "/console/broadcast/schedule", {**form, "at": at})


async def queued(db: Database) -> int:
    async with db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.broadcast_id.is_not(None))) or 0)


def ours(connector: FakeConnector) -> list[str]:
    """The conversations the scheduled broadcast reached, one entry per message."""
    return [s.conversation_id for s in connector.sent if "Husk at tilmelde jer kick-off" in str(s.body)]


async def tick(server: Server, clock: Clock) -> int:
    core = server.app[CORE]
    return await jobs.tick(core.planner, server.app[SENDER], clock, core.broadcaster)


async def audited(db: Database, action: str) -> list[AuditEntry]:
    async with db.sessions() as s:
        return list(await s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_it_waits_for_its_time_then_goes_once_and_shows_delivery(
    console: Server, db: Database, clock: Clock, connector: FakeConnector
) -> None:
    status, _, location = await schedule(console)
    assert status == 303 and location.endswith("#beskeder")
    text = text_of(await page(console))
    assert f"mandag 4. januar 2027 kl. 12.00 ledere {LEADERS} Husk at tilmelde jer kick-off Planlagt" in text and "Fortryd" in text
    (entry,) = await audited(db, "broadcast.schedule")
    assert entry.outcome == "allowed" and "to leader at 2027-01-04T11:00:00+00:00" in entry.target

    clock.now = AT_UTC - timedelta(seconds=1)
    await tick(console, clock)  # the plan's own rows may go; the broadcast waits
    assert await queued(db) == 0  # not a second early
    while await console.app[SENDER].drain_once():
        pass
    assert ours(connector) == []

    clock.now = AT_UTC
    await tick(console, clock)
    assert await queued(db) == LEADERS
    await tick(console, clock)  # the next tick, and a restart, find it released
    assert await queued(db) == LEADERS
    while await console.app[SENDER].drain_once():
        pass
    assert len(ours(connector)) == LEADERS and len(set(ours(connector))) == LEADERS  # one each

    html = await page(console)
    assert "Sendt" in text_of(html) and "Fortryd" not in text_of(html)
    link = re.search(r'href="([^"]*broadcast=\d+[^"]*)">Se levering', html)
    assert link
    async with console.http.get(console.url + link.group(1).replace("&amp;", "&") + f"&as={LARS}") as resp:
        delivered = text_of(await resp.text())
    assert "Besked sendt 4. januar 2027 kl. 12.00 til ledere" in delivered and f"Leveret: {LEADERS}" in delivered


async def test_two_replicas_ticking_at_once_send_it_once(console: Server, db: Database, settings: Settings, clock: Clock) -> None:
    await schedule(console)
    other = build_core(db, settings, clock)  # a second replica's services over the same database
    clock.now = AT_UTC + timedelta(minutes=3)  # both were down at 12:00: the first tick after catches up
    counts = await asyncio.gather(console.app[CORE].broadcaster.release_due(clock.now), other.broadcaster.release_due(clock.now))
    assert sorted(counts) == [0, LEADERS] and await queued(db) == LEADERS


async def test_fortryd_stops_it_and_a_sent_one_cannot_be_cancelled(console: Server, db: Database, clock: Clock) -> None:
    await schedule(console)
    async with db.sessions() as s:
        first = await s.scalar(select(Broadcast.id))
    html = await page(console)
    status, _, _ = await post(console, "/console/broadcast/cancel", {"csrf": csrf(html), "cohort": "hold-2027", "id": str(first)})
    assert status == 303
    assert "Fortrudt" in text_of(await page(console))
    clock.now = AT_UTC + timedelta(hours=1)
    await tick(console, clock)
    assert await queued(db) == 0
    (entry,) = await audited(db, "broadcast.cancel")
    assert entry.target == f"broadcast {first}"
    status, html, _ = await post(console, "/console/broadcast/cancel", {"csrf": csrf(html), "cohort": "hold-2027", "id": str(first)})
    assert status == 400 and "Beskeden er allerede fortrudt." in text_of(html)

    clock.now = NOW
    await schedule(console)
    clock.now = AT_UTC
    await tick(console, clock)
    assert await queued(db) == LEADERS
    with pytest.raises(BroadcastError, match="allerede sendt"):
        async with db.sessions() as s:
            second = await s.scalar(select(func.max(Broadcast.id)))
        await console.app[CORE].broadcaster.cancel("hold-2027", int(second or 0))


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2027-01-04T09:30", "mandag 4. januar 2027 kl. 09.30 er allerede gået. Vælg et tidspunkt frem i tiden."),
        ("2027-03-28T02:30", "Kl. 02.30 findes ikke den 28. marts 2027: uret springer frem."),
        ("2027-10-31T02:30", "Kl. 02.30 kommer to gange den 31. oktober 2027: uret stilles tilbage."),
        ("i morgen", "Skriv tidspunktet som dato og klokkeslæt"),
    ],
)
async def test_a_past_or_impossible_time_is_refused_in_danish_and_nothing_is_stored(
    console: Server, db: Database, at: str, message: str
) -> None:
    status, html, _ = await schedule(console, at=at)
    assert status == 400
    error = re.search(r'id="bc-at-error"[^>]*>([^<]*)<', html)
    assert error and message in error.group(1).replace("&#39;", "'")
    assert "Sådan ser kortet ud" in text_of(html)  # the card is still there: only the time needs fixing
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_others_and_forged_forms_schedule_and_cancel_nothing(console: Server, db: Database) -> None:
    form = {"csrf": "", "cohort": "hold-2027", "role": "all", "text": "hej", "at": AT}
    status, html, _ = await post(console, "/console/broadcast/schedule", form, email=ANNA)
    assert status == 403 and "administratorer" in html
    status, _, _ = await post(console, "/console/broadcast/schedule", {**form, "csrf": "1.forged"})
    assert status == 403
    await schedule(console)
    status, _, _ = await post(console, "/console/broadcast/cancel", {"csrf": "", "cohort": "hold-2027", "id": "1"}, email=ANNA)
    assert status == 403
    status, _, _ = await post(console, "/console/broadcast/cancel", {"csrf": "1.forged", "cohort": "hold-2027", "id": "1"})
    assert status == 403
    async with db.sessions() as s:
        (only,) = await s.scalars(select(Broadcast))
    assert only.cancelled_at is None and only.released_at is None
