"""The console's twins on the command line: `roster set` for one person, and `broadcast --at`, `--list`, `--cancel`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import aliased

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import AuditEntry, Broadcast, Membership, Person
from tests.support import run_cli, seed

ANNA = "anna.talent@aalborg.example"


async def test_roster_set_previews_with_dry_run_then_writes_once_and_refuses_a_bad_leader(
    db: Database, programme: Any, cli_env: Settings
) -> None:
    await seed(db, programme)
    base = ["roster", "set", "--cohort", "hold-2027", "--email", ANNA]
    dry = run_cli([*base, "--leader", "jens.leder@rn.example", "--dry-run"], cli_env)
    assert dry.returncode == 0, dry.stderr
    assert "nærmeste leder: mette.leder@aalborg.example → jens.leder@rn.example" in dry.stdout and "dry run, nothing written" in dry.stderr
    bad = run_cli([*base, "--leader", "bo.talent@rn.example"], cli_env)
    assert bad.returncode == 1 and "--leader: bo.talent@rn.example står på holdet som talent" in bad.stderr
    done = run_cli([*base, "--leader", "jens.leder@rn.example"], cli_env)
    assert done.returncode == 0 and "leader changed" in done.stderr, done.stderr
    again = run_cli([*base, "--leader", "jens.leder@rn.example"], cli_env)
    assert again.returncode == 0 and "nothing to change" in again.stderr
    leader = aliased(Person)
    async with db.sessions() as s:
        now_leader = await s.scalar(
            select(leader.email)
            .join(Membership, Membership.leader_id == leader.id)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.email == ANNA)
        )
        actions = [(a.action, a.outcome) for a in await s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert now_leader == "jens.leder@rn.example"
    assert actions == [("roster.edit", o) for o in ("allowed", "failed", "allowed", "allowed")]


async def test_broadcast_at_a_local_time_is_listed_and_cancelled(db: Database, programme: Any, cli_env: Settings) -> None:
    await seed(db, programme)
    local = (datetime.now(UTC) + timedelta(days=2)).astimezone(ZoneInfo("Europe/Copenhagen"))
    at = f"{local:%Y-%m-%d} 09:00"
    done = run_cli(["broadcast", "--cohort", "hold-2027", "--role", "talent", "--text", "Husk modul 1", "--at", at], cli_env)
    assert done.returncode == 0, done.stderr
    match = re.search(r"broadcast (\d+): scheduled for .* kl\. 09\.00", done.stderr)
    assert match
    listed = run_cli(["broadcast", "--cohort", "hold-2027", "--list"], cli_env)
    assert re.search(rf"\s{match.group(1)}\s+waiting\s.*kl\. 09\.00\s+talent\s+0\s+Husk modul 1", listed.stdout), listed.stdout
    past = run_cli(["broadcast", "--cohort", "hold-2027", "--text", "for sent", "--at", "2020-01-01 09:00"], cli_env)
    assert past.returncode == 1 and "er allerede gået" in past.stderr
    cancel = run_cli(["broadcast", "--cohort", "hold-2027", "--cancel", match.group(1)], cli_env)
    assert cancel.returncode == 0 and "cancelled" in cancel.stderr
    twice = run_cli(["broadcast", "--cohort", "hold-2027", "--cancel", match.group(1)], cli_env)
    assert twice.returncode == 1 and "allerede fortrudt" in twice.stderr
    async with db.sessions() as s:
        (record,) = await s.scalars(select(Broadcast))
        actions = [a.action for a in await s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert record.cancelled_at is not None and record.released_at is None
    assert actions == ["broadcast.schedule", "broadcast.list", "broadcast.schedule", "broadcast.cancel", "broadcast.cancel"]
