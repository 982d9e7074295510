"""The roster file is the truth for its cohort: removals are shown, and applied with --prune in the import's transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import cli
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import BuddyMember, Membership, Person, PlannedDelivery
from tests.support import EXAMPLE, shifted_cohort

BO = "bo.talent@rn.example"
EVA = "eva.talent@rn.example"


async def _of(url: str, email: str) -> tuple[list[str], set[tuple[str, str | None]], int]:
    """A person's roles in the cohort, (kind, activity) of their unsent plan rows, and their buddy places."""
    db = Database(url)
    async with db.sessions() as s:
        pid = await s.scalar(select(Person.id).where(Person.email == email))
        roles = sorted(await s.scalars(select(Membership.role).where(Membership.person_id == pid)))
        plan = {
            (r.kind, r.activity_key)
            for r in await s.scalars(select(PlannedDelivery).where(PlannedDelivery.person_id == pid, PlannedDelivery.status == "planned"))
        }
        buddies = len(list(await s.scalars(select(BuddyMember.id).where(BuddyMember.person_id == pid))))
    await db.dispose()
    return roles, plan, buddies


@pytest.fixture
def imported(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example roster imported with buddies; and a new file without Bo, with Eva as a leader instead of a talent."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    assert cli.main(["cohort", "import", str(shifted_cohort(tmp_path, 60))]) == 0
    assert cli.main(["roster", "import", str(EXAMPLE / "roster.csv"), "--cohort", "hold-2027"]) == 0
    assert cli.main(["buddies", "suggest", "--cohort", "hold-2027"]) == 0
    lines = [line for line in (EXAMPLE / "roster.csv").read_text(encoding="utf-8").splitlines() if not line.startswith(BO)]
    lines = [f"{EVA},Eva Christensen,leader,Region Nordjylland,,," if line.startswith(EVA) else line for line in lines]
    new = tmp_path / "new.csv"
    new.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return new


def test_without_prune_the_removals_are_shown_and_nothing_is_removed(
    imported: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    before = asyncio.run(_of(settings.database_url, BO))
    capsys.readouterr()
    assert cli.main(["roster", "import", str(imported), "--cohort", "hold-2027"]) == 0
    err = capsys.readouterr().err
    assert f"not in the file: {BO} (talent)" in err and f"not in the file: {EVA} (talent)" in err
    assert "use --prune" in err and "0 removed" in err
    assert asyncio.run(_of(settings.database_url, BO)) == before


def test_prune_removes_memberships_their_unsent_rows_and_buddy_places(
    imported: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    url = settings.database_url
    assert asyncio.run(_of(url, BO))[2] == 1
    capsys.readouterr()
    assert cli.main(["roster", "import", str(imported), "--cohort", "hold-2027", "--prune"]) == 0
    err = capsys.readouterr().err
    assert f"removed: {BO} (talent)" in err and "2 removed" in err

    assert asyncio.run(_of(url, BO)) == ([], set(), 0)
    roles, plan, buddies = asyncio.run(_of(url, EVA))
    assert roles == ["leader"] and buddies == 0
    materials = {activity for kind, activity in plan if kind == "material"}
    assert "leader-ws" in materials and not materials & {"m1", "m2", "m3"}  # a leader's plan, not a talent's

    # the file is now the truth: importing it again changes nothing
    assert cli.main(["roster", "import", str(imported), "--cohort", "hold-2027", "--prune"]) == 0
    assert "0 created, 0 updated, 0 removed" in capsys.readouterr().err
