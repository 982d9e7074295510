"""Development plans with history, readiness in all six boxes, attendance and the completion rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import CORE
from bot.config import REPO_ROOT
from bot.content.growth import load_growth_content, parse_growth_content
from bot.content.yamlfile import load_yaml_text
from bot.domain.calendar import Session
from bot.domain.completion import CompletionRule, assess, expand_required
from bot.domain.errors import FileErrors
from bot.domain.readiness import ReadinessError, place, recommendation
from bot.services.nudging import ActionError
from bot.storage.db import Database
from bot.storage.models import (
    Attendance,
    Conversation,
    DevelopmentPlan,
    DevelopmentPlanRevision,
    OutboxMessage,
    Person,
    PlannedDelivery,
    ReadinessAssessment,
)
from tests.fakes.connector import FakeConnector, card_text
from tests.support import NOW, SHARED, Clock, rendered, require_shared, seed, start_server, store_chats

CPH = ZoneInfo("Europe/Copenhagen")
ANNA, DAVID, BO = "anna.talent@aalborg.example", "david.talent@aalborg.example", "bo.talent@rn.example"
METTE, JENS = "mette.leder@aalborg.example", "jens.leder@rn.example"  # Mette leads Anna and David; Jens leads Bo

# The model as the programme description draws it: (aim, tasks, performance) -> box, and the recommendation
# for each box and aim, copied here by hand from the Danish text so the code is checked against it.
EXPECTED_BOX = {
    ("stretch", "exceptional"): 1,
    ("stretch", "satisfactory"): 2,
    ("stretch", "not-yet"): 3,
    ("simple", "exceptional"): 4,
    ("simple", "satisfactory"): 5,
    ("simple", "not-yet"): 6,
}
EXPECTED_RECOMMENDATION = {
    (1, "vertical"): "Forfrem talentet hurtigst muligt til næste ledelsesniveau.",
    (2, "vertical"): "Giv endnu mere komplicerede opgaver, således talentet kan mestre de nye arbejdsværdier, færdigheder og tidsrammen.",
    (3, "vertical"): "Giv mere tid til udvikling og tillad, at talentet opnår mere erfaring. Coach med henblik på at udvikle nye "
    "arbejdsværdier, færdigheder og mestring af tidsrammen. Hjælp talentet med at styre sin tid mere effektivt.",
    (1, "horizontal"): "Udvid talentets opgaveportefølje med endnu mere udfordrende ledelsesopgaver på det nuværende ledelsesniveau. "
    "Eller forfrem talentet til et lederjob på samme ledelsesniveau, men for et større/mere komplekst område/afdeling.",
    (2, "horizontal"): "Sæt i fællesskab nye mål og coach talentet.",
    (3, "horizontal"): "Coach talentet og følg nøje med i, hvad der sker. Hjælp talentet med at styre sin tid mere effektivt.",
    (4, "vertical"): "Tildel avancerede opgaver på eget ledelsesniveau.",
    (5, "vertical"): "Sæt i fællesskab mål for den videre udvikling og coach for at udvikle præstationsniveauet.",
    (6, "vertical"): "Undersøg årsagerne og lav i fællesskab en handlingsplan for forbedringer.",
}
for _box in (4, 5, 6):
    EXPECTED_RECOMMENDATION[(_box, "horizontal")] = EXPECTED_RECOMMENDATION[(_box, "vertical")]


def _flat(text: str) -> str:
    """Whitespace collapsed and the PDF's in-word hyphenation ('ledelses-niveau') joined up."""
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"(?<=[a-zæøå])-(?=[a-zæøå])", "", text)


# ---- readiness: the model ---------------------------------------------------------------------


@pytest.mark.parametrize("aim", ["vertical", "horizontal"])
@pytest.mark.parametrize(("tasks", "performance"), list(EXPECTED_BOX))
def test_every_box_with_both_aims_gets_the_programmes_recommendation(aim: str, tasks: str, performance: str) -> None:
    placement = place(aim, tasks, performance)
    box = EXPECTED_BOX[(tasks, performance)]
    assert placement.box == box
    assert placement.recommendation == EXPECTED_RECOMMENDATION[(box, aim)]
    assert placement.description.startswith("Talentet ")


