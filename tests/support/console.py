"""The LEAD-konsol tests' people and roster lines, and a count of memberships."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.config import REPO_ROOT
from bot.storage.db import Database
from bot.storage.models import Membership

LARS = "lars.admin@lead.example"
ANNA = "anna.talent@aalborg.example"
ROSTER = (REPO_ROOT / "content" / "demo" / "roster.csv").read_text(encoding="utf-8")
NEW_TALENT = "freja.talent@aalborg.example,Freja Holm,talent,Aalborg Kommune,leder-af-medarbejdere,mette.leder@aalborg.example,\n"
BAD_TALENT = "freja.talent@aalborg.example,Freja Holm,talent,Aalborg Kommune,chef,mette.leder@aalborg.example,\n"


async def members(db: Database) -> int:
    """How many memberships the database holds."""
    async with db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Membership)) or 0)
