"""The instructors' loop end to end: a talent's question → the channel card → an instructor's answer → the talent."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import CORE, SENDER
from bot import cli
from bot.domain.questions import plain_text, question_text, thread_of, working_hours_between
from bot.storage.db import Database
from bot.storage.models import AnswerFeedback, InstructorChannel, OutboxMessage, Question, QuestionAsker
from cards.plain import plain
from scheduler import jobs
from tests.fakes.connector import FakeConnector, Sent, card_text
from tests.support import NOW, Clock, Server, personal_message, seed, start_server, teams_activity

TZ = ZoneInfo("Europe/Copenhagen")
TENANT = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
CHANNEL = "19:6848757105754c8981c67612732d9aa7@thread.tacv2"
TEAM = "19:66P469zibfbsGI-_a0aN_toLTZpyzS6u7CT3TsXdgPw1@thread.tacv2"
PEOPLE = {
    "anna": ("anna.talent@aalborg.example", "Anna Jensen"),
    "bo": ("bo.talent@rn.example", "Bo Madsen"),
    "camilla": ("camilla.talent@hjoerring.example", "Camilla Larsen"),
    "sofie": ("sofie.underviser@lead.example", "Sofie Holm"),  # instructor
    "lars": ("lars.admin@lead.example", "Lars Thomsen"),  # admin
    "stranger": ("someone@elsewhere.example", "Some One"),
}
QUESTION = "Må jeg tage min hund med på internatet?"
PARAPHRASE = "Kan jeg have min hund med til bootcampen?"
ANSWER = "Nej, desværre. Dyr kan ikke være med på internatet."


def _who(key: str, connector: FakeConnector) -> dict[str, Any]:
    email, name = PEOPLE[key]
    who = {"id": f"29:user-{key}", "name": name, "aadObjectId": f"aad-{key}"}
    connector.know(who, email)
    return who


def chat(key: str, text: str, connector: FakeConnector, **over: Any) -> dict[str, Any]:
    """A message in this person's 1:1 chat with the bot."""
    activity = personal_message(text, connector, **over)
    activity["from"] = _who(key, connector)
    activity["conversation"] = {**activity["conversation"], "id": f"a:chat-{key}"}
    return activity


def in_channel(key: str, text: str, connector: FakeConnector, root: str | None = None, **over: Any) -> dict[str, Any]:
    """A channel message (the recorded thread reply): in the thread of `root`, or a new post when None."""
    activity = teams_activity("message-channel-thread-reply-mention", text=text, serviceUrl=connector.url, **over)
    activity["from"] = _who(key, connector)
    activity["conversation"] = {**activity["conversation"], "id": f"{CHANNEL};messageid={root or activity['id']}", "tenantId": TENANT}
    activity["channelData"]["tenant"] = {"id": TENANT}
    return activity


def card_invoke(key: str, data: dict[str, Any], connector: FakeConnector, conversation: dict[str, Any]) -> dict[str, Any]:
    """Action.Execute (adaptiveCard/action) by this person in a conversation."""
    invoke = teams_activity("invoke-adaptiveCard-action-personal", serviceUrl=connector.url)
    invoke["from"] = _who(key, connector)
    invoke["conversation"] = conversation
    invoke["channelData"] = {"tenant": {"id": TENANT}, "team": {"id": TEAM}, "channel": {"id": CHANNEL}}
    invoke["value"]["action"]["data"] = data
    return invoke


async def invoke(server: Server, activity: dict[str, Any]) -> dict[str, Any]:
    async with server.http.post(server.url + "/api/messages", json=activity) as resp:
        assert resp.status == 200
        return await resp.json()


async def drain(server: Server) -> None:
    while await server.app[SENDER].drain_once():
        pass


def last_text(connector: FakeConnector) -> str:
    return connector.texts()[-1]


def posts_to(connector: FakeConnector, conversation_id: str, method: str = "POST") -> list[Sent]:
    return [s for s in connector.sent if s.conversation_id == conversation_id and s.method == method]


async def card_root(db: Database, question_id: int) -> str:
    """The message id Teams gave the question's channel card (the thread's root)."""
    async with db.sessions() as s:
        root = await s.scalar(select(OutboxMessage.activity_id).where(OutboxMessage.key == f"question/{question_id}/card"))
    assert root
    return root


async def only_question(db: Database) -> Question:
    async with db.sessions() as s:
        [q] = (await s.scalars(select(Question))).all()
        return q


