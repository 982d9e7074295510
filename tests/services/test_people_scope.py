"""Incremental re-planning after a roster or buddy change: one person's change computes and rewrites only the rows it touches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.config import REPO_ROOT, Settings
from bot.content.cohort import load_cohort
from bot.domain.roster import parse_roster
from bot.domain.roster_edit import person_edit
from bot.services.core import Core, build_core
from bot.services.planning import ReplanSummary
from bot.services.roster_edit import RosterEditor
from bot.services.roster_preview import import_and_replan, preview_roster
from bot.storage.db import Database
from bot.storage.models import CalendarSession, Cohort, Person, PlannedDelivery
from tests.support import Clock
from tests.support.rosters import generated_roster

KEY = "hold-2027"
CALENDAR = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"
TALENTS = 40  # 8 leaders (talent i has leder{i // 5}), 4 mentors (an even talent i has mentor{i // 2 % 4})


def _edited(lines: list[str], email: str, new: str | None) -> list[str]:
    """The roster lines with one person's line replaced (None: removed); a line not there yet is added."""
    found = [i for i, line in enumerate(lines) if line.startswith(email + ",")]
    if not found:
        assert new is not None
        return [*lines, new]
    i = found[0]
    return lines[:i] + ([new] if new is not None else []) + lines[i + 1 :]


# change -> (the roster's line for whom, its new text or None to remove it, the people whose rows are re-planned)
CHANGES: dict[str, tuple[str, str | None, set[str]]] = {
    # talent 12: leder2, mentor2 -> leder5; the old leader's nudges and readiness card about them go, the new one's come
    "leader": (
        "talent12@gen.example",
        "talent12@gen.example,Talent 12,talent,Kommune 2,leder-af-medarbejdere,leder5@gen.example,mentor2@gen.example",
        {"talent12", "leder2", "leder5", "mentor2"},
    ),
    # talent 13 had no mentor: the mentor's rows about them, and the talent's own mentor nudges
    "mentor": (
        "talent13@gen.example",
        "talent13@gen.example,Talent 13,talent,Kommune 2,leder-af-ledere,leder2@gen.example,mentor1@gen.example",
        {"talent13", "leder2", "mentor1"},
    ),
    "removed": ("talent7@gen.example", None, {"talent7", "leder1"}),
    "added": (
        "talent40@gen.example",
        "talent40@gen.example,Talent 40,talent,Kommune 0,leder-af-ledere,leder0@gen.example,mentor0@gen.example",
        {"talent40", "leder0", "mentor0"},
    ),
    "role": ("styre@lead.example", "styre@lead.example,Styregruppe,consultant,LEAD,,,", {"styre"}),
    # the plan does not read a level: nothing is computed and nothing written
    "level": (
        "talent20@gen.example",
        "talent20@gen.example,Talent 20,talent,Kommune 0,leder-af-ledere,leder4@gen.example,mentor2@gen.example",
        set(),
    ),
}


async def _plan(db: Database) -> dict[str, tuple[object, ...]]:
    async with db.sessions() as s:
        rows = await s.execute(
            select(
                PlannedDelivery.key,
                PlannedDelivery.due_at,
                PlannedDelivery.not_after,
                PlannedDelivery.seq,
                PlannedDelivery.status,
                PlannedDelivery.data,
            )
        )
        return {key: tuple(rest) for key, *rest in rows.all()}


async def _ids(db: Database, names: set[str]) -> frozenset[int]:
    emails = {f"{n}@{'lead' if n == 'styre' else 'gen'}.example" for n in names}
    async with db.sessions() as s:
        return frozenset((await s.scalars(select(Person.id).where(Person.email.in_(emails)))).all())


async def _seed(settings: Settings, clock: Clock) -> tuple[Database, Core, int]:
    """A cohort of TALENTS talents with buddy groups and a whole plan; the number of items a whole re-plan computes."""
    db = Database(settings.database_url)
    await db.upgrade()
    core = build_core(db, settings, clock)
    await core.learning.ensure_published()
    await core.roster.import_cohort(load_cohort(CALENDAR, core.programme))
    await _import(core, generated_roster(TALENTS))
    await core.buddies.suggest(KEY)  # buddy nudges and introductions
    await core.planner.replan(KEY)
    return db, core, core.planner.computed


async def _import(core: Core, lines: list[str]) -> ReplanSummary:
    rows = parse_roster("\n".join(lines) + "\n", "roster.csv")
    return (await import_and_replan(core.roster, core.planner, KEY, rows, "roster.csv", prune=True))[1]


def _written(before: dict[str, tuple[object, ...]], after: dict[str, tuple[object, ...]]) -> set[str]:
    return {key for key in after if after[key] != before.get(key)}


async def _nothing_left(core: Core) -> None:
    full = await core.planner.replan(KEY)
    assert (full.added, full.moved, full.dropped) == (0, 0, 0), full


