"""Personal data: export, erasure in one transaction, retention after a cohort's last activity, the CLI."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import cli
from bot.config import ConfigError, Settings
from bot.services.audit import read_audit
from bot.services.privacy import PersonNotFound, Privacy
from bot.services.privacy_rows import OWN_ROWS, covered_references, references_to_people
from bot.storage.db import Database
from bot.storage.models import (
    AnswerFeedback,
    Attendance,
    Base,
    Broadcast,
    BuddyMember,
    CalendarSession,
    Cohort,
    Conversation,
    DevelopmentPlan,
    DevelopmentPlanRevision,
    Evaluation,
    InstructorChannel,
    Membership,
    OutboxMessage,
    Person,
    PlannedDelivery,
    Progress,
    Question,
    QuestionAsker,
    ReadinessAssessment,
    ReadinessSelfPlacement,
)
from tests.support import NOW, seed

ANNA = "anna.talent@aalborg.example"
BO = "bo.talent@rn.example"
METTE = "mette.leder@aalborg.example"
LARS = "lars.admin@lead.example"


async def _id(db: Database, email: str) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Person.id).where(Person.email == email))


async def _fill(s: Any, cohort_id: int, person: Person, other: Person, leader_id: int | None, n: int) -> None:
    """One or more rows in every table that holds something about `person`."""
    chat = Conversation(
        conversation_id=f"a:chat-{n}",
        kind="personal",
        person_id=person.id,
        service_url="http://127.0.0.1:1/",
        reference={"user": {"name": person.name}},
    )
    s.add(chat)
    await s.flush()
    plan = PlannedDelivery(
        key=f"hold-2027/{n}/m1/intro",
        cohort_id=cohort_id,
        person_id=person.id,
        kind="nudge",
        topic="buddy",
        due_at=NOW,
        status="sent",
        action="done",
        acted_by=other.id,
    )
    s.add(plan)
    await s.flush()
    s.add_all(
        [
            OutboxMessage(
                key=plan.key,
                conversation_id=chat.id,
                plan_id=plan.id,
                payload={"type": "message", "text": f"Mød {other.name} ({other.email}) – book møde"},
            ),
            Progress(person_id=person.id, activity_key="m1", topic="intro"),
            BuddyMember(cohort_id=cohort_id, group_no=n, person_id=person.id, source="set"),
            Evaluation(cohort_id=cohort_id, person_id=person.id, activity_key="m1", rating=4, expectations="ja", comment=f"godt {n}"),
            ReadinessAssessment(
                cohort_id=cohort_id,
                person_id=person.id,
                assessed_by=leader_id,
                aim="vertical",
                tasks="stretch",
                performance="exceptional",
                box=1,
            ),
            ReadinessSelfPlacement(
                cohort_id=cohort_id, person_id=person.id, aim="vertical", tasks="stretch", performance="satisfactory", box=2
            ),
            Attendance(cohort_id=cohort_id, person_id=person.id, activity_key="m2", part="day1", note="syg", recorded_by="Lars Thomsen"),
            AnswerFeedback(person_id=person.id, entry_id="faq:1", question="Hvornår er modul 1?", helpful=True),
        ]
    )
    dev = DevelopmentPlan(cohort_id=cohort_id, person_id=person.id, individual=f'Mål {n} "}}]', version=1, updated_by=person.id)
    s.add(dev)
    await s.flush()
    s.add(DevelopmentPlanRevision(plan_id=dev.id, version=1, individual=f"Mål {n}", edited_by=leader_id))


@pytest.fixture
async def world(db: Database, programme: Any) -> Database:
    """The example cohort; Anna and Bo with rows in every table; questions in each state; Bo's card names Anna."""
    await seed(db, programme)
    async with db.sessions() as s, s.begin():
        people = {p.email: p for p in await s.scalars(select(Person))}
        cohort_id = await s.scalar(select(Cohort.id).where(Cohort.key == "hold-2027"))
        anna, bo, mette, lars = people[ANNA], people[BO], people[METTE], people[LARS]
        await _fill(s, cohort_id, anna, bo, mette.id, 1)
        await _fill(s, cohort_id, bo, anna, None, 2)
        channel = Conversation(
            conversation_id="19:instructors@thread.tacv2", kind="channel", service_url="http://127.0.0.1:1/", reference={}
        )
        s.add(channel)
        await s.flush()
        s.add(InstructorChannel(cohort_id=cohort_id, conversation_id=channel.id, set_by=lars.id))
        s.add(Broadcast(cohort_id=cohort_id, text="Husk modul 1", role="all", sender="Lars Thomsen", recipients=2))
        faq = Question(
            cohort_id=cohort_id,
            asker_id=anna.id,
            text="Kan man tage modul 3 senere?",
            status="answered",
            answer="Ja, med næste hold.",
            answered_by=mette.id,
            answered_at=NOW,
            reuse=True,
            card_key="question/1/card",
        )
        private = Question(
            cohort_id=cohort_id,
            asker_id=anna.id,
            text="Min leder er syg, hvad gør jeg?",
            status="answered",
            answer="Ring til LEAD.",
            answered_by=mette.id,
            answered_at=NOW,
            reuse=False,
        )
        waiting = Question(cohort_id=cohort_id, asker_id=anna.id, text="Hvor er parkeringen?", status="open")
        shared = Question(cohort_id=cohort_id, asker_id=anna.id, text="Er der frokost?", status="open")
        s.add_all([faq, private, waiting, shared])
        await s.flush()
        for q in (faq, private, waiting, shared):
            s.add(QuestionAsker(question_id=q.id, person_id=anna.id))
            s.add(
                OutboxMessage(
                    key=f"question/{q.id}/card",
                    conversation_id=channel.id,
                    payload={"type": "message", "text": f"{q.text} – spurgt af {anna.name}, {anna.organisation}"},
                )
            )
        s.add(QuestionAsker(question_id=shared.id, person_id=bo.id))
    return db