def test_recommendations_and_descriptions_are_word_for_word_from_the_programme() -> None:
    source = _flat(require_shared(SHARED / "program" / "talent-nord-2.0-programme.da.txt").read_text(encoding="utf-8"))
    for aim in ("vertical", "horizontal"):
        for tasks, performance in EXPECTED_BOX:
            placement = place(aim, tasks, performance)
            assert _flat(placement.recommendation) in source, placement.recommendation
            assert _flat(placement.description) in source, placement.description


def test_boxes_one_to_three_depend_on_the_aim_and_four_to_six_do_not() -> None:
    for box in (1, 2, 3):
        assert recommendation(box, "vertical") != recommendation(box, "horizontal")
    for box in (4, 5, 6):
        assert recommendation(box, "vertical") == recommendation(box, "horizontal")


@pytest.mark.parametrize(
    "answer", [("sideways", "stretch", "exceptional"), ("vertical", "hard", "exceptional"), ("vertical", "simple", "ok")]
)
def test_answers_outside_the_model_are_refused(answer: tuple[str, str, str]) -> None:
    with pytest.raises(ReadinessError):
        place(*answer)


# ---- completion: the rule ---------------------------------------------------------------------


def _sessions(*keys: tuple[str, str], end: datetime) -> list[Session]:
    return [Session(a, p, end - timedelta(hours=7), end, "") for a, p in keys]


def test_completion_counts_required_sessions_and_allowed_absences(programme: Any) -> None:
    required, problems = expand_required(["kickoff", "m1", "m2.day2"], programme)
    assert problems == [] and required == (("kickoff", "main"), ("m1", "day1"), ("m1", "day2"), ("m2", "day2"))
    past = datetime(2027, 6, 1, tzinfo=UTC)
    sessions = _sessions(*required, ("m2", "day1"), end=past)
    strict, lenient = CompletionRule(required, 0), CompletionRule(required, 1)
    later = past + timedelta(days=1)
    assert assess(strict, sessions, set(), later).state == "completed"
    assert assess(strict, sessions, {("m2", "day1")}, later).state == "completed"  # not required
    assert assess(strict, sessions, {("m1", "day2")}, later).state == "not-completed"
    assert assess(lenient, sessions, {("m1", "day2")}, later).state == "completed"
    assert assess(lenient, sessions, {("m1", "day2"), ("kickoff", "main")}, later).state == "not-completed"
    # before the last required session has been held a talent within the limit is on track
    assert assess(strict, sessions, set(), past - timedelta(days=1)).state == "on-track"
    assert assess(strict, sessions[:2], set(), later).remaining == 2  # two required sessions not in the calendar


def test_the_shipped_rule_requires_kickoff_all_module_days_and_closing(programme: Any) -> None:
    content = load_growth_content(REPO_ROOT / "content", programme)
    modules = [(f"m{i}", d) for i in range(1, 7) for d in ("day1", "day2")]
    assert set(content.rule.required) == {("kickoff", "main"), ("closing", "main"), *modules}
    assert content.rule.allowed_absences == 0
    assert (content.readiness.after, content.readiness.days) == ("m6.day2", 3)


def test_a_bad_rule_file_is_reported_with_lines(programme: Any) -> None:
    text = "completion:\n  required: [kickoff, m9, m1.day3]\n  allowed_absences: -1\nreadiness:\n  after: m6.day2\n  days: x\n"
    with pytest.raises(FileErrors) as info:
        parse_growth_content(load_yaml_text(text, "completion.yaml"), "completion.yaml", programme)
    messages = [str(e) for e in info.value.errors]
    assert any(m.startswith("completion.yaml:2:") and "m9" in m for m in messages)
    assert any(m.startswith("completion.yaml:2:") and "day3" in m for m in messages)
    assert any(m.startswith("completion.yaml:3:") and "allowed_absences" in m for m in messages)
    assert any(m.startswith("completion.yaml:6:") and "readiness.days" in m for m in messages)


