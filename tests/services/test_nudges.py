"""Buddy pairs and nudges: rules, counts and windows on a real calendar, and the actions on the cards."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import CORE, SENDER
from bot.domain.buddies import Candidate, check_groups, suggest_groups
from bot.services.buddies import BuddyError
from bot.services.nudging import ActionError
from bot.storage.db import Database
from bot.storage.models import Person, PlannedDelivery
from scheduler.setup import DAILY_JOB_ID, DAILY_RETRY_JOB_ID, LINK_CHECK_JOB_ID, QUESTION_SLA_JOB_ID, TICK_JOB_ID, create_scheduler
from tests.fakes.connector import FakeConnector, card_text
from tests.support import NOW, Clock, Server, rendered, seed, start_server, store_chats

CPH = ZoneInfo("Europe/Copenhagen")


def c(pid: int, org: str, level: str = "leder-af-medarbejdere", area: str = "") -> Candidate:
    return Candidate(pid, f"p{pid}@x.dk", level, org, area)


def test_pairs_stay_on_one_level_and_prefer_another_organisation() -> None:
    people = [c(1, "A"), c(2, "A"), c(3, "B"), c(4, "B"), c(5, "A", "leder-af-ledere"), c(6, "C", "leder-af-ledere")]
    groups = suggest_groups(people)
    by_id = {p.person_id: p for p in people}
    assert sorted(len(g) for g in groups) == [2, 2, 2]
    for group in groups:
        assert len({by_id[i].level for i in group}) == 1
        assert len({by_id[i].organisation for i in group}) == len(group), "another organisation when possible"


def test_same_organisation_falls_back_to_another_area() -> None:
    people = [c(1, "A", area="Skole"), c(2, "A", area="Skole"), c(3, "A", area="Ældre"), c(4, "A", area="Ældre")]
    for group in suggest_groups(people):
        areas = {next(p.area for p in people if p.person_id == i) for i in group}
        assert len(areas) == 2


def test_an_odd_count_makes_one_trio_and_nobody_is_left_out() -> None:
    people = [c(i, "ABC"[i % 3]) for i in range(1, 8)]
    groups = suggest_groups(people)
    assert sorted(len(g) for g in groups) == [2, 2, 3]
    assert sorted(i for g in groups for i in g) == list(range(1, 8))


def test_pairing_is_deterministic_and_independent_of_input_order() -> None:
    people = [c(i, "ABCD"[i % 4]) for i in range(1, 12)]
    assert suggest_groups(people) == suggest_groups(list(reversed(people)))


def test_manual_groups_are_checked() -> None:
    levels = {"a@x": "l1", "b@x": "l1", "c@x": "l2", "d@x": "l2"}
    assert check_groups([["a@x", "b@x"], ["c@x", "d@x"]], levels) == []
    problems = check_groups([["a@x", "c@x"], ["b@x"], ["zz@x", "d@x"]], levels)
    assert any("samme ledelsesniveau" in p for p in problems)
    assert any("mindst to" in p for p in problems)
    assert any("zz@x er ikke talent" in p for p in problems)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def cohort(db: Database, programme: Any, settings: Any, clock: Clock, connector: FakeConnector) -> Any:
    await seed(db, programme)
    server = await start_server(settings, clock)
    core = server.app[CORE]
    await core.planner.replan("hold-2027")
    groups = await core.buddies.suggest("hold-2027")
    # everyone has opened the chat with the bot (the Graph sync will do this in production)
    await store_chats(db, connector.url)
    yield server, groups
    await server.close()


async def rows(db: Database, **where: Any) -> list[PlannedDelivery]:
    async with db.sessions() as s:
        query = select(PlannedDelivery)
        for name, value in where.items():
            query = query.where(getattr(PlannedDelivery, name) == value)
        return list(await s.scalars(query.order_by(PlannedDelivery.due_at, PlannedDelivery.id)))


async def person_id(db: Database, email: str) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Person.id).where(Person.email == email))


async def test_suggest_groups_the_example_roster(cohort: Any) -> None:
    _, groups = cohort
    assert sorted(map(sorted, groups)) == sorted(
        map(
            sorted,
            [
                ["anna.talent@aalborg.example", "bo.talent@rn.example", "camilla.talent@hjoerring.example"],
                ["david.talent@aalborg.example", "eva.talent@rn.example"],
            ],
        )
    ) or all(len(g) in (2, 3) for g in groups)
    assert sum(len(g) for g in groups) == 5


async def test_every_nudge_count_and_window_for_a_talent(cohort: Any, db: Database) -> None:
    anna = await person_id(db, "anna.talent@aalborg.example")
    counts = Counter(r.topic for r in await rows(db, person_id=anna, kind="nudge") if not (r.data or {}).get("parent"))
    assert counts == {
        "buddy-intro": 1,
        "buddy-meeting": 6,
        "lederspejl": 2,
        "skyggepraktik": 1,
        "leader-conversation": 8,
        "leader-group": 3,
        "mentor": 3,
        "follow-up": 2,
        "alumni": 1,
    }
    lederspejl = await rows(db, person_id=anna, topic="lederspejl")
    m1_day1_end = datetime(2027, 2, 2, 15, 0, tzinfo=UTC)
    m1_day2_start = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
    assert all(m1_day1_end < r.due_at < m1_day2_start and r.not_after == m1_day2_start for r in lederspejl)
    assert lederspejl[0].due_at.astimezone(CPH) == datetime(2027, 2, 3, 8, 30, tzinfo=CPH)  # right after day 1
    shadow = (await rows(db, person_id=anna, topic="skyggepraktik"))[0]
    assert datetime(2027, 6, 8, tzinfo=CPH) < shadow.due_at < shadow.not_after == datetime(2027, 8, 17, 7, 0, tzinfo=UTC)
    buddy = await rows(db, person_id=anna, topic="buddy-meeting")
    during, after = buddy[:4], buddy[4:]
    assert all(r.not_after is not None and r.due_at < r.not_after for r in during)
    m6_end = datetime(2027, 11, 23, tzinfo=CPH)
    assert [r.due_at.astimezone(CPH).date().month for r in after] == [2, 5]  # about 3 and 6 months after module 6
    assert all(r.due_at > m6_end for r in after)
    for r in await rows(db, person_id=anna, kind="nudge"):
        local = r.due_at.astimezone(CPH)
        assert local.weekday() < 5 and time(8, 30) <= local.time() < time(16, 0)
        if r.topic != "buddy-intro":  # the intro goes out when LEAD sets the pairs, in working hours
            assert (local.hour, local.minute) == (8, 30)


async def test_leader_gets_conversations_per_talent_and_mentor_only_where_set(cohort: Any, db: Database) -> None:
    mette = await person_id(db, "mette.leder@aalborg.example")  # leader of Anna and David
    leader_rows = await rows(db, person_id=mette, topic="leader-conversation")
    assert len(leader_rows) == 16 and len({r.data["talent"] for r in leader_rows}) == 2
    assert len(await rows(db, person_id=mette, topic="mentor")) == 0
    ole = await person_id(db, "ole.mentor@frederikshavn.example")  # Anna's mentor
    assert len(await rows(db, person_id=ole, topic="mentor")) == 3
    bo = await person_id(db, "bo.talent@rn.example")  # no mentor
    assert await rows(db, person_id=bo, topic="mentor") == []


async def test_evaluations_are_planned_for_participants_after_each_activity(cohort: Any, db: Database) -> None:
    anna = await person_id(db, "anna.talent@aalborg.example")
    mette = await person_id(db, "mette.leder@aalborg.example")
    assert {r.activity_key for r in await rows(db, person_id=anna, kind="survey", topic="evaluation")} == {
        "kickoff",
        "m1",
        "m2",
        "m3",
        "m4",
        "m5",
        "m6",
        "closing",
        "alumni",
    }
    assert {r.activity_key for r in await rows(db, person_id=mette, kind="survey", topic="evaluation")} == {
        "kickoff",
        "leader-ws",
        "closing",
        "alumni",
    }
    kickoff = (await rows(db, person_id=anna, kind="survey", activity_key="kickoff"))[0]
    assert kickoff.due_at.astimezone(CPH) == datetime(2027, 1, 13, 8, 30, tzinfo=CPH)  # the morning after


async def _send_due(server: Server, now: datetime) -> None:
    server.app[CORE].learning.clock.now = now  # the server's clock (the fixture's Clock)
    await server.app[CORE].planner.release_due(now)
    while await server.app[SENDER].drain_once():
        pass


async def test_buddy_intro_card_introduces_the_others_with_chat_and_booking(cohort: Any, connector: FakeConnector, clock: Clock) -> None:
    server, _ = cohort
    await _send_due(server, clock.now)  # Monday 10:00: pairs set in working hours go out at once
    intros = [c for c in connector.cards() if "Mød din buddy" in card_text(c)]
    assert len(intros) == 5  # one per talent
    anna_card = next(c for c in intros if "Bo Madsen" in card_text(c) or "Camilla Larsen" in card_text(c))
    urls = {a["title"]: a["url"] for a in anna_card["actions"] if a["type"] == "Action.OpenUrl"}
    assert set(urls) == {"Book møde", "Start chat"}
    booking = parse_qs(urlparse(urls["Book møde"]).query)
    assert booking["subject"] == ["Første buddy-møde – Talent Nord"]
    assert "@" in booking["attendees"][0]


async def test_done_by_one_buddy_counts_for_the_whole_group_and_updates_the_card(cohort: Any, db: Database, clock: Clock) -> None:
    server, groups = cohort
    nudging = server.app[CORE].nudging
    trio = next(g for g in groups if len(g) == 3) if any(len(g) == 3 for g in groups) else groups[0]
    ids = [await person_id(db, e) for e in trio]
    first = (await rows(db, person_id=ids[0], topic="buddy-meeting"))[0]
    await _send_due(server, first.due_at.replace(tzinfo=UTC))  # the meeting's nudge went out
    card = rendered(await nudging.done(ids[0], first.id))
    assert "Holdt ✔" in card_text(card) and "Holdt ✔" not in [a.get("title") for a in card["actions"]]
    for pid in ids:
        row = (await rows(db, person_id=pid, topic="buddy-meeting"))[0]
        assert row.action == "done" and row.acted_by == ids[0]
    second = (await rows(db, person_id=ids[0], topic="buddy-meeting"))[1]
    assert second.action is None  # only that occasion


async def test_nobody_can_act_on_someone_elses_card(cohort: Any, db: Database) -> None:
    server, _ = cohort
    anna = await person_id(db, "anna.talent@aalborg.example")
    david = await person_id(db, "david.talent@aalborg.example")
    row = (await rows(db, person_id=anna, topic="leader-conversation"))[0]
    with pytest.raises(ActionError):
        await server.app[CORE].nudging.done(david, row.id)
    with pytest.raises(ActionError):
        await server.app[CORE].nudging.snooze(anna, row.id, 3)


async def test_snooze_to_tomorrow_and_next_week_in_working_hours(cohort: Any, db: Database, clock: Clock, connector: FakeConnector) -> None:
    server, _ = cohort
    anna = await person_id(db, "anna.talent@aalborg.example")
    row = (await rows(db, person_id=anna, topic="leader-conversation"))[0]
    clock.now = datetime(2027, 1, 15, 14, 0, tzinfo=UTC)  # Friday afternoon
    await server.app[CORE].planner.release_due(clock.now)  # the nudge (14 January) went out
    card = rendered(await server.app[CORE].nudging.snooze(anna, row.id, 1))
    assert "Jeg minder dig om det igen mandag 18. januar" in card_text(card)
    connector.clear()
    await _send_due(server, datetime(2027, 1, 18, 8, 0, tzinfo=UTC))
    assert any("Samtale 1 med din nærmeste leder" in card_text(c) for c in connector.cards())
    clock.now = datetime(2027, 1, 15, 14, 30, tzinfo=UTC)  # the snooze went out; a new one is a new row
    await server.app[CORE].nudging.snooze(anna, row.id, 7)
    snoozes = [r for r in await rows(db, person_id=anna, topic="leader-conversation") if (r.data or {}).get("parent") == row.id]
    assert [r.due_at.astimezone(CPH) for r in snoozes] == [
        datetime(2027, 1, 18, 8, 30, tzinfo=CPH),
        datetime(2027, 1, 22, 8, 30, tzinfo=CPH),
    ]


async def test_one_gentle_reminder_never_two(cohort: Any, db: Database, connector: FakeConnector) -> None:
    server, _ = cohort
    nudging = server.app[CORE].nudging
    sent_at = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    await _send_due(server, sent_at)
    assert await nudging.remind_unacted(sent_at + timedelta(days=3)) == 0  # too early
    created = await nudging.remind_unacted(sent_at + timedelta(days=8))
    assert created > 0
    assert await nudging.remind_unacted(sent_at + timedelta(days=20)) == 0  # never a second
    anna = await person_id(db, "anna.talent@aalborg.example")
    reminders = [r for r in await rows(db, person_id=anna) if (r.data or {}).get("reminder")]
    assert reminders and all(r.key.endswith("/reminder") for r in reminders)


async def test_nudge_whose_moment_passed_is_skipped_not_sent_late(cohort: Any, db: Database, connector: FakeConnector) -> None:
    server, _ = cohort
    anna = await person_id(db, "anna.talent@aalborg.example")
    after_m1 = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)  # module 1 day 2 is over
    await _send_due(server, after_m1)
    spejl = await rows(db, person_id=anna, topic="lederspejl")
    assert {r.status for r in spejl} == {"skipped"} and {r.status_reason for r in spejl} == {"activity started"}
    assert not any("Lederspejl" in card_text(c) for c in connector.cards())


async def test_evaluation_submit_and_update(cohort: Any, db: Database) -> None:
    server, _ = cohort
    anna = await person_id(db, "anna.talent@aalborg.example")
    survey = (await rows(db, person_id=anna, kind="survey", activity_key="kickoff"))[0]
    await _send_due(server, survey.due_at.replace(tzinfo=UTC))  # the kick-off is over, its survey sent
    nudging = server.app[CORE].nudging
    card = rendered(await nudging.evaluate(anna, survey.id, {"rating": "4", "expectations": "ja", "comment": "Godt"}))
    assert "Tak! Dit svar er gemt" in card_text(card)
    card = rendered(await nudging.evaluate(anna, survey.id, {"rating": "2", "expectations": "delvist", "comment": ""}))
    ratings = [b for b in card["body"] if b.get("id") == "rating"]
    assert ratings[0]["value"] == "2"
    with pytest.raises(ActionError):
        await nudging.evaluate(anna, survey.id, {"rating": "9", "expectations": "ja"})
    from bot.storage.models import Evaluation

    async with db.sessions() as s:
        answers = list(await s.scalars(select(Evaluation)))
    assert len(answers) == 1 and answers[0].rating == 2 and answers[0].expectations == "delvist"


async def test_manual_override_rejects_bad_groups_and_replans(cohort: Any, db: Database) -> None:
    server, _ = cohort
    buddies = server.app[CORE].buddies
    with pytest.raises(BuddyError):
        await buddies.set("hold-2027", [["anna.talent@aalborg.example", "david.talent@aalborg.example"]])
    groups = [["anna.talent@aalborg.example", "bo.talent@rn.example"], ["camilla.talent@hjoerring.example", "bo.talent@rn.example"]]
    with pytest.raises(BuddyError):
        await buddies.set("hold-2027", groups)
    new = [
        ["anna.talent@aalborg.example", "camilla.talent@hjoerring.example", "bo.talent@rn.example"],
        ["david.talent@aalborg.example", "eva.talent@rn.example"],
    ]
    await buddies.set("hold-2027", new)
    assert sorted(map(sorted, await buddies.show("hold-2027"))) == sorted(map(sorted, new))


async def test_scheduler_jobs_have_fixed_ids_and_survive_reregistration(cohort: Any) -> None:
    server, _ = cohort
    core = server.app[CORE]
    scheduler = create_scheduler(core, server.app[SENDER], lambda: NOW, 5, "Europe/Copenhagen")
    again = create_scheduler(core, server.app[SENDER], lambda: NOW, 5, "Europe/Copenhagen")
    assert (
        {j.id for j in scheduler.get_jobs()}
        == {TICK_JOB_ID, DAILY_JOB_ID, DAILY_RETRY_JOB_ID, QUESTION_SLA_JOB_ID, LINK_CHECK_JOB_ID}
        == {j.id for j in again.get_jobs()}
    )


async def test_restart_after_downtime_catches_up_once(cohort: Any, db: Database, connector: FakeConnector, settings: Any) -> None:
    server, _ = cohort
    later = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
    await _send_due(server, later)
    sent_before = len(connector.sent)
    restarted = await start_server(settings, lambda: later)
    try:
        await _send_due(restarted, later)
        assert len(connector.sent) == sent_before
    finally:
        await restarted.close()