async def _counts(db: Database, person_id: int) -> dict[str, int]:
    """Rows per table about one person (their own rows and the questions they asked)."""
    async with db.sessions() as s:
        counts = {e.name: await s.scalar(select(func.count()).select_from(e.table).where(e.where(person_id))) for e in OWN_ROWS}
        counts["questions"] = await s.scalar(select(func.count()).select_from(Question).where(Question.asker_id == person_id))
        counts["people"] = await s.scalar(select(func.count()).select_from(Person).where(Person.id == person_id))
    return counts


async def _all_counts(db: Database) -> dict[str, int]:
    async with db.sessions() as s:
        return {t.name: await s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_every_table_that_references_people_is_covered_by_export_and_erasure() -> None:
    missing = references_to_people() - covered_references()
    assert not missing, f"add these to bot/services/privacy.py (OWN_ROWS or REFERENCES): {sorted(missing)}"
    assert "memberships.leader_id" in references_to_people()  # the inspection itself sees foreign keys


async def test_export_holds_every_row_about_the_person_and_nothing_of_others(world: Database) -> None:
    anna, bo = await _id(world, ANNA), await _id(world, BO)
    counts = await _counts(world, anna)
    assert all(n > 0 for n in counts.values()), counts  # the fixture really fills every table

    data = await Privacy(world, lambda: NOW).export(ANNA.upper(), actor="cli:test")

    assert data["person"]["email"] == ANNA and data["person"]["id"] == anna
    for name, n in counts.items():
        if name != "people":
            assert len(data["tables"][name]) == n, name
    for name, rows in data["tables"].items():
        for row in rows:
            assert row.get("person_id", anna) == anna and row.get("asker_id", anna) == anna, (name, row)
    assert {q["text"] for q in data["tables"]["questions"]} == {
        "Kan man tage modul 3 senere?",
        "Min leder er syg, hvad gør jeg?",
        "Hvor er parkeringen?",
        "Er der frokost?",
    }
    assert data["tables"]["development_plans"][0]["individual"] == 'Mål 1 "}]'
    # others' rows that name Anna are counted, not shown: Bo's plan row says Anna pressed "Holdt"
    assert data["referenced_by"]["plan.acted_by"] == 1
    text = json.dumps(data, ensure_ascii=False)
    # Bo's own rows are not there (a message to Anna that names her buddy is hers, and is)
    assert "godt 2" not in text and "Mål 2" not in text and "a:chat-2" not in text and "hold-2027/2/" not in text
    assert "Mød Bo Madsen" in text and bo != anna
    audit = [r for r in await read_audit(world) if r.action == "privacy.export"]
    assert audit and audit[-1].target == f"person:{anna}" and ANNA not in audit[-1].target


async def test_delete_erases_the_person_and_leaves_everyone_else_intact(world: Database, caplog: pytest.LogCaptureFixture) -> None:
    anna, bo, mette = await _id(world, ANNA), await _id(world, BO), await _id(world, METTE)
    bo_before = await _counts(world, bo)
    mette_before = await _counts(world, mette)
    caplog.set_level(logging.INFO)

    result = await Privacy(world, lambda: NOW).erase(ANNA, actor="cli:test")

    after = await _counts(world, anna)
    assert after == {name: 0 for name in after}
    assert await _counts(world, bo) == bo_before and await _counts(world, mette) == mette_before
    assert result.deleted["people"] == 1 and result.deleted["plan"] == 1 and result.deleted["memberships"] == 1
    async with world.sessions() as s:
        questions = {q.text: q for q in await s.scalars(select(Question))}
        # the FAQ answer stays without its asker; the one others asked too stays; the private and the lone open go
        assert questions["Kan man tage modul 3 senere?"].asker_id is None
        assert questions["Er der frokost?"].asker_id is None
        assert "Min leder er syg, hvad gør jeg?" not in questions and "Hvor er parkeringen?" not in questions
        assert await s.scalar(select(func.count()).select_from(QuestionAsker).where(QuestionAsker.person_id == bo)) == 1
        # Bo's own rows are whole, and no longer name Anna
        bo_message = await s.scalar(select(OutboxMessage).where(OutboxMessage.key == "hold-2027/2/m1/intro"))
        assert "Anna Jensen" not in bo_message.payload["text"] and ANNA not in bo_message.payload["text"]
        assert "(slettet)" in bo_message.payload["text"]
        bo_plan = await s.scalar(select(PlannedDelivery).where(PlannedDelivery.person_id == bo))
        assert bo_plan.acted_by is None and bo_plan.action == "done"
        cards = [m.payload["text"] for m in await s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("question/%")))]
        assert len(cards) == 2 and not any("Anna Jensen" in c for c in cards)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"erased person {anna}" in logged
    assert ANNA not in logged and "Anna Jensen" not in logged and "Mål 1" not in logged
    audit = [r for r in await read_audit(world) if r.action == "privacy.delete"]
    assert len(audit) == 1 and audit[0].target.startswith(f"person:{anna},") and "anna" not in audit[0].target.lower()