async def handed_off(loop: Server, connector: FakeConnector, db: Database) -> tuple[Question, str]:
    """Anna's QUESTION handed off: the question and the id of its card in the channel."""
    await loop.post(chat("anna", QUESTION, connector))
    await drain(loop)
    q = await only_question(db)
    return q, await card_root(db, q.id)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def open_loop(settings: Any, connector: FakeConnector, clock: Clock) -> Server:
    """The server, with the instructors' channel set by the admin in Teams."""
    server = await start_server(settings, clock)
    await server.post(in_channel("lars", "<at>Talent Nord</at> underviserkanal", connector))
    assert "Denne kanal er nu underviserkanal for" in last_text(connector)
    connector.clear()
    return server


@pytest.fixture
async def loop(db: Database, programme: Any, settings: Any, connector: FakeConnector, clock: Clock) -> Any:
    """The example cohort, the server, and the instructors' channel."""
    await seed(db, programme)
    server = await open_loop(settings, connector, clock)
    yield server
    await server.close()


async def test_unknown_question_goes_to_the_channel_and_the_answer_comes_back_and_is_reused(
    loop: Server, connector: FakeConnector, db: Database
) -> None:
    await loop.post(chat("anna", QUESTION, connector))
    told = last_text(connector)
    assert "sendt til underviserne" in told and "normalt inden for et døgn på hverdage" in told

    await drain(loop)
    [post] = posts_to(connector, CHANNEL)
    card = card_text(post.body["attachments"][0]["content"])
    for shown in (QUESTION, "Anna Jensen", "Aalborg Kommune", "leder af medarbejdere", "Talent Nord 2.0", "Åben", "Svar", "Tilføj til FAQ"):
        assert shown in card
    q = await only_question(db)
    root = await card_root(db, q.id)

    # Sofie answers in the card's thread, @mentioning the bot (the recorded payload's shape).
    connector.clear()
    await loop.post(in_channel("sofie", f"<at>Talent Nord</at> {ANSWER}", connector, root=root))
    assert "Svaret er sendt til 1 talent" in last_text(connector)
    assert connector.sent[-1].conversation_id == f"{CHANNEL};messageid={root}"  # the reply stays in the thread
    await drain(loop)
    [to_anna] = posts_to(connector, "a:chat-anna")
    relayed = card_text(to_anna.body["attachments"][0]["content"])
    assert "Svar fra Sofie Holm" in relayed and ANSWER in relayed and "<at>" not in relayed
    [update] = posts_to(connector, CHANNEL, "PUT")
    assert update.activity_id == root
    updated = card_text(update.body["attachments"][0]["content"])
    assert "Besvaret af Sofie Holm 4. januar kl. 10.00" in updated and ANSWER in updated and "Åben" not in updated
    assert "replacesActivityId" not in update.body

    # The next talent's paraphrase is answered by the bot itself, naming where the answer comes from.
    connector.clear()
    await loop.post(chat("bo", PARAPHRASE, connector))
    reply = connector.cards()[-1]
    text = card_text(reply)
    assert ANSWER in text and "Besvaret af en underviser 4. januar" in text
    assert [a["title"] for a in reply["actions"]] == ["Det hjalp", "Spørg en underviser alligevel"]
    assert posts_to(connector, CHANNEL) == []  # nothing more for the instructors


async def test_a_question_the_programme_nearly_answers_is_asked_of_the_instructors_once(
    loop: Server, connector: FakeConnector, db: Database
) -> None:
    # Every word is in the programme's time plan, which holds no clock time: the instructors answer it,
    # and the next talent asking the same gets their answer rather than the channel getting it again.
    question, answer = "Hvad tid på dagen starter kick-off?", "Kick-off begynder kl. 9.00 og slutter kl. 12.30."
    await loop.post(chat("anna", question, connector))
    assert "sendt til underviserne" in last_text(connector)
    await drain(loop)
    assert len(posts_to(connector, CHANNEL)) == 1
    q = await only_question(db)
    await loop.post(in_channel("sofie", f"<at>Talent Nord</at> {answer}", connector, root=await card_root(db, q.id)))
    await drain(loop)
    connector.clear()
    await loop.post(chat("bo", "hvad tid på dagen starter kick-off", connector))
    text = card_text(connector.cards()[-1])
    assert answer in text and "Besvaret af en underviser" in text
    await drain(loop)
    assert posts_to(connector, CHANNEL) == []


