"""The 'Mit forløb' tab through the real app on loopback: what a talent, a leader and others see, and its actions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import CORE
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import (
    AuditEntry,
    DevelopmentPlan,
    DevelopmentPlanRevision,
    Person,
    PlannedDelivery,
    Progress,
    Question,
)
from tests.support import NOW, Clock, Server, seed, start_server

ANNA = "anna.talent@aalborg.example"
BO = "bo.talent@rn.example"
METTE = "mette.leder@aalborg.example"  # Anna's and David's nearest leader
SOFIE = "sofie.underviser@lead.example"
TZ = ZoneInfo("Europe/Copenhagen")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def tab(db: Database, programme: Any, settings: Settings, clock: Clock) -> AsyncIterator[Server]:
    """The real app with the example cohort planned and its buddy groups set."""
    await seed(db, programme)
    server = await start_server(settings, clock)
    core = server.app[CORE]
    await core.buddies.suggest("hold-2027")
    await core.planner.replan("hold-2027")
    yield server
    await server.close()


async def person(db: Database, email: str) -> int:
    async with db.sessions() as s:
        found = await s.scalar(select(Person.id).where(Person.email == email))
    assert found is not None
    return found


async def page(server: Server, path: str, **headers: str) -> tuple[int, str]:
    async with server.http.get(server.url + path, headers=headers, allow_redirects=False) as resp:
        return resp.status, await resp.text()


async def post(server: Server, path: str, form: dict[str, str], **headers: str) -> tuple[int, str, str]:
    async with server.http.post(server.url + path, data=form, headers=headers, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


def text_of(html: str) -> str:
    """The page's visible text with tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


async def test_talent_sees_timeline_preparation_group_plan_library_and_questions(tab: Server, db: Database) -> None:
    anna = await person(db, ANNA)
    async with db.sessions() as s, s.begin():
        s.add(
            Question(
                cohort_id=1,
                asker_id=anna,
                text="Hvornår skal lederspejlet være færdigt?",
                status="answered",
                answer="Inden dag 2 i modul 1.",
                answered_at=NOW - timedelta(days=1),
                created_at=NOW - timedelta(days=2),
            )
        )
        s.add(Question(cohort_id=1, asker_id=anna, text="Må min buddy komme fra samme kommune?", created_at=NOW))

    status, html = await page(tab, f"/tab?as={ANNA}")

    assert status == 200
    text = text_of(html)
    assert '<html lang="da" data-theme="default">' in html
    # the timeline: every activity, Danish dates and venue, the current one marked
    assert re.search(r'aria-current="step"[^>]*id="tl-kickoff"', html)
    assert "Kick-off Du er her" in text
    assert "tirsdag 12. januar 2027 kl. 09.00–12.30 Aalborg Kongres & Kultur Center" in text
    assert "Dag 2: onsdag 24. marts 2027 kl. 08.30–16.00 TAMU Aalborg" in text
    assert "Workshop for nærmeste ledere" not in text  # a leaders' activity
    # preparation: the intro is out, the article and literature come later; the budget against what was opened
    kickoff = html[html.index('id="prep-kickoff"') : html.index('id="prep-m1"')]
    assert kickoff.count('class="step ') == 3
    assert "Klar" in kickoff and "Kommer 5. januar" in kickoff and "Kommer 8. januar" in kickoff
    assert kickoff.count("Markér som set") == 1
    assert "Markér som set" not in html[html.index('id="prep-m1"') : html.index('id="gruppe"')]
    assert "Programmet regner med 18 t forberedelse" in text and "åbnet materialer for 0 min (0 af 27 trin set)" in text
    # group and everyday track: the buddy group with deep links, the occasions with windows and state
    group = text_of(html[html.index('id="gruppe"') : html.index('id="udviklingsplan"')])
    assert "Din buddygruppe" in group and "Start chat" in group and "Book møde" in group
    assert "Buddy-møder 0 af 6 holdt" in group and "Samtaler med nærmeste leder 0 af 8 holdt" in group
    assert "Møder i din leders ledergruppe 0 af 3 holdt" in group and "Programmet: mindst 3." in group
    assert "Mentorsamtaler" in group and "Lederspejl" in group and "Skyggepraktik" in group
    assert "Planlagt" in group and "fra 9. marts til 23. marts" in group  # buddy meeting 1's window
    assert "Buddy-møde 5 Planlagt fra 23. februar 2028" in group  # another year says so
    assert "https://teams.microsoft.com/l/chat/0/0?users=" in html
    # the development plan form, the library's closing date, the questions with their answers
    assert 'name="individual"' in html and 'value="vertical"' in html
    assert "Biblioteket er åbent til 9. maj 2029" in text
    assert "Velkommen til Talent Nord 2.0" in text_of(html[html.index('id="bibliotek"') :])
    questions = text_of(html[html.index('id="spoergsmaal"') :])
    assert "Hvornår skal lederspejlet være færdigt?" in questions and "Besvaret 3. januar" in questions
    assert "Inden dag 2 i modul 1." in questions and "Venter på svar" in questions


