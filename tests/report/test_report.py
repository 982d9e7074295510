"""The steering group's report on a synthetic cohort whose right answers are computed here, independently."""

from __future__ import annotations

import csv
import io
import random
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from app import CORE
from bot.config import REPO_ROOT
from bot.content.cohort import parse_cohort
from bot.content.yamlfile import load_yaml_file
from bot.domain.roster import parse_roster
from bot.report.html import render_html
from bot.report.links import sign
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import Cohort, Person, PlannedDelivery, Progress, Question
from tests.fakes.connector import FakeConnector, card_text
from tests.support import NOW, Clock, Server, message_from, start_server

EXAMPLE_COHORT = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"
KEY = "hold-2027"
# After the closing seminar (7 Dec 2027), before the alumni day (9 May 2028) and before the buddy meetings
# 3 and 6 months after module 6.
AFTER = datetime(2028, 1, 17, 9, 0, tzinfo=UTC)
TALENTS = [f"t{i:02d}@org.example" for i in range(1, 21)]
LEADERS = [f"l{i}@org.example" for i in range(1, 6)]
MENTORS = ["m1@org.example", "m2@org.example"]
ADMIN = "admin@lead.example"
# What the test knows about the programme, written out rather than read from the code under test.
TALENT_SESSIONS = {  # the talents' activities held by AFTER, with their day value
    ("kickoff", "main"): 0.5,
    **{(f"m{i}", d): 1.0 for i in range(1, 7) for d in ("day1", "day2")},
    ("closing", "main"): 0.5,
}
LEADER_SESSIONS = {("kickoff", "main"): 0.5, ("leader-ws", "main"): 0.5, ("closing", "main"): 0.5}
REQUIRED = set(TALENT_SESSIONS)  # kick-off, every module day, closing; no absence allowed
HOURS = {"buddy-meeting": 1, "lederspejl": 8, "skyggepraktik": 8, "leader-conversation": 1, "leader-group": 3, "mentor": 1}