# ---- the services on the example cohort --------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def world(db: Database, programme: Any, settings: Any, clock: Clock, connector: FakeConnector) -> Any:
    await seed(db, programme)
    server = await start_server(settings, clock)
    await server.app[CORE].planner.replan("hold-2027")
    await store_chats(db, connector.url)
    yield server
    await server.close()


async def pid(db: Database, email: str) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Person.id).where(Person.email == email))


async def plan_rows(db: Database, **where: Any) -> list[PlannedDelivery]:
    async with db.sessions() as s:
        query = select(PlannedDelivery)
        for name, value in where.items():
            query = query.where(getattr(PlannedDelivery, name) == value)
        return list(await s.scalars(query.order_by(PlannedDelivery.id)))


def _inputs(card: dict[str, Any]) -> dict[str, Any]:
    return {b["id"]: b.get("value") for b in card["body"] if "id" in b}


def _verbs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["verb"]: a["data"] for a in card.get("actions", []) if a["type"] == "Action.Execute"}


async def test_talent_edits_the_plan_and_every_change_is_a_dated_revision(world: Any, db: Database, clock: Clock) -> None:
    growth = world.app[CORE].growth
    anna = await pid(db, ANNA)
    first = {
        "aim": "vertical",
        "individual": "Strategisk sparring",
        "team": "Uddelegere",
        "organisation": "Talentmiljø",
        "notes": "",
        "environment": "",
    }
    card = rendered(await growth.save_plan(anna, first))
    assert "Gemt ✔" in card_text(card)
    assert _inputs(card) == first and "plan-save" in _verbs(card)

    clock.now = NOW + timedelta(days=30)
    await growth.save_plan(anna, {**first, "team": "Uddelegere mere, også budget"})
    await growth.save_plan(anna, {**first, "team": "Uddelegere mere, også budget"})  # unchanged: no new revision
    clock.now = NOW + timedelta(days=60)
    card = rendered(
        await growth.save_plan(anna, {**first, "team": "Uddelegere mere, også budget", "aim": "horizontal", "notes": "Samtale 3"})
    )

    async with db.sessions() as s:
        revisions = list(await s.scalars(select(DevelopmentPlanRevision).order_by(DevelopmentPlanRevision.version)))
    assert [r.version for r in revisions] == [1, 2, 3]
    assert [r.team for r in revisions] == ["Uddelegere", "Uddelegere mere, også budget", "Uddelegere mere, også budget"]
    assert [r.aim for r in revisions] == ["vertical", "vertical", "horizontal"]
    assert [r.created_at for r in revisions] == [NOW, NOW + timedelta(days=30), NOW + timedelta(days=60)]
    history = next(f for f in card["body"] if f["type"] == "FactSet")["facts"]
    assert [h["title"] for h in history] == ["5. marts 2027", "3. februar 2027", "4. januar 2027"]  # newest first
    assert history[0]["value"] == "Anna Jensen: formål, noter"
    assert history[1]["value"] == "Anna Jensen: mål for team" and history[2]["value"] == "Anna Jensen: oprettet"
    assert "Senest gemt 5. marts 2027 (version 3)" in card_text(card)


async def test_plan_input_is_checked(world: Any, db: Database) -> None:
    growth = world.app[CORE].growth
    anna = await pid(db, ANNA)
    with pytest.raises(ActionError):
        await growth.save_plan(anna, {"aim": "diagonal"})
    with pytest.raises(ActionError):
        await growth.save_plan(anna, {"individual": "x" * 2001})
    with pytest.raises(ActionError):
        await growth.save_plan(await pid(db, METTE), {"individual": "a leader has no plan of their own"})