async def test_past_activities_are_greyed_and_the_marker_moves_on(tab: Server, clock: Clock) -> None:
    clock.now = NOW + timedelta(days=60)  # 5 March 2027: kick-off, workshop and module 1 are over

    _, html = await page(tab, f"/tab?as={ANNA}")

    assert 'class="tl-item is-past" id="tl-kickoff"' in html
    assert 'class="tl-item is-past" id="tl-m1"' in html
    assert re.search(r'class="tl-item is-current" aria-current="step" id="tl-m2"', html)
    assert "Mangler" in html  # leader conversation 1 was due after kick-off and nobody marked it held


async def test_an_occasion_in_its_open_window_is_due_not_missing(tab: Server, clock: Clock) -> None:
    clock.now = NOW + timedelta(days=37)  # 10 February: between day 1 and day 2 of module 1

    _, html = await page(tab, f"/tab?as={ANNA}")

    group = text_of(html[html.index('id="gruppe"') : html.index('id="udviklingsplan"')])
    assert "Samtale 1 med nærmeste leder Mangler fra 14. januar" in group  # no end: due since January
    assert "Samtale 2 med nærmeste leder Nu fra 5. februar til 2. marts" in group  # still open until module 1 day 2


async def test_mark_seen_from_the_tab_is_the_card_buttons_progress(tab: Server, db: Database) -> None:
    anna = await person(db, ANNA)
    _, html = await page(tab, f"/tab?as={ANNA}")

    status, location, _ = await post(tab, f"/tab/seen?as={ANNA}", {"csrf": csrf_of(html), "activity": "kickoff", "topic": "intro"})

    assert status == 303 and unquote(location) == f"/tab?as={ANNA}#forberedelse"
    async with db.sessions() as s:
        rows = (await s.scalars(select(Progress).where(Progress.person_id == anna))).all()
        assert [(p.activity_key, p.topic) for p in rows] == [("kickoff", "intro")]
        card, _ = await tab.app[CORE].messages.material_card(s, anna, "kickoff", "intro", TZ)
    assert "Set ✔ 4. jan" in str(card)  # the card in the chat shows the same progress
    again = await tab.app[CORE].learning.mark_seen(anna, "kickoff", "intro")  # the card button, afterwards
    assert again.first_time is False
    _, html = await page(tab, f"/tab?as={ANNA}")
    kickoff = html[html.index('id="prep-kickoff"') : html.index('id="prep-m1"')]
    assert "Set ✔ 4. januar" in kickoff and "Markér som set" not in kickoff
    assert "åbnet materialer for 15 min (1 af 27 trin set)" in text_of(html)


async def test_an_action_without_the_form_token_is_refused_and_changes_nothing(tab: Server, db: Database) -> None:
    status, _, _ = await post(tab, f"/tab/seen?as={ANNA}", {"activity": "kickoff", "topic": "intro"})

    assert status == 403
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Progress)) == 0


async def test_held_from_the_tab_marks_the_buddy_groups_nudge_as_the_card_does(tab: Server, db: Database, clock: Clock) -> None:
    clock.now = NOW + timedelta(days=70)  # 15 March: buddy meeting 1 is due
    anna = await person(db, ANNA)
    async with db.sessions() as s:
        row = await s.scalar(
            select(PlannedDelivery).where(
                PlannedDelivery.person_id == anna, PlannedDelivery.topic == "buddy-meeting", PlannedDelivery.seq == 1
            )
        )
    async with db.sessions() as s, s.begin():  # its nudge went out (the tab has no chats to release to)
        for sent in await s.scalars(select(PlannedDelivery).where(PlannedDelivery.topic == "buddy-meeting", PlannedDelivery.seq == 1)):
            sent.status = "sent"
    _, html = await page(tab, f"/tab?as={ANNA}")

    status, _, _ = await post(tab, f"/tab/done?as={ANNA}", {"csrf": csrf_of(html), "plan": str(row.id)})

    assert status == 303
    async with db.sessions() as s:
        done = (
            await s.scalars(
                select(PlannedDelivery).where(
                    PlannedDelivery.topic == "buddy-meeting", PlannedDelivery.seq == 1, PlannedDelivery.action == "done"
                )
            )
        ).all()
        assert anna in {r.person_id for r in done} and len(done) >= 2  # the whole buddy group
        card = await tab.app[CORE].messages.nudge_card(s, await s.get(PlannedDelivery, row.id), TZ)
    assert "Holdt ✔ 15. mar" in str(card)
    _, html = await page(tab, f"/tab?as={ANNA}")
    assert "Buddy-møder 1 af 6 holdt" in text_of(html) and "Holdt ✔ 15. marts" in text_of(html)


