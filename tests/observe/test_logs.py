"""LOG_FORMAT=json: one object per line, the correlation id from a turn to the sends it queued, no texts or emails."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from app import SENDER
from bot.config import ConfigError, Settings
from bot.logsetup import scrub, setup_logging
from bot.observe.context import bound
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, Person
from tests.fakes.connector import FakeConnector
from tests.support import NOW, Clock, Server, message_from, seed, start_server, store_chats
from tests.support.logs import json_logs

LARS = "lars.admin@lead.example"  # admin of hold-2027 on the example roster
SECRET_TEXT = "Hemmelig besked om lønforhandling 4711"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@pytest.fixture
async def world(db: Database, programme: Any, settings: Settings, connector: FakeConnector) -> AsyncIterator[Server]:
    await seed(db, programme)
    await store_chats(db, connector.url)
    server = await start_server(settings, Clock(NOW))
    yield server
    await server.close()


def test_setup_logging_json_writes_one_object_per_line_with_the_context() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    try:
        setup_logging("INFO", "json", stream=stream)
        with bound("corr-1", cohort="hold-2027", person_id=7):
            logging.getLogger("talentnord.test").info("queued %d message(s)", 3)
        logging.getLogger("talentnord.test").warning("outside")
    finally:
        for handler in [h for h in root.handlers if h not in before[0]]:
            root.removeHandler(handler)
        root.setLevel(before[1])
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "queued 3 message(s)" and first["level"] == "INFO" and first["logger"] == "talentnord.test"
    assert (first["correlation_id"], first["cohort"], first["person_id"]) == ("corr-1", "hold-2027", 7)
    assert first["time"].startswith("20") and first["time"].endswith("+00:00")
    assert (second["correlation_id"], second["cohort"], second["person_id"]) == (None, None, None)


def test_the_scrub_takes_out_emails_and_tokens_and_keeps_json_valid() -> None:
    line = json.dumps(
        {
            "message": "user anna.talent@aalborg.example sent Authorization: Bearer abc.def-ghi_123456 "
            "and eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"
        }
    )
    out = scrub(line)
    assert json.loads(out)["message"] == "user <email> sent Authorization: Bearer <token> and <token>"


def test_log_format_setting_is_checked() -> None:
    assert Settings.from_env({"LOG_FORMAT": "JSON"}).log_format == "json"
    assert Settings.from_env({}).log_format == "text"
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        Settings.from_env({"LOG_FORMAT": "xml"})


async def test_a_turn_and_the_sends_it_queued_share_its_correlation_id_and_no_line_holds_a_text_or_email(
    world: Server, connector: FakeConnector, db: Database
) -> None:
    activity = message_from(LARS, f"udsend alle {SECRET_TEXT}", connector, 7)
    activity["id"] = "f:corr-turn-0042"
    with json_logs() as logs:
        response = await world.post(activity)
        assert response.status in (200, 201)
        assert "Besked sendt" in connector.texts()[-1]
        while await world.app[SENDER].drain_once():
            pass
    records = logs.records()  # every line parses as one JSON object
    assert records and all({"time", "level", "logger", "message", "correlation_id"} <= set(r) for r in records)

    ours = [r for r in records if r["correlation_id"] == "f:corr-turn-0042"]
    access = [r for r in ours if r["logger"] == "talentnord.access"]
    assert len(access) == 1 and access[0]["method"] == "POST" and access[0]["path"] == "/api/messages"
    assert access[0]["status"] in (200, 201) and access[0]["duration_ms"] >= 0
    async with db.sessions() as s:
        lars_id = await s.scalar(select(Person.id).where(Person.email == LARS))
        rows = list(await s.scalars(select(OutboxMessage)))
    assert rows and {r.correlation_id for r in rows} == {"f:corr-turn-0042"}  # the outbox rows carry it
    assert any(r["person_id"] == lars_id and r["cohort"] == "hold-2027" for r in ours)  # the turn's lines name who
    sends = [r for r in ours if r["logger"] == "bot.outbox.sender" and r["message"].startswith("outbox ")]
    assert len(sends) == len(rows)  # one line per send, under the turn's id, each naming its recipient by id
    assert all(isinstance(r["person_id"], int) for r in sends)
    assert {r["person_id"] for r in sends} != {lars_id}

    assert SECRET_TEXT not in logs.text and "lønforhandling" not in logs.text
    assert not EMAIL.search(logs.text), EMAIL.search(logs.text)


async def test_an_activity_without_id_gets_a_fresh_correlation_id_per_request(world: Server, connector: FakeConnector) -> None:
    first, second = (message_from(LARS, "hjælp", connector, 7) for _ in range(2))
    first.pop("id", None)
    second.pop("id", None)
    with json_logs() as logs:
        await world.post(first)
        await world.post(second)
    access = [r for r in logs.records() if r["logger"] == "talentnord.access"]
    ids = [r["correlation_id"] for r in access]
    assert len(ids) == 2 and all(ids) and ids[0] != ids[1]


async def test_access_log_has_no_query_string(world: Server) -> None:
    with json_logs() as logs:
        status, _ = await world.get("/report/hold-2027?exp=1&sig=secret-signature")
    assert status == 403
    [line] = [r for r in logs.records() if r["logger"] == "talentnord.access"]
    assert line["path"] == "/report/hold-2027" and line["status"] == 403
    assert "secret-signature" not in json.dumps(logs.records())


def test_text_logs_stay_the_default_and_show_the_correlation_id() -> None:
    from bot.logsetup import TextFormatter

    record = logging.LogRecord("talentnord", logging.INFO, __file__, 1, "sent to %s", ("x@y.dk",), None)
    record.correlation_id = "abc"
    line = TextFormatter().format(record)
    assert line.endswith("INFO talentnord [abc]: sent to <email>")
    assert replace(Settings.from_env({})).log_format == "text"