async def test_the_nearest_leader_reads_their_talents_plans_and_nobody_elses(world: Any, db: Database) -> None:
    growth = world.app[CORE].growth
    anna, david, bo, mette, jens = [await pid(db, e) for e in (ANNA, DAVID, BO, METTE, JENS)]
    await growth.save_plan(anna, {"aim": "vertical", "individual": "Annas mål for sig selv", "team": "", "organisation": "", "notes": ""})
    view = rendered(await growth.plan_view(mette, anna))
    assert "Annas mål for sig selv" in card_text(view) and "Vertikal ledelsesudvikling" in card_text(view)
    assert not any(b.get("type", "").startswith("Input.") for b in view["body"])  # read-only
    assert "plan-edit" not in _verbs(view)
    own = rendered(await growth.plan_view(anna, anna))
    assert "plan-edit" in _verbs(own)  # the talent may switch to the form
    for viewer, talent in ((jens, anna), (david, anna), (anna, david), (bo, anna)):
        with pytest.raises(ActionError):
            await growth.plan_view(viewer, talent)
    with pytest.raises(ActionError):
        await growth.plan_view(mette, "anna")

    from bot.domain.people import Profile, RoleInCohort

    def profile(person_id: int, role: str) -> Profile:
        return Profile(person_id, "", "", "", (RoleInCohort(1, "hold-2027", "Hold", "Europe/Copenhagen", role),))

    reply = await growth.plans_reply(profile(mette, "leader"))
    shown = card_text(__import__("cards").render(reply.card, reply.data))
    assert reply.card == "development_plan" and "Anna Jensen" in shown and "David Pedersen" in shown
    assert "Bo Madsen" not in shown
    assert (await growth.plans_reply(profile(anna, "talent"))).card == "development_plan_form"
    assert (await growth.plans_reply(profile(await pid(db, "lars.admin@lead.example"), "admin"))).card == "notice"


async def test_leader_conversation_nudge_links_the_plan_and_back(world: Any, db: Database) -> None:
    core = world.app[CORE]
    anna, mette = await pid(db, ANNA), await pid(db, METTE)
    rows = [r for r in await plan_rows(db, person_id=mette, topic="leader-conversation") if r.data["talent"] == anna]
    async with db.sessions() as s:
        payload, _ = await core.messages.for_plan_row(s, rows[0], NOW)
    nudge = payload["attachments"][0]["content"]
    link = _verbs(nudge)["plan-view"]
    assert link == {"verb": "plan-view", "talent": anna, "back": rows[0].id}
    view = rendered(await core.growth.plan_view(mette, link["talent"], link["back"]))
    assert "Udviklingsplan" in card_text(view) and "Anna Jensen" in card_text(view)
    back = _verbs(view)["nudge-show"]
    again = rendered(await core.growth.nudge_again(mette, back["plan"]))
    assert again["body"][0]["text"] == nudge["body"][0]["text"]
    with pytest.raises(ActionError):
        await core.growth.nudge_again(anna, back["plan"])  # not her card
    buddy = (await plan_rows(db, person_id=anna, topic="lederspejl"))[0]
    async with db.sessions() as s:
        other, _ = await core.messages.for_plan_row(s, buddy, NOW)
    assert "plan-view" not in _verbs(other["attachments"][0]["content"])  # only the leader conversations


async def test_readiness_card_goes_to_each_talents_leader_after_module_6(world: Any, db: Database) -> None:
    rows = await plan_rows(db, topic="readiness")
    talents_by_leader = {(r.person_id, r.data["talent"]) for r in rows}
    expected = {
        (await pid(db, leader), await pid(db, talent))
        for leader, talent in (
            (METTE, ANNA),
            (METTE, DAVID),
            (JENS, BO),
            (JENS, "eva.talent@rn.example"),
            ("hanne.leder@hjoerring.example", "camilla.talent@hjoerring.example"),
        )
    }
    assert talents_by_leader == expected and all(r.kind == "survey" for r in rows)
    # module 6 day 2 ends Tuesday 23 November 2027 at 16:00; three days later is Friday 26 November
    assert {r.due_at.astimezone(CPH) for r in rows} == {datetime(2027, 11, 26, 8, 30, tzinfo=CPH)}


