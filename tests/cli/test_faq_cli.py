"""`python -m bot faq list|edit|withdraw`: the console's Spørgsmål from a terminal, through the same service."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import Cohort, Question
from tests.support import NOW, run_cli, seed


async def test_list_edit_withdraw(db: Database, cli_env: Settings) -> None:
    await seed(db)
    async with db.sessions.begin() as s:
        cohort = await s.scalar(select(Cohort.id).where(Cohort.key == "hold-2027"))
        q = Question(
            cohort_id=cohort,
            text="Skal jeg medbringe noget?",
            status="answered",
            answer="Nej.",
            answered_at=NOW - timedelta(days=1),
            reuse=True,
            created_at=NOW - timedelta(days=2),
        )
        s.add(q)
        await s.flush()
        qid = q.id
    [row] = json.loads(run_cli(["faq", "list", "--cohort", "hold-2027", "--json"], cli_env).stdout)
    assert row["learned"] is True and row["answered_by"] == "en underviser"
    edited = run_cli(["faq", "edit", "--cohort", "hold-2027", "--id", str(qid), "--answer", "Kun din udviklingsplan."], cli_env)
    assert edited.returncode == 0, edited.stderr
    assert run_cli(["faq", "withdraw", "--cohort", "hold-2027", "--id", str(qid)], cli_env).returncode == 0
    [row] = json.loads(run_cli(["faq", "list", "--cohort", "hold-2027", "--json"], cli_env).stdout)
    assert row["learned"] is False and row["answer"] == "Kun din udviklingsplan."
    again = run_cli(["faq", "withdraw", "--cohort", "hold-2027", "--id", str(qid)], cli_env)
    assert again.returncode == 1 and "intet lært svar" in again.stderr
