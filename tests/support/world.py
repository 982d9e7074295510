"""The example cohort and its roster in a database, the chats people have opened, shifted calendars."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import REPO_ROOT
from bot.content.cohort import parse_cohort
from bot.content.programme import load_programme
from bot.content.yamlfile import load_yaml_file
from bot.domain.roster import parse_roster
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import Conversation, Person

EXAMPLE = REPO_ROOT / "content" / "demo"
EXAMPLE_COHORT = EXAMPLE / "cohort-example.yaml"
EXAMPLE_ROSTER = EXAMPLE / "roster.csv"
ANNA = "anna.talent@aalborg.example"


async def seed(db: Database, programme: Any = None) -> None:
    """The example cohort (kick-off 12 Jan 2027) with the demo roster (Anna is on it, not yet linked to Teams).

    Without a programme, the shipped one in content/ is loaded."""
    if programme is None:
        programme = load_programme(REPO_ROOT / "content")
    service = RosterService(db)
    await service.import_cohort(parse_cohort(load_yaml_file(EXAMPLE_COHORT), str(EXAMPLE_COHORT), programme))
    rows = parse_roster(EXAMPLE_ROSTER.read_text(encoding="utf-8"), str(EXAMPLE_ROSTER))
    await service.import_roster("hold-2027", rows, str(EXAMPLE_ROSTER))


def personal_chat(person_id: int, service_url: str) -> Conversation:
    """A stored 1:1 chat `a:<person id>` with the bot, as an install or the Graph sync leaves it."""
    cid = f"a:{person_id}"
    return Conversation(
        conversation_id=cid, kind="personal", person_id=person_id, service_url=service_url, reference={"conversation": {"id": cid}}
    )


async def store_chats(db: Database, service_url: str) -> None:
    """Everyone on the roster has opened the chat with the bot."""
    async with db.sessions() as s, s.begin():
        for person in await s.scalars(select(Person)):
            s.add(personal_chat(person.id, service_url))


def shifted_cohort(tmp_path: Path, kickoff_in_days: int) -> Path:
    """The example calendar moved so its kick-off is `kickoff_in_days` from today (every date by the same amount)."""
    text = (EXAMPLE / "cohort-example.yaml").read_text(encoding="utf-8")
    delta = date.today() + timedelta(days=kickoff_in_days) - date(2027, 1, 12)

    def move(match: re.Match[str]) -> str:
        return (date.fromisoformat(match.group(1)) + delta).isoformat() + "T"

    path = tmp_path / "hold.yaml"
    path.write_text(re.sub(r"(\d{4}-\d{2}-\d{2})T", move, text), encoding="utf-8")
    return path