async def test_a_reply_without_mention_answers_and_a_second_answer_is_not_sent(
    loop: Server, connector: FakeConnector, db: Database
) -> None:
    q, root = await handed_off(loop, connector, db)
    await loop.post(in_channel("sofie", ANSWER, connector, root=root, entities=[]))
    await drain(loop)
    await loop.post(in_channel("lars", "Ja, hvis den er rolig.", connector, root=root))
    assert "allerede besvaret af Sofie Holm" in last_text(connector)
    await drain(loop)
    assert len(posts_to(connector, "a:chat-anna")) == 2  # the hand-off notice and ONE answer
    async with db.sessions() as s:
        assert (await s.get(Question, q.id)).answer == ANSWER


async def test_someone_who_is_not_an_instructor_is_refused_politely_and_nothing_changes(
    loop: Server, connector: FakeConnector, db: Database
) -> None:
    q, root = await handed_off(loop, connector, db)
    async with db.sessions() as s:
        before = await s.scalar(select(func.count()).select_from(OutboxMessage))
    for key in ("bo", "stranger"):
        connector.clear()
        await loop.post(in_channel(key, "Det vil jeg også gerne vide!", connector, root=root))
        assert "Kun underviserne og LEAD kan besvare spørgsmål her" in last_text(connector)
    await drain(loop)
    assert posts_to(connector, "a:chat-anna") == []
    async with db.sessions() as s:
        assert (await s.get(Question, q.id)).status == "open"
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == before


async def test_posts_in_other_threads_of_the_team_are_ignored(loop: Server, connector: FakeConnector) -> None:
    await loop.post(in_channel("sofie", "Husk mødet i morgen", connector, root="1759881511856"))
    await loop.post(in_channel("sofie", "Nyt opslag uden for tråde", connector))
    assert connector.sent == []


async def test_card_answer_with_faq_unticked_is_relayed_but_not_reused(loop: Server, connector: FakeConnector, db: Database) -> None:
    q, root = await handed_off(loop, connector, db)
    thread = {"id": f"{CHANNEL};messageid={root}", "conversationType": "channel", "isGroup": True, "tenantId": TENANT}
    data = {"verb": "question-answer", "question": q.id, "answer": ANSWER, "faq": "false"}

    body = await invoke(loop, card_invoke("sofie", data, connector, thread))
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Besvaret af Sofie Holm" in card_text(body["value"]) and "actions" not in body["value"]
    await drain(loop)
    assert ANSWER in card_text(posts_to(connector, "a:chat-anna")[-1].body["attachments"][0]["content"])
    assert f"answered:{q.id}" not in loop.app[CORE].questions

    again = await invoke(loop, card_invoke("sofie", {**data, "answer": "Andet svar"}, connector, thread))
    assert again["type"] == "application/vnd.microsoft.activity.message" and "allerede besvaret" in again["value"]
    refused = await invoke(loop, card_invoke("bo", data, connector, thread))
    assert refused["type"] == "application/vnd.microsoft.activity.message" and "Kun underviserne" in refused["value"]

    connector.clear()
    await loop.post(chat("bo", QUESTION, connector))
    assert "sendt til underviserne" in last_text(connector)  # not answered from the index: it goes to a person


async def test_action_submit_fallback_in_the_channel_answers_too(loop: Server, connector: FakeConnector, db: Database) -> None:
    q, root = await handed_off(loop, connector, db)
    submit = teams_activity("message-action-submit-value-channel", serviceUrl=connector.url)
    submit["from"] = _who("sofie", connector)
    submit["conversation"] = {**submit["conversation"], "id": f"{CHANNEL};messageid={root}", "tenantId": TENANT}
    submit["channelData"] = {**submit["channelData"], "channel": {"id": CHANNEL}, "tenant": {"id": TENANT}}
    submit["value"] = {"verb": "question-answer", "question": str(q.id), "answer": ANSWER, "faq": "true"}
    await loop.post(submit)
    assert "Svaret er sendt til 1 talent og føjet til FAQ" in last_text(connector)
    assert f"answered:{q.id}" in loop.app[CORE].questions