@pytest.mark.parametrize("change", sorted(CHANGES))
async def test_a_one_person_roster_change_replans_only_whom_it_touches_and_ends_where_a_whole_replan_would(
    settings: Settings, change: str
) -> None:
    db, core, whole = await _seed(settings, Clock())
    email, line, names = CHANGES[change]
    if change == "removed":  # their buddy is left unpaired: the buddy's own nudges go (not their leader's)
        names = names | {e.split("@")[0] for g in await core.buddies.show(KEY) if email in g for e in g}
    before = await _plan(db)
    summary = await _import(core, _edited(generated_roster(TALENTS), email, line))
    after = await _plan(db)
    assert core.planner.scoped == await _ids(db, names)  # the person, their leader and mentor: no one else
    assert core.planner.computed < whole / 8, (core.planner.computed, whole)
    # the rows the plan write changed are exactly the rows it says it wrote
    assert len(_written(before, after)) == summary.added + summary.moved + summary.dropped
    if change == "level":
        assert (core.planner.computed, summary.added, summary.moved, summary.dropped) == (0, 0, 0, 0)
    else:
        assert summary.added + summary.moved + summary.dropped > 0
    await _nothing_left(core)
    await db.dispose()


async def test_a_buddy_pair_change_replans_the_two_groups_and_the_introductions(settings: Settings) -> None:
    clock = Clock()
    db, core, whole = await _seed(settings, clock)
    groups = await core.buddies.show(KEY)
    levels = {f"talent{i}@gen.example": i % 2 for i in range(TALENTS)}
    first = groups[0]
    second = next(g for g in groups[1:] if levels[g[0]] == levels[first[0]])
    swapped = [list(g) for g in groups]
    a, b = groups.index(first), groups.index(second)
    swapped[a][0], swapped[b][0] = second[0], first[0]
    clock.advance(3 * 86400)  # LEAD re-pairs days later: the introductions' moment moves with it
    before = await _plan(db)
    await core.buddies.set(KEY, swapped)
    after = await _plan(db)
    regrouped = {e.split("@")[0] for e in first + second}
    assert core.planner.scoped == await _ids(db, regrouped)
    assert core.planner.computed < whole / 4, (core.planner.computed, whole)
    intros = {k for k in _written(before, after) if "/buddy-intro/" in k}
    assert len(intros) > len(first) + len(second)  # every unsent introduction moved, not only the new pairs'
    await _nothing_left(core)
    await db.dispose()


async def test_many_changes_or_a_plan_behind_replan_the_whole_cohort(settings: Settings) -> None:
    db, core, whole = await _seed(settings, Clock())
    # every talent to the next leader: more than half the cohort is touched
    moved = generated_roster(TALENTS, leader_shift=1)
    await _import(core, moved)
    assert core.planner.scoped is None and core.planner.computed == whole
    # a plan already behind its cohort (an import whose re-plan never came) is re-planned whole
    async with db.sessions() as s, s.begin():
        await s.execute(update(Cohort).where(Cohort.key == KEY).values(plan_version=Cohort.plan_version + 1))
    email, line, _ = CHANGES["mentor"]
    await _import(core, _edited(moved, email, line))
    assert core.planner.scoped is None and core.planner.computed > whole  # the whole plan, with the new mentor's rows
    await _nothing_left(core)
    await db.dispose()


@pytest.mark.parametrize("between", ["timezone", "calendar"])
async def test_a_cohort_change_between_the_two_reads_replans_the_whole_cohort(settings: Settings, between: str) -> None:
    db, core, whole = await _seed(settings, Clock())
    state = await core.planner.people_state(KEY)
    async with db.sessions() as s, s.begin():
        cohort = await s.scalar(select(Cohort).where(Cohort.key == KEY))
        assert cohort is not None
        if between == "timezone":
            cohort.timezone = "Europe/Oslo"
        else:  # another import moved a session, and its own version bump is not told apart from ours
            session = await s.scalar(
                select(CalendarSession).where(CalendarSession.cohort_id == cohort.id, CalendarSession.activity_key == "m3")
            )
            assert session is not None
            session.starts_at += timedelta(days=7)
            session.ends_at += timedelta(days=7)
    await core.planner.replan_people(KEY, state)
    assert core.planner.scoped is None and core.planner.computed == whole
    await _nothing_left(core)
    await db.dispose()


async def test_the_preview_computes_the_same_scope_and_writes_nothing(settings: Settings) -> None:
    db, core, _ = await _seed(settings, Clock())
    email, line, names = CHANGES["leader"]
    rows = parse_roster("\n".join(_edited(generated_roster(TALENTS), email, line)) + "\n", "roster.csv")
    before = await _plan(db)
    preview = await preview_roster(db, core.roster, core.planner, KEY, rows, "roster.csv", prune=True)
    assert core.planner.scoped == await _ids(db, names)
    assert await _plan(db) == before
    _, plan = await import_and_replan(core.roster, core.planner, KEY, rows, "roster.csv", prune=True)
    assert (preview.plan.added, preview.plan.moved, preview.plan.dropped) == (plan.added, plan.moved, plan.dropped)
    assert plan.added + plan.dropped > 0
    await db.dispose()


async def test_roster_set_of_one_mentor_replans_a_few_people(settings: Settings) -> None:
    db, core, whole = await _seed(settings, Clock())
    editor = RosterEditor(db, core.roster, core.planner)
    outcome = await editor.apply(KEY, person_edit("talent15@gen.example", "talent", mentor="mentor3@gen.example"))
    assert outcome.fields == ["mentor"]
    assert core.planner.scoped == await _ids(db, {"talent15", "leder3", "mentor3"})
    assert core.planner.computed < whole / 8
    await _nothing_left(core)
    await db.dispose()