async def test_someone_elses_nudge_is_refused(tab: Server, db: Database) -> None:
    bo = await person(db, BO)
    async with db.sessions() as s:
        row = await s.scalar(select(PlannedDelivery).where(PlannedDelivery.person_id == bo, PlannedDelivery.kind == "nudge"))
    _, html = await page(tab, f"/tab?as={ANNA}")

    status, _, body = await post(tab, f"/tab/done?as={ANNA}", {"csrf": csrf_of(html), "plan": str(row.id)})

    assert status == 400 and "Det kort hører ikke til dig." in body
    async with db.sessions() as s:
        assert (await s.get(PlannedDelivery, row.id)).action is None
        audit = await s.scalar(select(AuditEntry).where(AuditEntry.action == "tab.done"))
    assert audit is not None and audit.outcome == "refused"


async def test_plan_saved_in_the_tab_is_the_card_forms_plan_with_history(tab: Server, db: Database) -> None:
    anna = await person(db, ANNA)
    _, html = await page(tab, f"/tab?as={ANNA}")
    form = {
        "csrf": csrf_of(html),
        "aim": "vertical",
        "individual": "Lede ledere",
        "team": "Fælles retning",
        "organisation": "Talentmiljø i forvaltningen",
        "notes": "",
    }

    status, location, _ = await post(tab, f"/tab/plan?as={ANNA}", form)

    assert status == 303 and location.endswith("#udviklingsplan")
    async with db.sessions() as s:
        plan = await s.scalar(select(DevelopmentPlan).where(DevelopmentPlan.person_id == anna))
        assert (plan.aim, plan.individual, plan.version) == ("vertical", "Lede ledere", 1)
        assert await s.scalar(select(func.count()).select_from(DevelopmentPlanRevision)) == 1
    card = await tab.app[CORE].growth.plan_form(anna)
    assert "Lede ledere" in str(card) and "Talentmiljø i forvaltningen" in str(card)
    _, html = await page(tab, f"/tab?as={ANNA}")
    assert "Lede ledere</textarea>" in html and 'value="vertical" checked' in html
    assert "Version 1, 4. januar 2027 (Anna Jensen): oprettet" in text_of(html)


async def test_a_tab_form_is_cleaned_before_it_is_stored(tab: Server, db: Database) -> None:
    _, html = await page(tab, f"/tab?as={ANNA}")
    form = {
        "csrf": csrf_of(html),
        "aim": "vertical",
        "individual": "Lede\x00 le\x07dere\x1b",
        "team": "",
        "organisation": "",
        "notes": "a\r\nb",
    }
    status, _, _ = await post(tab, f"/tab/plan?as={ANNA}", form)
    assert status == 303
    async with db.sessions() as s:
        plan = await s.scalar(select(DevelopmentPlan).where(DevelopmentPlan.person_id == await person(db, ANNA)))
    assert (plan.individual, plan.notes) == ("Lede ledere", "a\nb")


async def test_the_tab_refuses_holdt_for_a_meeting_not_yet_due(tab: Server, db: Database) -> None:
    async with db.sessions() as s:
        row = await s.scalar(
            select(PlannedDelivery)
            .where(PlannedDelivery.person_id == await person(db, ANNA), PlannedDelivery.kind == "nudge", PlannedDelivery.due_at > NOW)
            .order_by(PlannedDelivery.due_at.desc())
        )
    _, html = await page(tab, f"/tab?as={ANNA}")
    status, _, body = await post(tab, f"/tab/done?as={ANNA}", {"csrf": csrf_of(html), "plan": str(row.id)})
    assert status == 400 and "ikke sket endnu" in body
    async with db.sessions() as s:
        assert (await s.get(PlannedDelivery, row.id)).action is None


async def test_fetch_from_teams_gets_the_fragment(tab: Server) -> None:
    status, html = await page(tab, f"/tab/view?as={ANNA}", Authorization="Bearer from-teams")

    assert status == 200
    assert "<html" not in html and "<h1>Hej Anna</h1>" in html