async def test_erasing_a_leader_unlinks_them_from_their_talents_rows(world: Database) -> None:
    anna = await _id(world, ANNA)
    anna_before = await _counts(world, anna)
    result = await Privacy(world, lambda: NOW).erase(METTE)
    assert await _counts(world, anna) == anna_before
    async with world.sessions() as s:
        assert (await s.scalar(select(Membership).where(Membership.person_id == anna))).leader_id is None
        assert (await s.scalar(select(ReadinessAssessment).where(ReadinessAssessment.person_id == anna))).assessed_by is None
        faq = await s.scalar(select(Question).where(Question.text == "Kan man tage modul 3 senere?"))
        assert faq.answered_by is None and faq.answer == "Ja, med næste hold."
    assert result.anonymised["memberships.leader_id"] >= 2


async def test_a_failure_midway_deletes_nothing(world: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    before = await _all_counts(world)

    async def broken(self: Privacy, session: Any, patterns: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Privacy, "_scrub_mentions", broken)  # runs after every table's rows are deleted
    with pytest.raises(RuntimeError):
        await Privacy(world, lambda: NOW).erase(ANNA)
    assert await _all_counts(world) == before


async def test_an_unknown_email_is_reported(world: Database) -> None:
    with pytest.raises(PersonNotFound):
        await Privacy(world, lambda: NOW).erase("nobody@example.dk")
    with pytest.raises(PersonNotFound):
        await Privacy(world, lambda: NOW).export("nobody@example.dk")


# ---- retention -----------------------------------------------------------------------------------


async def _last_activity(db: Database) -> datetime:
    async with db.sessions() as s:
        cohort = await s.scalar(select(Cohort).where(Cohort.key == "hold-2027"))
        return await Privacy(db, lambda: NOW).last_activity(s, cohort)


async def _second_cohort_for(db: Database, email: str) -> None:
    """A later cohort in which Anna is also a talent (its calendar runs long after the first)."""
    async with db.sessions() as s, s.begin():
        later = Cohort(key="hold-2029", name="Talent Nord 2.0 – hold 2029")
        s.add(later)
        await s.flush()
        s.add(
            CalendarSession(
                cohort_id=later.id,
                activity_key="kickoff",
                part="main",
                starts_at=datetime(2029, 1, 9, 8, tzinfo=UTC),
                ends_at=datetime(2029, 1, 9, 12, tzinfo=UTC),
            )
        )
        s.add(
            Membership(
                cohort_id=later.id,
                person_id=await s.scalar(select(Person.id).where(Person.email == email)),
                role="talent",
                level="leder-af-medarbejdere",
            )
        )


async def test_retention_erases_a_cohort_after_the_retention_days_and_not_before(world: Database, caplog: pytest.LogCaptureFixture) -> None:
    await _second_cohort_for(world, ANNA)
    anna, bo = await _id(world, ANNA), await _id(world, BO)
    last = await _last_activity(world)
    assert last == datetime(2028, 5, 9, 10, 30, tzinfo=UTC)  # the alumni day, 12:30 in Copenhagen
    privacy = Privacy(world, lambda: NOW, retention_days=365)
    before = await _all_counts(world)

    assert await privacy.apply_retention(last + timedelta(days=340)) == []
    assert await privacy.apply_retention(last + timedelta(days=351)) == []  # the admins' notice, 14 days ahead
    assert await privacy.apply_retention(last + timedelta(days=364)) == []
    assert await _all_counts(world) == before

    caplog.set_level(logging.INFO)
    done = await privacy.apply_retention(last + timedelta(days=366))

    assert len(done) == 1 and done[0].cohort_key == "hold-2027"
    assert done[0].people_erased == 11 and done[0].people_kept == 1  # everyone on the roster but Anna
    assert (await _counts(world, bo))["people"] == 0
    async with world.sessions() as s:
        cohort_id = await s.scalar(select(Cohort.id).where(Cohort.key == "hold-2027"))
        assert await s.scalar(select(func.count()).select_from(Membership).where(Membership.cohort_id == cohort_id)) == 0
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0
        for table in (PlannedDelivery, BuddyMember, Evaluation, DevelopmentPlan, ReadinessAssessment, ReadinessSelfPlacement, Attendance):
            assert await s.scalar(select(func.count()).select_from(table).where(table.cohort_id == cohort_id)) == 0, table
        # Anna stays for her later cohort: her person, her chat and her progress, not her hold-2027 rows
        assert await s.scalar(select(Person.email).where(Person.id == anna)) == ANNA
        assert await s.scalar(select(func.count()).select_from(Membership).where(Membership.person_id == anna)) == 1
        assert await s.scalar(select(func.count()).select_from(Conversation).where(Conversation.person_id == anna)) == 1
        assert await s.scalar(select(func.count()).select_from(Progress).where(Progress.person_id == anna)) == 1
        # the FAQ answer stays, anonymised; every other question of the cohort is gone
        assert [(q.text, q.asker_id) for q in await s.scalars(select(Question))] == [("Kan man tage modul 3 senere?", None)]
        assert await s.scalar(select(func.count()).select_from(CalendarSession).where(CalendarSession.cohort_id == cohort_id)) > 0
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retention:") and " erased, " in r.getMessage()]
    assert logged == [f"retention: cohort hold-2027 erased, 11 people (1 kept for other cohorts, {done[0].rows} rows)"]
    assert not any("@" in r.getMessage() or "Jensen" in r.getMessage() for r in caplog.records)

    # idempotent: the next day finds nothing left to erase
    after = await _all_counts(world)
    assert await privacy.apply_retention(last + timedelta(days=367)) == []
    assert await _all_counts(world) == after


async def test_retention_days_zero_keeps_everything(world: Database) -> None:
    before = await _all_counts(world)
    assert await Privacy(world, lambda: NOW, retention_days=0).apply_retention(datetime(2040, 1, 1, tzinfo=UTC)) == []
    assert await _all_counts(world) == before


def test_retention_days_setting() -> None:
    assert Settings.from_env({}).retention_days == 365
    assert Settings.from_env({"RETENTION_DAYS": "0"}).retention_days == 0
    with pytest.raises(ConfigError, match="RETENTION_DAYS"):
        Settings.from_env({"RETENTION_DAYS": "-1"})
    with pytest.raises(ConfigError, match="RETENTION_DAYS"):
        Settings.from_env({"RETENTION_DAYS": "et år"})


async def test_the_daily_job_runs_retention(world: Database, settings: Settings) -> None:
    from bot.services.core import build_core
    from scheduler.jobs import daily

    last = await _last_activity(world)
    moment = last + timedelta(days=366)
    core = build_core(world, settings, lambda: moment)
    await daily(core, None, lambda: moment - timedelta(days=14))  # the admins are told first
    done = await daily(core, None, lambda: moment)
    assert done["retention_people"] == 12
    async with world.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Person)) == 0


