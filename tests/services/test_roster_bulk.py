"""A roster's new people and memberships are written in bulk statements, with the same rows as one by one."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import aliased

from bot.domain.roster import parse_roster
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import Membership, Person


def _roster(talents: int) -> str:
    lines = ["email,name,role,organisation,level,leader_email,mentor_email", "bulk.leder@example.dk,Leder Bulk,leader,Kommune A,,,"]
    lines += [
        f"bulk.talent{i}@example.dk,Talent {i},talent,Kommune {'AB'[i % 2]},leder-af-medarbejdere,bulk.leder@example.dk,"
        for i in range(talents)
    ]
    # a second line of a new person (another role): its organisation wins, as for a stored person
    lines.append("bulk.talent0@example.dk,Talent 0,mentor,Kommune C,,,")
    return "\n".join(lines) + "\n"


async def test_a_roster_of_new_people_is_a_few_inserts_and_every_link_is_right(seeded: Database) -> None:
    statements: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO"):
            statements[statement.split()[2]] += 1

    event.listen(seeded.engine.sync_engine, "before_cursor_execute", count)
    try:
        summary = await RosterService(seeded).import_roster("hold-2027", parse_roster(_roster(1500), "r.csv"), "r.csv")
    finally:
        event.remove(seeded.engine.sync_engine, "before_cursor_execute", count)
    assert (summary.created, summary.updated) == (1501 + 1502, 1)
    # before: one INSERT per person and per membership on SQLite (the ORM's flush): 3 003 statements. Now
    # a statement per 1 000 people, and one per shape of membership row (leader, talent, mentor)
    assert statements["people"] <= 2 and statements["memberships"] <= 3

    leader = aliased(Person)
    async with seeded.sessions() as s:
        rows = (
            await s.execute(
                select(Person.email, Person.name, Person.organisation, Membership.role, leader.email)
                .join(Membership, Membership.person_id == Person.id)
                .outerjoin(leader, leader.id == Membership.leader_id)
                .where(Person.email.like("bulk.%"))
            )
        ).all()
    by_role = {(email, role): (name, org, boss) for email, name, org, role, boss in rows}
    assert len(by_role) == 1502
    assert by_role[("bulk.talent0@example.dk", "talent")] == ("Talent 0", "Kommune C", "bulk.leder@example.dk")
    assert by_role[("bulk.talent0@example.dk", "mentor")] == ("Talent 0", "Kommune C", None)
    assert by_role[("bulk.talent1499@example.dk", "talent")] == ("Talent 1499", "Kommune B", "bulk.leder@example.dk")
    async with seeded.sessions() as s:
        created = await s.scalar(select(Person.created_at).where(Person.email == "bulk.talent7@example.dk"))
    assert created is not None