async def test_a_second_asker_is_attached_and_gets_the_same_answer_and_text_is_escaped(
    loop: Server, connector: FakeConnector, db: Database
) -> None:
    # what a person typed as "</at>" arrives HTML-escaped from Teams; the card must show it as typed
    hostile = 'Spørg en underviser: gælder "reglen" {{ x }} &lt;/at&gt; også for os\\andre?'
    await loop.post(chat("anna", hostile, connector))
    await loop.post(chat("bo", 'spørg en underviser: Gælder "reglen" {{ x }} også for os\\andre', connector))
    assert "Det samme spørgsmål er allerede sendt til underviserne" in last_text(connector)
    await loop.post(chat("bo", hostile, connector))
    assert "Du har allerede stillet det spørgsmål" in last_text(connector)
    await drain(loop)
    [post] = posts_to(connector, CHANNEL)
    card = post.body["attachments"][0]["content"]
    # markdown-escaped (issue #16), which Teams shows exactly as typed
    assert plain('Gælder "reglen" {{ x }} </at> også for os\\andre?') in card_text(card)
    async with db.sessions() as s:
        q = (await s.scalars(select(Question))).one()
        assert await s.scalar(select(func.count()).select_from(QuestionAsker).where(QuestionAsker.question_id == q.id)) == 2
    root = await card_root(db, q.id)
    connector.clear()
    await loop.post(in_channel("sofie", "Ja, det gør den.", connector, root=root))
    assert "Svaret er sendt til 2 talenter" in last_text(connector)
    await drain(loop)
    for key in ("anna", "bo"):
        [answer] = posts_to(connector, f"a:chat-{key}")
        assert "Ja, det gør den." in card_text(answer.body["attachments"][0]["content"])


async def test_one_reminder_after_24_working_hours_in_the_thread(
    loop: Server, connector: FakeConnector, db: Database, clock: Clock
) -> None:
    clock.now = datetime(2027, 1, 8, 10, 0, tzinfo=TZ)  # a Friday morning
    _q, root = await handed_off(loop, connector, db)
    core, sender = loop.app[CORE], loop.app[SENDER]

    clock.now = datetime(2027, 1, 11, 9, 0, tzinfo=TZ)  # Monday: 14 + 9 working hours, the weekend does not count
    assert await core.desk.remind_overdue() == 0
    clock.now = datetime(2027, 1, 11, 11, 0, tzinfo=TZ)
    # every replica runs the check; three at once still remind once
    assert sorted(await asyncio.gather(*(jobs.question_sla(core, sender, clock) for _ in range(3)))) == [0, 0, 1]
    assert await jobs.question_sla(core, sender, clock) == 0
    clock.now += timedelta(days=3)
    assert await core.desk.remind_overdue() == 0
    await drain(loop)
    [reminder] = posts_to(connector, f"{CHANNEL};messageid={root}")
    assert "Påmindelse" in reminder.body["text"] and "24 arbejdstimer" in reminder.body["text"]


async def test_learned_answers_survive_a_restart(
    db: Database, programme: Any, connector: FakeConnector, settings: Any, clock: Clock
) -> None:
    await seed(db, programme)
    first = await open_loop(settings, connector, clock)
    try:
        await first.post(chat("anna", QUESTION, connector))
        await drain(first)
        q = await only_question(db)
        await first.post(in_channel("sofie", ANSWER, connector, root=await card_root(db, q.id)))
    finally:
        await first.close()

    again = await start_server(settings, clock)
    try:
        assert f"answered:{q.id}" in again.app[CORE].questions
        await again.post(chat("camilla", PARAPHRASE, connector))
        text = last_text(connector)
        assert ANSWER in text and "Besvaret af en underviser 4. januar" in text
    finally:
        await again.close()


async def test_answer_buttons_record_feedback_and_hand_off(loop: Server, connector: FakeConnector, db: Database) -> None:
    chat_conv = {"id": "a:chat-anna", "conversationType": "personal", "tenantId": TENANT}
    await loop.post(chat("anna", "Hvor mange buddy-møder er der?", connector))
    answer = connector.cards()[-1]
    helped, ask = answer["actions"]
    body = await invoke(loop, card_invoke("anna", helped["data"], connector, chat_conv))
    assert "godt, at det hjalp" in card_text(body["value"]) and "actions" not in body["value"]
    body = await invoke(loop, card_invoke("anna", ask["data"], connector, chat_conv))
    assert "sendt til underviserne" in card_text(body["value"])
    async with db.sessions() as s:
        assert [f.helpful for f in (await s.scalars(select(AnswerFeedback).order_by(AnswerFeedback.id))).all()] == [True, False]
    q = await only_question(db)
    assert q.text == "Hvor mange buddy-møder er der?"
    await drain(loop)
    assert len(posts_to(connector, CHANNEL)) == 1


