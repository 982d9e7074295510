"""The digital track end to end: plan → tick → outbox → sender → card → 'Markér som set' → library."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app import CORE, SENDER
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, PlannedDelivery, Progress
from tests.fakes.connector import FakeConnector, card_text
from tests.support import ANNA, NOW, Clock, Server, personal_message, seed, start_server, teams_activity


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def track(db: Database, programme: Any, settings: Any, connector: FakeConnector, clock: Clock) -> Any:
    await seed(db, programme)
    server = await start_server(settings, clock)
    core = server.app[CORE]
    await core.planner.replan("hold-2027")
    hello = personal_message("hej", connector)
    connector.know(hello["from"], ANNA)
    await server.post(hello)
    connector.clear()
    yield server
    await server.close()


async def tick_and_send(server: Server) -> int:
    released = await server.app[CORE].planner.release_due(server.app[CORE].learning.clock())
    while await server.app[SENDER].drain_once():
        pass
    return released


async def test_intro_goes_out_14_days_before_and_card_shows_step_and_minutes(track: Server, connector: FakeConnector) -> None:
    # NOW is 4 Jan 2027; the kick-off is 12 Jan, so the intro (29 Dec) is due, the article (5 Jan) is not.
    assert await tick_and_send(track) == 1
    [card] = connector.cards()
    text = card_text(card)
    assert "Forberedelse til kick-off'en: 1 af 3" in text
    assert "Markér som set" in text and "Åbn" in text
    assert "min." in text
    execute = next(a for a in card["actions"] if a["type"] == "Action.Execute")
    assert execute["data"] == {"verb": "seen", "activity": "kickoff", "topic": "intro"}
    assert execute["fallback"]["type"] == "Action.Submit"


async def test_same_tick_twice_sends_nothing_more(track: Server, connector: FakeConnector) -> None:
    await tick_and_send(track)
    await tick_and_send(track)
    assert len(connector.cards()) == 1


async def test_mark_seen_by_action_execute_updates_card_and_library(
    track: Server, connector: FakeConnector, db: Database, clock: Clock
) -> None:
    await tick_and_send(track)
    invoke = teams_activity("invoke-adaptiveCard-action-personal", serviceUrl=connector.url)
    hello = personal_message("x", connector)
    invoke["from"], invoke["conversation"] = hello["from"], hello["conversation"]
    invoke["channelData"]["tenant"] = hello["channelData"]["tenant"]  # the same person writes from one tenant
    invoke["value"]["action"]["data"] = {"verb": "seen", "activity": "kickoff", "topic": "intro"}
    async with track.http.post(track.url + "/api/messages", json=invoke) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    text = card_text(body["value"])
    assert "Set ✔ 4. januar" in text and "1 af 3 set" in text
    assert "Markér som set" not in text
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Progress)) == 1

    await track.post(personal_message("materialer", connector))
    library = connector.texts()[-1]
    assert "Dit bibliotek" in library and "Kick-off (1 af 1 set)" in library and "✔" in library


async def test_unknown_verb_is_a_400_invoke_not_a_crash(track: Server, connector: FakeConnector) -> None:
    invoke = teams_activity("invoke-adaptiveCard-action-personal", serviceUrl=connector.url)
    hello = personal_message("x", connector)
    invoke["from"], invoke["conversation"] = hello["from"], hello["conversation"]
    invoke["channelData"]["tenant"] = hello["channelData"]["tenant"]  # the same person writes from one tenant
    async with track.http.post(track.url + "/api/messages", json=invoke) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["statusCode"] == 400


async def test_action_submit_fallback_records_and_updates_in_place(track: Server, connector: FakeConnector, db: Database) -> None:
    await tick_and_send(track)
    submit = personal_message("", connector, value={"verb": "seen", "activity": "kickoff", "topic": "intro"}, replyToId="msg-1")
    submit.pop("text")
    await track.post(submit)
    update = connector.sent[-1]
    assert update.method == "PUT" and update.activity_id == "msg-1"
    assert "Set ✔" in card_text(update.body["attachments"][0]["content"])


async def test_late_calendar_sends_due_steps_together_in_order_once(track: Server, connector: FakeConnector, clock: Clock) -> None:
    clock.now = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)  # the day before the kick-off
    assert await tick_and_send(track) == 4
    titles = [card_text(c).splitlines()[0] for c in connector.cards()]
    assert titles[:3] == [
        "Forberedelse til kick-off'en: 1 af 3",
        "Forberedelse til kick-off'en: 2 af 3",
        "Forberedelse til kick-off'en: 3 af 3",
    ]
    assert "Praktisk påmindelse" in card_text(connector.cards()[3])
    assert await tick_and_send(track) == 0


async def test_nothing_is_sent_after_the_activity_started(track: Server, connector: FakeConnector, clock: Clock, db: Database) -> None:
    clock.now = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)  # kick-off began at 08:00 UTC
    await tick_and_send(track)
    assert not any("Kick-off" in card_text(c) for c in connector.cards())
    async with db.sessions() as s:
        reasons = set(
            await s.scalars(
                select(PlannedDelivery.status_reason).where(PlannedDelivery.activity_key == "kickoff", PlannedDelivery.person_id == 5)
            )
        )
    assert "activity started" in reasons
    # the library still offers the kick-off's materials
    await track.post(personal_message("bibliotek", connector))
    assert "Kick-off" in connector.texts()[-1]


async def test_library_closes_a_year_after_the_last_activity(track: Server, connector: FakeConnector, clock: Clock) -> None:
    clock.now = datetime(2029, 6, 1, 10, 0, tzinfo=UTC)
    await track.post(personal_message("materialer", connector))
    assert "Adgangen til programmets materialer sluttede" in connector.texts()[-1]


async def test_broadcast_reaches_people_with_a_chat_and_lists_the_rest(track: Server, connector: FakeConnector, db: Database) -> None:
    result = await track.app[CORE].broadcaster.broadcast("hold-2027", 'Husk "navneskilt" – og kaffe!', "talent", "Lars")
    assert result.queued == 1  # only Anna has opened the chat
    assert len(result.unreachable) == 4
    while await track.app[SENDER].drain_once():
        pass
    assert 'Husk "navneskilt" – og kaffe!' in connector.texts()[-1]


async def test_admin_broadcast_in_teams_and_refusal_for_others(track: Server, connector: FakeConnector) -> None:
    await track.post(personal_message("udsend Hej alle", connector))
    assert "Det kan kun LEAD" in connector.texts()[-1]


async def test_changed_material_after_send_gives_one_update_notice(track: Server, connector: FakeConnector, db: Database) -> None:
    from dataclasses import replace

    await tick_and_send(track)
    core = track.app[CORE]
    seq = core.materials.sequences["kickoff"]
    intro = replace(seq.steps[0], title=seq.steps[0].title + " (ny version)")
    core.materials.sequences["kickoff"] = replace(seq, steps=(intro, *seq.steps[1:]))
    first = await core.learning.publish()
    second = await core.learning.publish()
    assert (first.changed, first.update_notices) == (1, 1)
    assert (second.changed, second.update_notices) == (0, 0)
    while await track.app[SENDER].drain_once():
        pass
    updates = [c for c in connector.cards() if "Opdateret materiale" in card_text(c)]
    assert len(updates) == 1 and "(ny version)" in card_text(updates[0])
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 2


async def test_moving_a_date_after_a_send_moves_the_rest_and_resends_nothing(
    track: Server, connector: FakeConnector, db: Database, programme: Any, clock: Clock
) -> None:
    from bot.content.cohort import parse_cohort
    from bot.content.yamlfile import load_yaml_text
    from bot.services.roster import RosterService
    from tests.support import EXAMPLE_COHORT

    await tick_and_send(track)  # the intro goes out
    moved = EXAMPLE_COHORT.read_text(encoding="utf-8").replace("2027-01-12T", "2027-01-19T")
    await RosterService(db).import_cohort(parse_cohort(load_yaml_text(moved, "moved.yaml"), "moved.yaml", programme))
    summary = await track.app[CORE].planner.replan("hold-2027")
    assert summary.added == 0 and summary.moved > 0
    clock.now = datetime(2027, 1, 18, 10, 0, tzinfo=UTC)
    await tick_and_send(track)
    topics = [card_text(c).splitlines()[0] for c in connector.cards() if "Kick-off" in card_text(c) or "kick-off" in card_text(c)]
    assert topics.count("Forberedelse til kick-off'en: 1 af 3") == 1
    assert "Forberedelse til kick-off'en: 2 af 3" in topics and "Forberedelse til kick-off'en: 3 af 3" in topics
    async with db.sessions() as s:
        keys = list(await s.scalars(select(OutboxMessage.key)))
    assert len(keys) == len(set(keys))
