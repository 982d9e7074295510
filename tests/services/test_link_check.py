"""Material link checks against a loopback host: HEAD, 405 then GET headers only, redirects, a hang within the timeout."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.services.core import build_core
from bot.services.job_runs import JobRuns
from bot.services.link_check import LinkChecker
from bot.storage.db import Database
from bot.storage.health_tables import LinkCheck
from scheduler.setup import LINK_CHECK_JOB_ID, link_window, links_once
from tests.support import NOW, seed
from tests.support.link_server import ALLOWED, link_host, publish_links


async def test_each_answer_is_judged_and_a_hang_ends_at_the_timeout(db: Database, settings: Settings) -> None:
    core = build_core(db, settings, lambda: NOW)
    checker = LinkChecker(db, core.materials, lambda: NOW, timeout=1.0, concurrency=2, allowed_hosts=ALLOWED)
    async with link_host() as host:
        paths = ("/ok", "/gone", "/nohead", "/moved", "/loop", "/hang")
        started = time.monotonic()
        results = {r.url.removeprefix(host.url): r for r in await checker.check_urls(host.link(p) for p in paths)}
        elapsed = time.monotonic() - started
        seen = list(host.seen)
    assert elapsed < 4, f"the hang held the check for {elapsed:.1f} s"
    assert (results["/ok"].ok, results["/ok"].status) == (True, 200)
    assert (results["/gone"].ok, results["/gone"].reason) == (False, "Linket svarer ikke (404)")
    assert (results["/nohead"].ok, results["/nohead"].status) == (True, 200)  # the GET's body never came: only headers read
    assert results["/moved"].ok and results["/moved"].status == 200
    assert not results["/loop"].ok and "videre" in results["/loop"].reason
    assert not results["/hang"].ok and results["/hang"].status is None and "1 sekunder" in results["/hang"].reason
    methods = [(m, p) for m, p, _ in seen]
    assert ("HEAD", "/nohead") in methods and ("GET", "/nohead") in methods and ("GET", "/ok") not in methods
    async with db.sessions() as s:
        stored = {r.url.removeprefix(host.url): r for r in await s.scalars(select(LinkCheck))}
    assert set(stored) == set(paths) and stored["/gone"].status == 404 and stored["/gone"].checked_at == NOW


async def test_no_credentials_cookies_or_placeholders_are_sent(db: Database, settings: Settings) -> None:
    core = build_core(db, settings, lambda: NOW)
    checker = LinkChecker(db, core.materials, lambda: NOW, timeout=1.0, allowed_hosts=ALLOWED)
    async with link_host() as host:
        with_password = host.link("/ok").replace("http://", "http://lead:hemmelig@")
        results = await checker.check_urls([with_password, "https://materialer.example/x", "mailto:a@b.dk"])
        headers = [h for _, _, h in host.seen]
    assert len(results) == 1 and results[0].ok  # the placeholder and the mailto are not checked here
    assert headers and all("Authorization" not in h and "Cookie" not in h and "Referer" not in h for h in headers)


async def test_an_address_that_does_not_resolve_is_broken(db: Database, settings: Settings) -> None:
    core = build_core(db, settings, lambda: NOW)
    [result] = await LinkChecker(db, core.materials, lambda: NOW, timeout=2.0, allowed_hosts=ALLOWED).check_urls(
        ["http://ingen-sadan-vaert.invalid/x"]
    )
    assert not result.ok and result.status is None and result.reason


async def test_health_reads_the_stored_answers_and_says_when(db: Database, programme: Any, settings: Settings) -> None:
    await seed(db, programme)
    core = build_core(db, settings, lambda: NOW)
    async with link_host() as host:
        await publish_links(
            db, "kickoff", {"Velkomstvideo": host.link("/ok"), "Artikel": host.link("/gone"), "Podcast": host.link("/hang")}
        )
        before = await core.health.check("hold-2027", NOW)
        assert before.links_unchecked == 3 and before.links_checked is None
        assert "broken-links" not in {i.code for i in before.items}  # nothing was checked: the page does not guess
        await LinkChecker(db, core.materials, lambda: NOW, timeout=0.5, allowed_hosts=ALLOWED).run(NOW)
    after = await core.health.check("hold-2027", NOW)
    broken = next(i for i in after.items if i.code == "broken-links")
    assert broken.urgent and broken.title == "2 materialelinks virker ikke" and not after.ready
    assert any(
        "Kick-off" in d and "Artikel" in d and "Linket svarer ikke (404), tjekket kl. 10.00 den 4. januar" in d for d in broken.details
    )
    assert any("Podcast" in d and "inden for 0.5 sekunder" in d for d in broken.details)
    assert after.links_unchecked == 0 and after.links_checked == NOW
    assert len(broken.entries()) == 2 and all("tjekket" not in k for k in broken.entries())  # the card compares these
    later = await core.health.check("hold-2027", NOW + timedelta(days=40))
    assert "broken-links" not in {i.code for i in later.items}  # the kick-off is past: its links no longer matter


async def test_one_replica_checks_a_window(db: Database, programme: Any, settings: Settings) -> None:
    await seed(db, programme)
    core = build_core(db, replace(settings, link_check_allow_hosts=ALLOWED), lambda: NOW)  # LINK_CHECK_ALLOW_HOSTS
    async with link_host() as host:
        await publish_links(db, "kickoff", {"Artikel": host.link("/gone")})
        first = await links_once(JobRuns(db, "replica-a"), core, lambda: NOW)
        second = await links_once(JobRuns(db, "replica-b"), core, lambda: NOW + timedelta(minutes=20))
        heads = [p for m, p, _ in host.seen if m == "HEAD"]
    assert first == 1 and second is None and heads == ["/gone"]
    assert link_window(NOW) == "2027-01-04T06" and link_window(NOW + timedelta(hours=3)) == "2027-01-04T12"
    assert LINK_CHECK_JOB_ID == "link-check"