# ---- the command line ------------------------------------------------------------------------------


@pytest.fixture
def cli_db(settings: Settings, programme: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """The example cohort in a database the CLI reaches through DATABASE_URL."""

    async def setup() -> None:
        db = Database(settings.database_url)
        await db.upgrade()
        await seed(db, programme)
        await db.dispose()

    asyncio.run(setup())
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for name in ("MicrosoftAppId", "RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    return settings.database_url


def _people(url: str) -> list[str]:
    async def read() -> list[str]:
        db = Database(url)
        async with db.sessions() as s:
            emails = sorted(await s.scalars(select(Person.email)))
        await db.dispose()
        return emails

    return asyncio.run(read())


def test_cli_export_writes_json_and_delete_erases(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "anna.json"
    assert cli.main(["privacy", "export", "--email", ANNA, "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["person"]["email"] == ANNA and len(data["tables"]["memberships"]) == 1

    assert cli.main(["privacy", "export", "--email", ANNA]) == 0
    assert json.loads(capsys.readouterr().out)["person"]["email"] == ANNA

    assert cli.main(["privacy", "delete", "--email", ANNA, "--yes", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["deleted"]["people"] == 1
    assert "erased person" in captured.err and ANNA not in captured.err
    assert ANNA not in _people(cli_db)


def test_cli_unknown_email_and_missing_confirmation_exit_1(
    cli_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _people(cli_db)
    assert cli.main(["privacy", "export", "--email", "nobody@example.dk"]) == 1
    assert "no person with email 'nobody@example.dk'; nothing exported" in capsys.readouterr().err
    assert cli.main(["privacy", "delete", "--email", "nobody@example.dk", "--yes"]) == 1
    assert "nothing deleted" in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["privacy", "delete", "--email", ANNA]) == 1
    assert "add --yes" in capsys.readouterr().err
    assert _people(cli_db) == before