async def test_ask_card_from_help_with_an_activity(loop: Server, connector: FakeConnector, db: Database) -> None:
    chat_conv = {"id": "a:chat-anna", "conversationType": "personal", "tenantId": TENANT}
    await loop.post(chat("anna", "hjælp", connector))
    ask_form = next(a for a in connector.cards()[-1]["actions"] if a["title"] == "Stil et spørgsmål")
    form = (await invoke(loop, card_invoke("anna", ask_form["data"], connector, chat_conv)))["value"]
    assert any(i.get("id") == "activity" for i in form["body"])
    empty = await invoke(loop, card_invoke("anna", {"verb": "ask", "question": "  "}, connector, chat_conv))
    assert "Skriv dit spørgsmål" in card_text(empty["value"])
    sent = await invoke(
        loop, card_invoke("anna", {"verb": "ask", "question": "Må man tage sin hund med?", "activity": "m3"}, connector, chat_conv)
    )
    assert "sendt til underviserne" in card_text(sent["value"])
    await drain(loop)
    assert "Modul 3" in card_text(posts_to(connector, CHANNEL)[0].body["attachments"][0]["content"])


async def test_stray_words_get_the_fallback_not_the_instructors(loop: Server, connector: FakeConnector, db: Database) -> None:
    await loop.post(chat("anna", "blå bananer", connector))
    assert "forstod jeg ikke" in last_text(connector)
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Question)) == 0


async def test_underviserkanal_only_from_an_admin_and_waiting_questions_follow(
    db: Database, programme: Any, settings: Any, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(db, programme)
    server = await start_server(settings)
    try:
        with caplog.at_level(logging.WARNING):
            await server.post(chat("anna", QUESTION, connector))
        assert "Dit spørgsmål er gemt" in last_text(connector) and "LEAD har fået besked" in last_text(connector)
        assert any("no instructors' channel" in r.getMessage() for r in caplog.records)
        assert QUESTION not in caplog.text  # the question itself is personal: never logged

        for key in ("sofie", "stranger"):
            await server.post(in_channel(key, "<at>Talent Nord</at> underviserkanal", connector))
            assert "kun programmets administratorer" in last_text(connector)
        async with db.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(InstructorChannel)) == 0

        await server.post(chat("lars", "underviserkanal", connector))
        assert "i den kanal" in last_text(connector)
        await server.post(in_channel("lars", "<at>Talent Nord</at> underviserkanal hold-2027", connector))
        assert "1 spørgsmål, der ventede på en kanal, er lagt her nu" in last_text(connector)
        await drain(server)
        assert QUESTION in card_text(posts_to(connector, CHANNEL)[0].body["attachments"][0]["content"])
    finally:
        await server.close()


async def test_cli_sets_the_channel_and_checks_the_ids(
    db: Database, programme: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(db, programme)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    base = ["channel", "instructors", "--cohort", "hold-2027", "--service-url", "https://smba.trafficmanager.net/emea/"]
    assert await _cli([*base, "--conversation-id", f"{CHANNEL};messageid=1"]) == 1
    assert "without ';messageid=" in capsys.readouterr().err
    assert await _cli([*base[:3], "nope", *base[4:], "--conversation-id", CHANNEL]) == 1
    assert await _cli([*base, "--conversation-id", CHANNEL]) == 0
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(InstructorChannel)) == 1


async def _cli(argv: list[str]) -> int:
    import asyncio

    # cli.main runs its own event loop: give it a thread of its own
    return await asyncio.to_thread(cli.main, argv)


def test_question_text_and_threads() -> None:
    assert question_text("spørg en underviser om hvornår er modul 3?") == ("Hvornår er modul 3?", True)
    assert question_text("Spørg: hvor mange buddy-møder?") == ("Hvor mange buddy-møder?", False)
    assert question_text("<at>Talent Nord</at> hvad koster det?") == ("Hvad koster det?", False)
    assert plain_text("<at>Bot</at>&nbsp;Svar &amp; mere<br>linje 2") == "Svar & mere\nlinje 2"
    assert thread_of(f"{CHANNEL};messageid=42") == (CHANNEL, "42")
    assert thread_of(CHANNEL) is None


def test_working_hours_skip_weekends_and_holidays() -> None:
    friday = datetime(2027, 1, 8, 10, 0, tzinfo=TZ)
    assert working_hours_between(friday, datetime(2027, 1, 11, 10, 0, tzinfo=TZ), TZ) == 24
    easter = datetime(2027, 3, 24, 12, 0, tzinfo=TZ)  # Wednesday before Easter: Thursday to Monday are holidays
    assert working_hours_between(easter, datetime(2027, 3, 30, 12, 0, tzinfo=TZ), TZ) == 24
    assert working_hours_between(friday, friday - timedelta(hours=1), TZ) == 0
    assert working_hours_between(friday.astimezone(UTC), friday + timedelta(hours=2), TZ) == 2
