"""App-only tokens from a loopback Entra ID (msal against the fake's token endpoint), and the sender across a renewal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Secret
from bot.delivery.connector import ConnectorClient
from bot.delivery.tokens import EntraToken, TokenError
from bot.storage.db import Database
from tests.fakes.graph import FakeGraph
from tests.fakes.limited_connector import LimitedConnector
from tests.outbox.test_sender import WireClient, add_conversations, add_one_row_each, drain, make_sender
from tests.support import Clock
from tests.support.clock import VirtualClock

TENANT = "3d1c2a5e-0f0b-4d43-9a57-4f1f3c2b9a10"
APP_ID = "5b3e5b8e-8e0c-4c3b-9c33-7f1a4e2f1d20"
SECRET = "not-the-real-secret~0123456789"
SCOPE = "https://api.botframework.com/.default"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


# Tokens living less than msal's own margin (5 minutes): msal's cache, which keeps real time, then
# never serves one, so what these tests see is EntraToken's keeping on the test's clock. At this
# life, it renews ahead (in the background) at half its life, and header() waits 30 s before expiry.
LIFETIME = 250
RENEW_AHEAD = LIFETIME / 2
MIN_LEFT = 30


@pytest.fixture
async def entra(tmp_path: Path) -> AsyncIterator[FakeGraph]:
    graph = FakeGraph(TENANT, APP_ID, SECRET, token_lifetime=LIFETIME)
    await graph.start(tmp_path / "tls")
    yield graph
    await graph.stop()


def entra_token(fake: FakeGraph, clock: object = None, secret: str = SECRET) -> EntraToken:
    extra = {"clock": clock} if clock is not None else {}
    return EntraToken(
        app_id=APP_ID, secret=Secret(secret), authority=fake.authority, tenant=TENANT, scope=SCOPE, verify=str(fake.ca_path), **extra
    )


def bearer(header: str | None) -> str:
    assert header is not None and header.startswith("Bearer ")
    return header[len("Bearer ") :]


async def test_a_token_is_fetched_once_and_kept_until_it_nears_expiry(entra: FakeGraph) -> None:
    ticks = Ticks()
    token = entra_token(entra, ticks)
    first = bearer(await token.header())
    assert first in entra.tokens
    for _ in range(3):
        await token.ready()
        assert bearer(await token.header()) == first
    assert len(entra.token_requests) == 1
    assert entra.token_requests[0]["scope"] == SCOPE and entra.token_requests[0]["grant_type"] == "client_credentials"
    ticks.now += LIFETIME - MIN_LEFT + 1  # too close to expiry to use: header() waits for a new one
    second = bearer(await token.header())
    assert second != first and len(entra.token_requests) == 2


async def test_ready_renews_ahead_in_the_background_while_the_old_token_serves(entra: FakeGraph) -> None:
    ticks = Ticks()
    token = entra_token(entra, ticks)
    await token.ready()
    old = bearer(await token.header())
    entra.token_delay = 0.5  # Entra ID is slow to answer the renewal
    ticks.now += LIFETIME - RENEW_AHEAD + 1
    await asyncio.wait_for(token.ready(), 0.2)  # returns at once: the renewal runs on its own
    assert bearer(await asyncio.wait_for(token.header(), 0.2)) == old  # and the old token still serves
    await token.ready()  # asking again while it runs starts no second renewal
    for _ in range(100):
        if bearer(await token.header()) != old:
            break
        await asyncio.sleep(0.05)
    assert bearer(await token.header()) != old
    assert len(entra.token_requests) == 2


async def test_a_refused_token_is_a_token_error_naming_the_problem_not_the_secret(entra: FakeGraph) -> None:
    token = entra_token(entra, secret="wrong-secret-value")
    with pytest.raises(TokenError) as failure:
        await token.header()
    assert "AADSTS7000215" in str(failure.value)
    assert "wrong-secret-value" not in str(failure.value) and SECRET not in str(failure.value)
    with pytest.raises(TokenError):
        await token.ready()  # ready() raises too; ConnectorClient.ready() leaves the report to the send


async def test_a_renewal_during_a_drain_neither_bursts_nor_stalls_the_sends(tmp_path: Path) -> None:
    # In virtual time (tests/outbox/test_sender.py), 640 sends at 200/s take 3.2 s. Tokens live 4 s
    # and the token endpoint takes 0.5 s, so the first token is renewed ahead at 2 s (half its
    # life) and would be unusable at 3.5 s. Were the token asked for only after the row took its
    # slot, the rows would wait for it there and leave in a burst; in virtual time they would hold
    # the wire, time would stand still, and the renewal would never finish. Asked before the slot,
    # the renewal runs beside the sends and the pace holds across it.
    timer = VirtualClock()
    entra = FakeGraph(TENANT, APP_ID, SECRET, token_lifetime=4, token_delay=0.5, sleep=timer.sleep)
    await entra.start(tmp_path / "tls")
    fake = LimitedConnector(rate=200, clock=timer.monotonic)
    await fake.start()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'renewal.db'}")
    await db.upgrade()
    client = WireClient(ConnectorClient(entra_token(entra, timer.monotonic), concurrency=16, timeout=30), timer)
    try:
        convos = await add_conversations(db, fake, 640)
        await add_one_row_each(db, convos, [f"r{i}" for i in range(640)])
        sender = make_sender(db, client, Clock(), rate_per_second=200, timer=timer)
        start = timer.now
        [handled] = await asyncio.wait_for(timer.run(drain(sender)), 60)
    finally:
        await client.close()
        await fake.stop()
        await entra.stop()
        await db.dispose()
    assert handled == 640 and len(fake.accepted) == 640
    assert len(entra.token_requests) == 2  # the first token and its renewal ahead, nothing more
    assert fake.pacing_429s == 0 and fake.max_per_second() <= 200
    first = fake.accepted[0].at
    assert first == pytest.approx(start + 0.5, abs=0.01)  # after the first token, which is waited for
    assert fake.accepted[-1].at - first < 639 / 190  # no stall while the token was renewed
