"""GET /metrics: the named series with the right values after a scripted run, and refused where it should be."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from app import CORE, SENDER
from bot.config import ConfigError, Secret, Settings
from bot.observe.http import metrics_refusal
from bot.storage.db import Database
from bot.storage.models import Conversation, Person
from tests.fakes.connector import FakeConnector
from tests.fakes.limited_connector import LimitedConnector
from tests.support import ANNA, NOW, Clock, Server, message_from, seed, start_server, store_chats

LARS, BO, METTE = "lars.admin@lead.example", "bo.talent@rn.example", "mette.leder@aalborg.example"
TOKEN = "metrics-token-0123456789"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, by (name, labels)."""
    return {(s.name, frozenset(s.labels.items())): s.value for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(server: Server, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with server.http.get(server.url + "/metrics", headers=headers) as resp:
        assert resp.status == 200 and resp.content_type == "text/plain"
        return parse(await resp.text())


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def teams() -> AsyncIterator[LimitedConnector]:
    # the outbox's Bot Connector: faults scripted per conversation (the key is the conversation id)
    fake = LimitedConnector(rate=1000, retry_after=1, key_of=lambda conversation, body: conversation)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def world(
    db: Database, programme: Any, settings: Settings, connector: FakeConnector, teams: LimitedConnector, clock: Clock
) -> AsyncIterator[Server]:
    await seed(db, programme)
    await store_chats(db, teams.url)  # everyone's chat is at the fault-injecting fake
    server = await start_server(replace(settings, send_max_attempts=2, global_rate_per_second=20), clock)
    yield server
    await server.close()


async def chat_of(db: Database, email: str) -> str:
    async with db.sessions() as s:
        return str(
            await s.scalar(
                select(Conversation.conversation_id).join(Person, Person.id == Conversation.person_id).where(Person.email == email)
            )
        )


async def test_metrics_after_a_turn_a_broadcast_with_a_429_and_a_dead_letter(
    world: Server, connector: FakeConnector, teams: LimitedConnector, db: Database, clock: Clock
) -> None:
    teams.scripted[await chat_of(db, BO)] = [429]  # throttled once, then delivered
    teams.scripted[await chat_of(db, METTE)] = [500, 503]  # 5xx on both attempts: dead-lettered
    before = await scrape(world)

    await world.post(message_from(ANNA, "hjælp", connector, 1))  # an everyday turn
    await world.post(message_from(ANNA, "spørg underviser om der er parkering ved Comwell?", connector, 1))
    await world.post(message_from(LARS, "udsend alle Husk kaffe", connector, 7))
    assert "Besked sendt" in connector.texts()[-1]
    queued = await scrape(world)
    clock.advance(600)  # ten minutes pass before the sender runs: the oldest due row is 600 s late
    late = await scrape(world)
    for _ in range(4):  # the first pass sends and fails, the next ones retry after the backoff
        while await world.app[SENDER].drain_once():
            pass
        clock.advance(120)
    after = await scrape(world)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("talentnord_turns_total", route="help", outcome="ok") == 1
    assert delta("talentnord_turns_total", route="ask", outcome="ok") == 1
    assert delta("talentnord_turns_total", route="broadcast", outcome="ok") == 1
    assert delta("talentnord_turn_seconds_count") == 3
    assert delta("talentnord_http_requests_total", method="POST", route="/api/messages", status="201") == 3
    assert delta("talentnord_questions_handed_off_total") == 1
    assert value(after, "talentnord_questions_open", age="1d_to_3d") == 0 and value(after, "talentnord_questions_open", age="under_1d") == 1

    # Lars's own chat is the one his turn came from (the plain fake); everyone else's is at the faulty one
    recipients = int(value(queued, "talentnord_outbox_rows", state="pending"))
    assert recipients >= 5
    assert value(queued, "talentnord_outbox_oldest_pending_seconds") == 0
    assert value(late, "talentnord_outbox_oldest_pending_seconds") == 600
    assert delta("talentnord_sends_total", outcome="sent") == recipients - 1
    assert delta("talentnord_sends_total", outcome="429") == 1
    assert delta("talentnord_sends_total", outcome="5xx") == 2
    assert delta("talentnord_sends_total", outcome="dead_lettered") == 1
    assert delta("talentnord_sends_total", outcome="unreachable") == 0
    assert value(after, "talentnord_outbox_rows", state="sent") == recipients - 1
    assert value(after, "talentnord_outbox_rows", state="dead") == 1
    assert value(after, "talentnord_outbox_rows", state="pending") == 0
    assert value(after, "talentnord_outbox_oldest_pending_seconds") == 0
    # 20 sends a second for several rows in one pass: the global pace made some of them wait
    assert delta("talentnord_pacing_waits_total", limit="global") >= 1
    assert delta("talentnord_pacing_wait_seconds_total", limit="global") > 0

    clock.advance(2 * 86400)
    aged = await scrape(world)
    assert value(aged, "talentnord_questions_open", age="1d_to_3d") == 1 and value(aged, "talentnord_questions_open", age="under_1d") == 0


async def test_plan_rows_released_are_counted(world: Server, clock: Clock) -> None:
    core = world.app[CORE]
    await core.planner.replan("hold-2027")
    before = await scrape(world)
    released = await core.planner.release_due(clock())
    after = await scrape(world)
    assert released > 0
    assert value(after, "talentnord_plan_rows_released_total") - value(before, "talentnord_plan_rows_released_total") == released


async def test_a_failing_turn_counts_as_an_error(world: Server, connector: FakeConnector) -> None:
    before = await scrape(world)
    with mock.patch.object(world.app[CORE].guide, "help", side_effect=RuntimeError("boom")):
        response = await world.post(message_from(ANNA, "hjælp", connector, 1))
    assert response.status == 201 and "Beklager" in connector.texts()[-1]
    after = await scrape(world)
    key = ("talentnord_turns_total", frozenset({("route", "help"), ("outcome", "error")}))
    assert after.get(key, 0) - before.get(key, 0) == 1


async def test_unauthorised_and_malformed_requests_are_counted_apart(world: Server) -> None:
    before = await scrape(world)
    await world.post(b"not json")
    after = await scrape(world)
    assert (
        value(after, "talentnord_turns_total", route="invalid", outcome="rejected")
        - value(before, "talentnord_turns_total", route="invalid", outcome="rejected")
        == 1
    )


# ---- who may read it -------------------------------------------------------------------------------


async def test_with_a_token_only_the_right_bearer_gets_metrics(settings: Settings) -> None:
    server = await start_server(replace(settings, metrics_token=Secret(TOKEN)))
    try:
        async with server.http.get(server.url + "/metrics") as resp:
            assert resp.status == 401 and resp.headers["WWW-Authenticate"] == "Bearer"
        async with server.http.get(server.url + "/metrics", headers={"Authorization": "Bearer wrong-token-000000000"}) as resp:
            assert resp.status == 403
        async with server.http.get(server.url + "/metrics", headers={"Authorization": f"Basic {TOKEN}"}) as resp:
            assert resp.status == 401
        samples = await scrape(server, TOKEN)
        assert ("talentnord_outbox_rows", frozenset({("state", "pending")})) in samples
    finally:
        await server.close()


def _request_from(peer: str, headers: dict[str, str] | None = None) -> Any:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (peer, 40000) if name == "peername" else default
    return make_mocked_request("GET", "/metrics", headers=headers or {}, transport=transport)


def test_without_a_token_only_loopback_peers_get_metrics() -> None:
    settings = Settings.from_env({})
    assert metrics_refusal(_request_from("127.0.0.1"), settings) is None
    assert metrics_refusal(_request_from("::1"), settings) is None
    refused = metrics_refusal(_request_from("10.1.2.3"), settings)
    assert refused is not None and refused.status == 403
    # a forwarded-for header claiming loopback does not help a remote peer
    spoofed = metrics_refusal(_request_from("203.0.113.9", {"X-Forwarded-For": "127.0.0.1"}), settings)
    assert spoofed is not None and spoofed.status == 403


def test_with_a_token_a_loopback_peer_needs_it_too() -> None:
    settings = replace(Settings.from_env({}), metrics_token=Secret(TOKEN))
    refused = metrics_refusal(_request_from("127.0.0.1"), settings)
    assert refused is not None and refused.status == 401
    assert metrics_refusal(_request_from("10.1.2.3", {"Authorization": f"Bearer {TOKEN}"}), settings) is None


def test_a_short_metrics_token_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        Settings.from_env({"METRICS_TOKEN": "short"})
    assert Settings.from_env({"METRICS_TOKEN": TOKEN}).metrics_token.reveal() == TOKEN


async def test_a_database_that_is_down_gives_503_not_500(world: Server) -> None:
    with mock.patch("bot.observe.http.scrape", side_effect=OSError("connection refused")):
        async with world.http.get(world.url + "/metrics") as resp:
            assert resp.status == 503