async def test_leader_places_the_talent_the_talent_is_told_and_an_update_replaces_it(world: Any, db: Database, clock: Clock) -> None:
    core = world.app[CORE]
    anna, mette, jens = await pid(db, ANNA), await pid(db, METTE), await pid(db, JENS)
    row = next(r for r in await plan_rows(db, topic="readiness") if r.data["talent"] == anna)
    async with db.sessions() as s:
        payload, _ = await core.messages.for_plan_row(s, row, NOW)
    form = payload["attachments"][0]["content"]
    assert "Parathed: Anna Jensen" in card_text(form) and set(_inputs(form)) == {"aim", "tasks", "performance"}

    card = rendered(
        await core.growth.assess_readiness(mette, row.id, {"aim": "horizontal", "tasks": "stretch", "performance": "exceptional"})
    )
    text = card_text(card)
    assert "Boks 1" in text and EXPECTED_RECOMMENDATION[(1, "horizontal")] in text and "Gemt ✔" in text
    clock.now = NOW + timedelta(hours=1)
    await core.growth.assess_readiness(mette, row.id, {"aim": "vertical", "tasks": "simple", "performance": "not-yet"})
    async with db.sessions() as s:
        stored = list(await s.scalars(select(ReadinessAssessment)))
        told = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("readiness/%")).order_by(OutboxMessage.id)))
    assert [(r.person_id, r.box, r.aim) for r in stored] == [(anna, 6, "vertical")]
    assert len(told) == 2
    result = told[-1].payload["attachments"][0]["content"]
    assert "Din placering i parathedskriterierne" in card_text(result)
    assert EXPECTED_RECOMMENDATION[(6, "vertical")] in card_text(result) and "Mette Kristensen" in card_text(result)
    conversation = await _conversation_of(db, anna)
    assert told[-1].conversation_id == conversation
    view = rendered(await core.growth.plan_view(anna, anna))
    assert "Parathed: boks 6" in card_text(view)

    await core.growth.assess_readiness(mette, row.id, {"aim": "vertical", "tasks": "simple", "performance": "not-yet"})
    async with db.sessions() as s:  # the same answer again (a double click) tells the talent nothing new
        assert len(list(await s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("readiness/%"))))) == 2
    link = _verbs(card)["plan-view"]
    assert link == {"verb": "plan-view", "talent": anna, "back": row.id}
    view = rendered(await core.growth.plan_view(mette, anna, link["back"]))
    back = rendered(await core.growth.nudge_again(mette, _verbs(view)["nudge-show"]["plan"]))
    assert "Parathed: Anna Jensen" in card_text(back) and _inputs(back)["aim"] == "vertical"
    with pytest.raises(ActionError):
        await core.nudging.evaluate(mette, row.id, {"rating": "3", "expectations": "ja"})  # not an evaluation card
    with pytest.raises(ActionError):
        await core.growth.assess_readiness(jens, row.id, {"aim": "vertical", "tasks": "simple", "performance": "not-yet"})
    with pytest.raises(ActionError):
        await core.growth.assess_readiness(mette, row.id, {"aim": "vertical", "tasks": "simple", "performance": "great"})


async def _conversation_of(db: Database, person_id: int) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Conversation.id).where(Conversation.person_id == person_id))


async def test_attendance_marks_absences_and_takes_them_back(world: Any, db: Database, clock: Clock) -> None:
    growth = world.app[CORE].growth
    assert await growth.set_attendance("hold-2027", ANNA, "m1", absent=True, note="syg") == 2
    assert await growth.set_attendance("hold-2027", ANNA, "m1", absent=True, note="syg") == 0  # idempotent
    assert await growth.set_attendance("hold-2027", BO, "alumni", absent=True) == 1  # not required
    clock.now = datetime(2027, 12, 8, 12, 0, tzinfo=UTC)  # the day after the closing seminar
    states = {t.email: t.status.state for t in await growth.attendance_report("hold-2027")}
    assert states[ANNA] == "not-completed" and states[BO] == "completed" and states[DAVID] == "completed"
    assert await growth.set_attendance("hold-2027", ANNA, "m1.day2", absent=False) == 1
    states = {t.email: t.status for t in await growth.attendance_report("hold-2027")}
    assert states[ANNA].state == "not-completed" and states[ANNA].missed == (("m1", "day1"),)
    await growth.set_attendance("hold-2027", ANNA, "m1.day1", absent=False)
    assert {t.status.state for t in await growth.attendance_report("hold-2027")} == {"completed"}
    with pytest.raises(LookupError):
        await growth.set_attendance("hold-2027", "nobody@x.dk", "m1", absent=True)
    with pytest.raises(LookupError):
        await growth.set_attendance("hold-2027", ANNA, "m7", absent=True)


