"""`cohort check --check-links`: the links of the next 30 days checked now, the answers stored for the console."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.config import Settings
from bot.storage.db import Database
from tests.support import run_cli, shifted_cohort
from tests.support.link_server import ALLOWED, link_host, publish_links


async def test_check_links_runs_the_checks_and_a_plain_check_reads_them(
    cli_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINK_CHECK_ALLOW_HOSTS", ",".join(ALLOWED))  # the loopback link host (the commands inherit it)
    cohort = shifted_cohort(tmp_path, kickoff_in_days=10)
    assert (await asyncio.to_thread(run_cli, ["cohort", "import", str(cohort)], cli_env)).returncode == 0
    db = Database(cli_env.database_url)
    try:
        async with link_host() as host:
            await publish_links(db, "kickoff", {"Artikel": host.link("/gone"), "Video": host.link("/nohead")})
            plain = await asyncio.to_thread(run_cli, ["cohort", "check", "--cohort", "hold-2027", "--json"], cli_env)
            assert "broken-links" not in plain.stdout and json.loads(plain.stdout)["links_unchecked"] == 2
            assert "not checked yet (--check-links" in plain.stderr
            checked = await asyncio.to_thread(run_cli, ["cohort", "check", "--cohort", "hold-2027", "--json", "--check-links"], cli_env)
            heads = [p for m, p, _ in host.seen if m == "HEAD"]
        assert checked.returncode == 1 and "links checked: 2, broken: 1" in checked.stderr
        assert sorted(heads) == ["/gone", "/nohead"]
        report = json.loads(checked.stdout)
        broken = next(i for i in report["items"] if i["code"] == "broken-links")
        assert broken["urgent"] and len(broken["details"]) == 1 and "Linket svarer ikke (404), tjekket kl." in broken["details"][0]
        assert report["links_checked"] and report["links_unchecked"] == 0
        again = await asyncio.to_thread(run_cli, ["cohort", "check", "--cohort", "hold-2027"], cli_env)  # the host is gone: stored answers
        assert "1 materialelinks virker ikke" in again.stdout and "material links last checked" in again.stderr
    finally:
        await db.dispose()
