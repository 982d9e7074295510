"""Link checks never request an internal address: not at the link, not after a redirect; the console says so in Danish."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest

from bot.config import Settings
from bot.services.core import build_core
from bot.services.link_check import INTERNAL_REASON, LinkChecker
from bot.storage.db import Database
from tests.support import NOW, seed
from tests.support.link_server import ALLOWED, link_host, publish_links


def _port(url: str) -> str:
    return url.rsplit(":", 1)[1]


async def test_the_loopback_host_is_refused_by_default(db: Database, settings: Settings) -> None:
    assert settings.link_check_allow_hosts == ()  # the seam is off unless LINK_CHECK_ALLOW_HOSTS names a host
    core = build_core(db, settings, lambda: NOW)
    async with link_host() as host:
        [result] = await core.links.check_urls([host.link("/ok")])
        seen = list(host.seen)
    assert (result.ok, result.status, result.reason) == (False, None, "Linket peger på en intern adresse")
    assert seen == []  # refused before any connection


@pytest.mark.parametrize(
    "where",
    [
        "http://localhost:{port}/ok",  # a name that resolves to loopback
        "http://127.0.0.2:{port}/ok",  # loopback written as an address (only 127.0.0.1 is allowed)
        "http://[::1]:{port}/ok",
        "http://[::ffff:127.0.0.1]:{port}/ok",  # IPv4 loopback inside IPv6: the link host itself
        "http://10.0.0.1/intranet",  # private
        "http://192.168.1.1/admin",
        "http://172.16.5.4/",
        "http://169.254.169.254/metadata/instance?api-version=2021-02-01",  # link-local: Azure's metadata service
        "http://[fe80::1]/",
        "http://100.100.100.200/latest/meta-data/",  # shared address space (a cloud's metadata host)
        "http://0.0.0.0:{port}/ok",
    ],
)
async def test_each_internal_kind_is_refused_without_a_request(db: Database, settings: Settings, where: str) -> None:
    core = build_core(db, settings, lambda: NOW)
    checker = LinkChecker(db, core.materials, lambda: NOW, timeout=3.0, allowed_hosts=ALLOWED)
    async with link_host() as host:
        started = time.monotonic()
        [result] = await checker.check_urls([where.format(port=_port(host.url))])
        elapsed = time.monotonic() - started
        seen = list(host.seen)
    assert (result.ok, result.status, result.reason) == (False, None, INTERNAL_REASON)
    assert seen == [] and elapsed < 2.0  # no connection was tried (a private address would have timed out)


@pytest.mark.parametrize("to", ["http://localhost:{port}/ok", "http://169.254.169.254/metadata/instance", "http://[::ffff:10.0.0.1]/"])
async def test_a_redirect_to_an_internal_address_is_refused_before_it_is_followed(db: Database, settings: Settings, to: str) -> None:
    core = build_core(db, settings, lambda: NOW)
    checker = LinkChecker(db, core.materials, lambda: NOW, timeout=3.0, allowed_hosts=ALLOWED)
    async with link_host() as host:
        target = to.format(port=_port(host.url))
        [result] = await checker.check_urls([host.link(f"/to?url={quote(target, safe='')}")])
        paths = [p for _, p, _ in host.seen]
    assert (result.ok, result.reason) == (False, INTERNAL_REASON)
    assert paths == ["/to"]  # the first hop was allowed; the internal one was never requested


async def test_redirects_between_allowed_hosts_are_still_followed(db: Database, settings: Settings) -> None:
    core = build_core(db, settings, lambda: NOW)
    checker = LinkChecker(db, core.materials, lambda: NOW, timeout=3.0, allowed_hosts=ALLOWED)
    async with link_host() as host:
        [result] = await checker.check_urls([host.link("/to?url=" + quote(host.link("/moved"), safe=""))])
        seen = [(m, p) for m, p, _ in host.seen]
    assert (result.ok, result.status) == (True, 200)
    assert seen == [("HEAD", "/to"), ("HEAD", "/moved"), ("HEAD", "/ok")]  # HEAD at every hop


async def test_a_numeric_loopback_form_never_reaches_the_host(db: Database, settings: Settings) -> None:
    core = build_core(db, settings, lambda: NOW)
    checker = LinkChecker(db, core.materials, lambda: NOW, timeout=3.0, allowed_hosts=ALLOWED)
    async with link_host() as host:
        port = _port(host.url)
        results = await checker.check_urls([f"http://2130706433:{port}/ok", f"http://127.1:{port}/ok", f"http://0x7f000001:{port}/ok"])
        seen = list(host.seen)
    assert seen == [] and not any(r.ok for r in results)


async def test_the_console_shows_the_danish_status(db: Database, programme: Any, settings: Settings) -> None:
    await seed(db, programme)
    core = build_core(db, settings, lambda: NOW)
    await publish_links(db, "kickoff", {"Metadata": "http://169.254.169.254/metadata/identity/oauth2/token"})
    await core.links.run(NOW)
    report = await core.health.check("hold-2027", NOW)
    broken = next(i for i in report.items if i.code == "broken-links")
    assert any("Metadata" in d and "Linket peger på en intern adresse, tjekket kl. 10.00" in d for d in broken.details)