async def test_every_revision_survives_and_belongs_to_one_plan(world: Any, db: Database) -> None:
    growth = world.app[CORE].growth
    anna, david = await pid(db, ANNA), await pid(db, DAVID)
    for n in range(3):
        await growth.save_plan(anna, {"individual": f"A{n}"})
        await growth.save_plan(david, {"individual": f"D{n}"})
    async with db.sessions() as s:
        per_plan = dict(
            (await s.execute(select(DevelopmentPlanRevision.plan_id, func.count()).group_by(DevelopmentPlanRevision.plan_id))).all()
        )
    assert sorted(per_plan.values()) == [3, 3]


# ---- through Teams: the command and the card actions ---------------------------------------------


async def _invoke(server: Any, connector: FakeConnector, email: str, n: int, data: dict[str, Any]) -> dict[str, Any]:
    from tests.support import message_from, teams_activity

    invoke = teams_activity("invoke-adaptiveCard-action-personal", serviceUrl=connector.url)
    hello = message_from(email, "x", connector, n)
    invoke["from"], invoke["conversation"] = hello["from"], hello["conversation"]
    invoke["channelData"]["tenant"] = hello["channelData"]["tenant"]  # the same person writes from one tenant
    invoke["value"]["action"]["data"] = data
    async with server.http.post(server.url + "/api/messages", json=invoke) as resp:
        assert resp.status == 200
        return await resp.json()


async def test_udviklingsplan_command_and_card_actions_through_teams(world: Any, db: Database, connector: FakeConnector) -> None:
    from tests.support import message_from

    await world.post(message_from(ANNA, "Udviklingsplan", connector, 11))
    form = connector.cards()[-1]
    assert "Din udviklingsplan" in card_text(form) and "plan-save" in _verbs(form)

    body = await _invoke(
        world,
        connector,
        ANNA,
        11,
        {"verb": "plan-save", "aim": "horizontal", "individual": "Mit mål", "team": "", "organisation": "", "notes": ""},
    )
    assert body["statusCode"] == 200 and "Gemt ✔" in card_text(body["value"])
    anna = await pid(db, ANNA)
    body = await _invoke(world, connector, METTE, 12, {"verb": "plan-view", "talent": anna})
    assert body["statusCode"] == 200 and "Mit mål" in card_text(body["value"])
    body = await _invoke(world, connector, BO, 13, {"verb": "plan-view", "talent": anna})
    assert body["statusCode"] == 400 and "egen udviklingsplan" in body["value"]["message"]

    await world.post(message_from(METTE, "udviklingsplan", connector, 12))
    assert "Mit mål" in connector.texts()[-1] and "Horisontal ledelsesudvikling" in connector.texts()[-1]


async def test_a_card_submit_is_cleaned_before_it_is_stored(world: Any, db: Database, connector: FakeConnector) -> None:
    dirty = "Lede\x00 le\x07dere\x1b"
    body = await _invoke(
        world,
        connector,
        ANNA,
        11,
        {"verb": "plan-save", "aim": "vertical", "individual": dirty, "team": "", "organisation": "", "notes": "a\r\nb"},
    )
    assert body["statusCode"] == 200
    async with db.sessions() as s:
        plan = await s.scalar(select(DevelopmentPlan).where(DevelopmentPlan.person_id == await pid(db, ANNA)))
    assert (plan.individual, plan.notes) == ("Lede ledere", "a\nb")


async def test_an_attendance_note_is_cleaned_and_bounded(world: Any, db: Database) -> None:
    growth = world.app[CORE].growth
    assert await growth.set_attendance("hold-2027", ANNA, "m1", absent=True, note=" syg\x00 \x07") == 2
    async with db.sessions() as s:
        assert set(await s.scalars(select(Attendance.note))) == {"syg"}
    with pytest.raises(ValueError, match="attendance note is 1001 characters; at most 1000"):
        await growth.set_attendance("hold-2027", ANNA, "m2", absent=True, note="x" * 1001)
