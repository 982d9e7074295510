"""The LEAD-konsol tests' people and roster lines, a count of memberships, and a larger cohort."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot.config import REPO_ROOT
from bot.domain.roster import parse_roster
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import Membership, Person

LARS = "lars.admin@lead.example"
ANNA = "anna.talent@aalborg.example"
ROSTER = (REPO_ROOT / "content" / "demo" / "roster.csv").read_text(encoding="utf-8")
NEW_TALENT = "freja.talent@aalborg.example,Freja Holm,talent,Aalborg Kommune,leder-af-medarbejdere,mette.leder@aalborg.example,\n"
BAD_TALENT = "freja.talent@aalborg.example,Freja Holm,talent,Aalborg Kommune,chef,mette.leder@aalborg.example,\n"


async def members(db: Database) -> int:
    """How many memberships the database holds."""
    async with db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Membership)) or 0)


async def leader_of(db: Database, email: str) -> str | None:
    """The e-mail of the nearest leader of the talent with this e-mail (None when none is set)."""
    leader = aliased(Person)
    async with db.sessions() as s:
        return await s.scalar(
            select(leader.email)
            .join(Membership, Membership.leader_id == leader.id)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.email == email, Membership.role == "talent")
        )


async def add_talents(db: Database, count: int) -> None:
    """The demo roster imported again with `count` more talents (Talent 000 …, ten organisations) under Jens Sørensen."""
    extra = "".join(
        f"t{i:03d}@bench.example,Talent {i:03d},talent,Kommune {i % 10},leder-af-ledere,jens.leder@rn.example,\n" for i in range(count)
    )
    await RosterService(db).import_roster("hold-2027", parse_roster(ROSTER + extra, "roster.csv"), "roster.csv")