def roster_csv() -> str:
    lines = ["email,name,role,organisation,level,leader_email,mentor_email"]
    lines += [f"{e},Leder {i},leader,Org {i},,," for i, e in enumerate(LEADERS, 1)]
    lines += [f"{e},Mentor {i},mentor,Mentorkorps,,," for i, e in enumerate(MENTORS, 1)]
    for i, e in enumerate(TALENTS):
        level = "leder-af-medarbejdere" if i % 2 else "leder-af-ledere"
        mentor = MENTORS[i // 3] if i < 6 else ""
        lines.append(f"{e},Talent {i + 1:02d},talent,Org {i % 5 + 1},{level},{LEADERS[i // 4]},{mentor}")
    lines.append(f"{ADMIN},Lars LEAD,admin,LEAD,,,")
    return "\n".join(lines) + "\n"


class Truth:
    """What the simulation did, and so what the report must say."""

    def __init__(self) -> None:
        self.absent: dict[str, set[tuple[str, str]]] = {}
        self.evaluations: dict[tuple[str, str], tuple[int, str]] = {}  # (email, activity) -> final answer
        self.invited: Counter[str] = Counter()
        self.seen: dict[str, set[tuple[str, str]]] = {}
        self.held: dict[str, set[tuple[str, int]]] = {}  # talent email -> {(topic, n)}
        self.readiness: dict[str, tuple[str, int]] = {}  # talent -> (aim, box)


BOX = {
    ("stretch", "exceptional"): 1,
    ("stretch", "satisfactory"): 2,
    ("stretch", "not-yet"): 3,
    ("simple", "exceptional"): 4,
    ("simple", "satisfactory"): 5,
    ("simple", "not-yet"): 6,
}


async def ids(db: Database) -> dict[str, int]:
    async with db.sessions() as s:
        return dict((await s.execute(select(Person.email, Person.id))).all())


async def simulate(server: Server, db: Database, clock: Clock) -> Truth:
    """Run a whole cohort through the services with seeded randomness; return what happened."""
    core = server.app[CORE]
    rng = random.Random(20271)
    truth = Truth()
    await RosterService(db).import_cohort(parse_cohort(load_yaml_file(EXAMPLE_COHORT), str(EXAMPLE_COHORT), core.programme))
    await RosterService(db).import_roster(KEY, parse_roster(roster_csv(), "synthetic.csv"), "synthetic.csv")
    await core.planner.replan(KEY)
    groups = await core.buddies.suggest(KEY)
    person = await ids(db)
    email_of = {v: k for k, v in person.items()}
    clock.now = AFTER

    # absences: some talents miss required days, some only the (not required) alumni day is marked
    for email in TALENTS:
        for key in rng.sample(sorted(REQUIRED), rng.choice([0, 0, 0, 1, 2])):
            await core.growth.set_attendance(KEY, email, f"{key[0]}.{key[1]}" if key[1] != "main" else key[0], absent=True)
            truth.absent.setdefault(email, set()).add(key)
    await core.growth.set_attendance(KEY, TALENTS[0], "alumni", absent=True)
    await core.growth.set_attendance(KEY, LEADERS[0], "leader-ws", absent=True)
    truth.absent.setdefault(LEADERS[0], set()).add(("leader-ws", "main"))

    # evaluations: some participants answer, some twice (the second answer counts)
    surveys = [r for r in await all_rows(db) if r.kind == "survey" and r.topic == "evaluation" and r.activity_key != "alumni"]
    for row in surveys:
        email = email_of[row.person_id]
        sent = rng.random() < 0.3
        if sent:
            await set_status(db, row.id, "sent")
            truth.invited[row.activity_key] += 1
        if rng.random() < 0.7 and sent:  # only a survey that went out can be answered
            for _ in range(rng.choice([1, 1, 2])):
                answer = (rng.randint(1, 5), rng.choice(["ja", "ja", "delvist", "nej"]))
                await core.nudging.evaluate(row.person_id, row.id, {"rating": str(answer[0]), "expectations": answer[1]})
                truth.evaluations[(email, row.activity_key)] = answer

    # preparation: steps opened
    async with db.sessions() as s, s.begin():
        for email in TALENTS + LEADERS:
            for activity_key, sequence in core.materials.sequences.items():
                roles = ("leader",) if email in LEADERS else ("talent",)
                if not set(roles) & set(sequence.audience):
                    continue
                for step in sequence.steps:
                    if rng.random() < 0.6:
                        s.add(Progress(person_id=person[email], activity_key=activity_key, topic=step.topic, seen_at=AFTER))
                        truth.seen.setdefault(email, set()).add((activity_key, step.topic))

    # meetings held: one person presses "Holdt" on one of the occasion's cards
    nudges = [
        r for r in await all_rows(db) if r.kind == "nudge" and r.topic in HOURS and r.due_at.replace(tzinfo=UTC) <= AFTER
    ]  # an occasion still ahead cannot be held yet
    group_of = {e: g for g in groups for e in g}
    for topic in HOURS:
        occasions: dict[tuple[Any, int], list[PlannedDelivery]] = {}
        for r in nudges:
            if r.topic != topic:
                continue
            owner = (
                tuple(group_of[email_of[r.data["talent"]]]) if topic in ("buddy-meeting", "skyggepraktik") else email_of[r.data["talent"]]
            )
            occasions.setdefault((owner, r.seq), []).append(r)
        for (owner, n), rows in sorted(occasions.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            if rng.random() < 0.55:
                row = rng.choice(rows)
                await set_status(db, row.id, "sent")  # the card went out before anyone pressed it
                await core.nudging.done(row.person_id, row.id)
                for talent in owner if isinstance(owner, tuple) else (owner,):
                    truth.held.setdefault(talent, set()).add((topic, n))

    # readiness: most leaders place their talents; one changes their mind
    readiness_rows = {r.data["talent"]: r for r in await all_rows(db) if r.topic == "readiness"}
    for email in TALENTS[:15]:
        row = readiness_rows[person[email]]
        for _ in range(2 if email == TALENTS[3] else 1):
            aim, tasks, perf = (
                rng.choice(["vertical", "horizontal"]),
                rng.choice(["stretch", "simple"]),
                rng.choice(["exceptional", "satisfactory", "not-yet"]),
            )
            await core.growth.assess_readiness(row.person_id, row.id, {"aim": aim, "tasks": tasks, "performance": perf})
            truth.readiness[email] = (aim, BOX[(tasks, perf)])
    return truth


async def all_rows(db: Database) -> list[PlannedDelivery]:
    async with db.sessions() as s:
        return list(await s.scalars(select(PlannedDelivery).order_by(PlannedDelivery.id)))


async def set_status(db: Database, row_id: int, status: str) -> None:
    async with db.sessions() as s, s.begin():
        (await s.get(PlannedDelivery, row_id)).status = status


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def world(db: Database, settings: Any, clock: Clock, connector: FakeConnector) -> Any:
    server = await start_server(settings, clock)
    truth = await simulate(server, db, clock)
    yield server, truth
    await server.close()


async def test_figures_match_an_independent_count(world: Any, db: Database) -> None:
    server, truth = world
    core = server.app[CORE]
    report = await core.reports.build(KEY)
    materials_minutes = {(a, s.topic): s.minutes for a, seq in core.materials.sequences.items() for s in seq.steps}

    # completion: every required session is over, so a talent completes unless absent from one of them
    completed = [t for t in TALENTS if not truth.absent.get(t, set()) & REQUIRED]
    assert (report.talents, report.completed, report.on_track) == (20, len(completed), 0)
    assert report.not_completed == 20 - len(completed) and report.finished
    assert report.completion_rate == pytest.approx(len(completed) / 20)
    assert 0 < len(completed) < 20  # the simulation really has both kinds

    # expectations per activity: the talents' last answers, pooled; the criterion waits for the final evaluation
    talent_answers = [a for (email, _), a in truth.evaluations.items() if email in TALENTS]
    assert report.activity_expectation_answers == len(talent_answers)
    assert report.activity_expectations_rate == pytest.approx(sum(1 for _, e in talent_answers if e == "ja") / len(talent_answers))
    assert report.expectation_answers == 0 and report.expectations_rate is None

    # ratings per activity: everyone's final answers
    by_activity: dict[str, list[tuple[int, str]]] = {}
    for (_, activity), answer in truth.evaluations.items():
        by_activity.setdefault(activity, []).append(answer)
    got = {r.activity_key: r for r in report.ratings}
    assert set(got) == set(by_activity)
    for activity, answers in by_activity.items():
        assert got[activity].answers == len(answers)
        assert got[activity].mean_rating == pytest.approx(statistics.fmean(r for r, _ in answers))
        assert got[activity].expectations == {k: sum(1 for _, e in answers if e == k) for k in ("ja", "delvist", "nej")}
        assert got[activity].invited == truth.invited[activity]

    # preparation: talents who opened each step (leaders for their workshop)
    for prep in report.preparation:
        audience = LEADERS if prep.activity_key == "leader-ws" else TALENTS
        assert prep.audience == len(audience)
        sequence = core.materials.sequences[prep.activity_key]
        for (label, opened), step in zip(prep.steps, sequence.steps, strict=False):
            assert opened == sum(1 for e in audience if (prep.activity_key, step.topic) in truth.seen.get(e, set())), label

    # meetings: each talent's occasion once; 4 buddy meetings, 8 conversations and 3 group meetings are due
    meetings = {m.topic: m for m in report.meetings}
    for topic, due, planned in (("buddy-meeting", 4, 6), ("leader-conversation", 8, 8), ("leader-group", 3, 3)):
        held = sum(1 for t in TALENTS for (tp, _) in truth.held.get(t, set()) if tp == topic)
        assert (meetings[topic].held, meetings[topic].due, meetings[topic].planned) == (held, due * 20, planned * 20), topic

    # readiness distribution
    expected = Counter(truth.readiness.values())
    assert {k: v for k, v in report.readiness.items() if v} == dict(expected)
    assert report.not_assessed == 5
    assert report.questions.available and (report.questions.open, report.questions.answered) == (0, 0)

    # time spent, per person, averaged per role
    def talent_days(email: str) -> float:
        common = sum(v for k, v in TALENT_SESSIONS.items() if k not in truth.absent.get(email, set()))
        digital = sum(materials_minutes[step] for step in truth.seen.get(email, set())) / 60 / 8
        held = truth.held.get(email, set())
        hours = sum(HOURS[tp] for tp, _ in held if tp != "lederspejl") + (8 if any(tp == "lederspejl" for tp, _ in held) else 0)
        return common + digital + hours / 8

    def leader_days(index: int) -> float:
        email = LEADERS[index]
        mine = TALENTS[index * 4 : (index + 1) * 4]
        talks = sum(1 for t in mine for tp, _ in truth.held.get(t, set()) if tp == "leader-conversation")
        return sum(v for k, v in LEADER_SESSIONS.items() if k not in truth.absent.get(email, set())) + talks / 8

    def mentor_hours(index: int) -> float:
        return sum(1 for t in TALENTS[index * 3 : (index + 1) * 3] for tp, _ in truth.held.get(t, set()) if tp == "mentor")

    time = {t.role: t for t in report.time}
    assert time["talent"].average == pytest.approx(statistics.fmean(talent_days(e) for e in TALENTS))
    assert time["leader"].average == pytest.approx(statistics.fmean(leader_days(i) for i in range(5)))
    assert time["mentor"].average == pytest.approx(statistics.fmean(mentor_hours(i) for i in range(2)))
    assert (time["talent"].budget, time["leader"].budget, time["mentor"].budget) == (20.76, 3, 3)
    assert sum(time["talent"].tracks.values()) == pytest.approx(time["talent"].average)


async def test_csv_and_html_carry_the_same_figures(world: Any) -> None:
    server, _ = world
    core = server.app[CORE]
    report = await core.reports.build(KEY)
    rows = {(r["section"], r["item"]): r for r in csv.DictReader(io.StringIO(core.reports.to_csv(report)))}
    assert float(rows[("completion", "rate")]["value"]) == pytest.approx(report.completion_rate, abs=1e-4)
    assert rows[("completion", "rate")]["target"] == "0.95"
    assert int(rows[("leader-conversation", "held")]["value"]) == next(m.held for m in report.meetings if m.topic == "leader-conversation")
    assert rows[("questions", "open")]["value"] == "0"  # nobody has asked the instructors anything
    page = render_html(report)
    assert f"{round(report.completion_rate * 100)} %" in page
    assert page.count("<svg") >= 8 and "<script" not in page.lower()
    assert "src=" not in page and "@import" not in page and "url(" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


async def test_question_figures_count_open_and_answered_questions_of_the_cohort(db: Database, settings: Any, programme: Any) -> None:
    server = await start_server(settings)
    await RosterService(db).import_cohort(parse_cohort(load_yaml_file(EXAMPLE_COHORT), str(EXAMPLE_COHORT), programme))
    async with db.sessions() as session, session.begin():
        session.add(Cohort(key="hold-2028", name="Hold 2028"))  # its questions must not count
        await session.flush()
        cohort_id, other_id = [(await session.scalar(select(Cohort.id).where(Cohort.key == k))) for k in (KEY, "hold-2028")]
        for created, answered in (
            (datetime(2027, 3, 1, 10), datetime(2027, 3, 1, 12)),
            (datetime(2027, 3, 2, 10), datetime(2027, 3, 2, 16)),
            (datetime(2027, 3, 3, 10), datetime(2027, 3, 4, 10)),
            (datetime(2027, 3, 5, 10), None),
        ):
            session.add(
                Question(
                    cohort_id=cohort_id,
                    text="?",
                    status="answered" if answered else "open",
                    created_at=created.replace(tzinfo=UTC),
                    answered_at=answered and answered.replace(tzinfo=UTC),
                )
            )
        session.add(Question(cohort_id=other_id, text="?", status="open", created_at=datetime(2027, 3, 5, tzinfo=UTC)))
    questions = (await server.app[CORE].reports.build(KEY)).questions
    assert questions.available and questions.open == 1 and questions.answered == 3
    assert questions.median_hours == pytest.approx(6.0)
    await server.close()


async def test_an_empty_cohort_reports_dashes_not_errors(db: Database, settings: Any, programme: Any) -> None:
    server = await start_server(settings)
    try:
        await RosterService(db).import_cohort(parse_cohort(load_yaml_file(EXAMPLE_COHORT), str(EXAMPLE_COHORT), programme))
        report = await server.app[CORE].reports.build(KEY)
        assert report.talents == 0 and report.completion_rate is None and report.expectations_rate is None
        page = render_html(report)
        assert "–" in page and "<svg" in page
        with pytest.raises(LookupError):
            await server.app[CORE].reports.build("no-such-cohort")
    finally:
        await server.close()


# ---- the admin's status card and the signed link ------------------------------------------------


async def test_status_is_for_admins_and_links_a_report_that_expires(world: Any, connector: FakeConnector, clock: Clock) -> None:
    server, _ = world
    await server.post(message_from(TALENTS[0], "status", connector, 1))
    assert "Det kan kun LEAD" in connector.texts()[-1]
    await server.post(message_from(LEADERS[0], "rapport", connector, 2))
    assert "Det kan kun LEAD" in connector.texts()[-1]

    await server.post(message_from(ADMIN, "status", connector, 3))
    card = connector.cards()[-1]
    report = await server.app[CORE].reports.build(KEY)
    shown = card_text(card)
    assert "Status: Talent Nord 2.0 – hold 2027" in shown
    assert f"{round(report.completion_rate * 100)} %" in shown and "mål 95 %" in shown
    url = next(a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl")
    parts = urlparse(url)
    assert parts.path == f"/report/{KEY}"

    status, body = await server.get(f"{parts.path}?{parts.query}")
    assert status == 200 and "<svg" in body and "Talent Nord 2.0 – hold 2027" in body
    async with server.http.get(f"{server.url}{parts.path}?{parts.query}") as resp:
        assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["Cache-Control"] == "no-store"
    tampered = parts.query.replace("sig=", "sig=0")[:-1]
    assert (await server.get(f"{parts.path}?{tampered}"))[0] == 403
    assert (await server.get(f"/report/other-cohort?{parts.query}"))[0] == 403  # the signature binds the cohort
    assert (await server.get(f"{parts.path}"))[0] == 403
    expires = int((AFTER + timedelta(hours=1)).timestamp())
    forged = sign("not-the-servers-secret-at-all", KEY, expires)
    assert (await server.get(f"/report/{KEY}?exp={expires}&sig={forged}"))[0] == 403
    clock.now = AFTER + timedelta(hours=13)  # links live 12 hours
    assert (await server.get(f"{parts.path}?{parts.query}"))[0] == 403


async def test_cli_report_writes_html_and_csv_and_attendance_marks(settings: Any, tmp_path: Any) -> None:
    from tests.support import run_cli

    assert run_cli(["cohort", "import", str(EXAMPLE_COHORT)], settings).returncode == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_csv(), encoding="utf-8")
    assert run_cli(["roster", "import", str(roster), "--cohort", KEY], settings).returncode == 0
    marked = run_cli(["attendance", "absent", "--cohort", KEY, "--person", TALENTS[1], "--activity", "m3", "--note", "syg"], settings)
    assert marked.returncode == 0 and "2 session(s) marked absent" in marked.stderr
    show = run_cli(["attendance", "show", "--cohort", KEY, "--json"], settings)
    statuses = {t["email"]: t for t in __import__("json").loads(show.stdout)}
    assert statuses[TALENTS[1]]["status"] == "not-completed" and statuses[TALENTS[1]]["absent"] == ["m3.day1", "m3.day2"]
    assert statuses[TALENTS[2]]["status"] == "on-track"  # today is before the programme ends
    bad = run_cli(["attendance", "absent", "--cohort", KEY, "--person", "nobody@x.dk", "--activity", "m3"], settings)
    assert bad.returncode == 1 and "nobody@x.dk" in bad.stderr
    html, csv_file = tmp_path / "r.html", tmp_path / "r.csv"
    done = run_cli(["report", "--cohort", KEY, "--now", "2028-01-17T10:00", "--html", str(html), "--csv", str(csv_file)], settings)
    assert done.returncode == 0, done.stderr
    rows = {(r["section"], r["item"]): r["value"] for r in csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8")))}
    assert rows[("completion", "completed")] == "19" and rows[("completion", "not completed")] == "1"
    assert "<svg" in html.read_text(encoding="utf-8")
    text_out = run_cli(["report", "--cohort", KEY, "--now", "2028-01-17T10:00"], settings)
    assert "95 %  gennemført (mål 95 %)" in text_out.stdout


def test_report_settings_follow_the_programme_and_bad_numbers_name_their_line() -> None:
    from bot.content.report import load_report_settings, parse_report_settings
    from bot.content.yamlfile import load_yaml_text
    from bot.domain.errors import FileErrors

    shipped = load_report_settings(REPO_ROOT / "content")
    assert (shipped.completion_target, shipped.expectations_target) == (0.95, 0.80)
    assert (shipped.talent_days, shipped.leader_days, shipped.mentor_hours) == (20.76, 3, 3)
    assert sum(shipped.talent_tracks.values()) == pytest.approx(20.76)
    text_ = "targets:\n  completion: 1.5\nhours:\n  coffee: 1\n  mentor: -2\n"
    with pytest.raises(FileErrors) as info:
        parse_report_settings(load_yaml_text(text_, "report.yaml"), "report.yaml")
    lines = sorted(e.line for e in info.value.errors)
    assert lines == [2, 4, 5]