async def test_fetch_action_from_teams_answers_with_the_refreshed_fragment(tab: Server, db: Database) -> None:
    _, html = await page(tab, f"/tab?as={ANNA}")

    status, _, body = await post(
        tab, f"/tab/seen?as={ANNA}", {"csrf": csrf_of(html), "activity": "kickoff", "topic": "intro"}, Authorization="Bearer from-teams"
    )

    assert status == 200 and "<html" not in body
    assert "Set ✔ 4. januar" in body[body.index('id="prep-kickoff"') :]


async def test_the_shell_loads_the_view_with_scripts_under_the_nonce(tab: Server) -> None:
    async with tab.http.get(tab.url + "/tab?theme=dark") as resp:
        html, csp = await resp.text(), resp.headers["Content-Security-Policy"]

    assert 'data-view="/tab/view"' in html and 'data-theme="dark"' in html
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert html.count(f'nonce="{nonce}"') == 2
    assert "Hej" not in html  # no person, no data


async def test_leader_sees_their_talents_and_one_talents_programme_read_only(tab: Server, db: Database) -> None:
    anna = await person(db, ANNA)
    _, landing = await page(tab, f"/tab?as={METTE}")
    text = text_of(landing)
    assert "Dine talenter" in text and "Anna Jensen" in text and "David Pedersen" in text
    assert "Bo Madsen" not in text and "Workshop for nærmeste ledere" in text

    status, html = await page(tab, f"/tab/talent/{anna}?as={METTE}")

    assert status == 200
    text = text_of(html)
    assert "<h1>Anna Jensen</h1>" in html and "Kick-off Du er her" in text
    assert "Samtale 1 med nærmeste leder" in text and "Hvad har du brug for fra mig som nærmeste leder?" in text
    assert "Forventningsafstemning og mål for forløbet" in text
    assert "<textarea" not in html and "Markér som set" not in html and "Holdt ✔<" not in html  # read-only
    assert "Ikke valgt endnu" in text  # the plan, read-only


async def test_the_leaders_view_folds_a_long_plan_text_behind_vis_mere(tab: Server, db: Database) -> None:
    long = ("Ledelse i praksis. " * 110)[:2000]
    _, html = await page(tab, f"/tab?as={ANNA}")
    form = {"csrf": csrf_of(html), "aim": "vertical", "individual": long, "team": "Kort tekst", "organisation": "", "notes": ""}
    assert (await post(tab, f"/tab/plan?as={ANNA}", form))[0] == 303
    status, html = await page(tab, f"/tab/talent/{await person(db, ANNA)}?as={METTE}")
    assert status == 200 and html.count("vis mere</span></summary>") == 1  # only the long field folds
    assert long.strip() in html and "<dd>Kort tekst</dd>" in html


async def test_leader_is_refused_another_leaders_talent_with_no_data(tab: Server, db: Database) -> None:
    bo = await person(db, BO)

    status, html = await page(tab, f"/tab/talent/{bo}?as={METTE}")

    assert status == 403
    assert "Bo Madsen" not in html and "Kick-off" not in html
    async with db.sessions() as s:
        audit = await s.scalar(select(AuditEntry).where(AuditEntry.action == "tab.talent"))
    assert audit is not None and audit.outcome == "refused"


async def test_a_talent_cannot_open_another_talent(tab: Server, db: Database) -> None:
    bo = await person(db, BO)
    status, html = await page(tab, f"/tab/talent/{bo}?as={ANNA}")
    assert status == 403 and "Bo Madsen" not in html


async def test_instructor_sees_the_calendar_but_no_talent_data(tab: Server) -> None:
    status, html = await page(tab, f"/tab?as={SOFIE}")

    assert status == 200
    text = text_of(html)
    assert "Hej Sofie" in text and "Kick-off" in text
    for private in ("Anna Jensen", "Bo Madsen", "Markér som set", "Biblioteket", "Buddy-møde"):
        assert private not in text
    assert 'id="udviklingsplan"' not in html and "<textarea" not in html


async def test_a_stranger_gets_a_refusal_and_no_data(tab: Server) -> None:
    status, html = await page(tab, "/tab?as=stranger@elsewhere.example")

    assert status == 401
    assert "Kick-off" not in html and "Anna" not in html


async def test_library_search_finds_by_title_and_says_when_nothing_matches(tab: Server) -> None:
    _, html = await page(tab, f"/tab?as={ANNA}&q=leadership+pipeline")
    assert "1 materiale passer på »leadership pipeline«" in text_of(html)

    _, html = await page(tab, f"/tab?as={ANNA}&q=kvantefysik")
    assert "Ingen materialer passer på din søgning." in html
