"""Material link checks: a HEAD to each link of activities in the next 30 days, the answer kept per URL.

The checks run in the background (scheduler/jobs.py: link_check, one replica per window through
job_runs) or from `cohort check --check-links`; 'Klar til start?' only reads the stored answers, so a
server that hangs never holds up the console. A request carries no cookies, no credentials (userinfo
in a URL is dropped) and no referrer; logs name the host only, since a query may hold a token.
No request goes to an internal address (loopback, private, link-local such as Azure's metadata
service 169.254.169.254): every address a host resolves to is checked before connecting, at the
link and at every redirect, which is followed here, hop by hop, rather than by aiohttp
(bot/delivery/internal.py). `allowed_hosts` (LINK_CHECK_ALLOW_HOSTS) exempts named hosts, for tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from yarl import URL

from bot.delivery.internal import InternalAddress, PublicOnlyResolver, host_set, refused_literal
from bot.domain.materials import Materials
from bot.storage.db import Database, dialect_insert
from bot.storage.health_tables import LinkCheck
from bot.storage.models import CalendarSession, Material

log = logging.getLogger(__name__)
MATERIAL_DAYS = 30  # links matter for activities this close (the same horizon as the placeholder check)
TIMEOUT_SECONDS = 5.0  # per link, redirects included
CONCURRENCY = 4  # links checked at once: polite to the hosts, light on a 2-core box
MAX_REDIRECTS = 5
FORGET_AFTER = timedelta(days=60)  # a stored answer for a link nobody uses any more is dropped
USER_AGENT = "TalentNord-linkcheck/1.0"
# Some servers refuse HEAD outright; then a GET is sent and only its headers are read.
HEAD_REFUSED = (405, 501)
REDIRECTS = (301, 302, 303, 307, 308)
INTERNAL_REASON = "Linket peger på en intern adresse"


class TooManyRedirects(Exception):
    """A link sent us on more than MAX_REDIRECTS times."""


@dataclass(frozen=True)
class LinkResult:
    """One link's answer: ok, the HTTP status (None when no answer came) and a Danish reason."""

    url: str
    ok: bool
    status: int | None
    reason: str
    checked_at: datetime


def url_hash(url: str) -> str:
    """The key of a URL in link_checks."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def checkable(url: str) -> bool:
    """Whether a link is one we check: http(s) with a host, and not a placeholder (that is its own item)."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return False
    host = parsed.host or ""
    return parsed.scheme in ("http", "https") and bool(host) and not host.endswith(".example")


async def near_links(
    session: AsyncSession, materials: Materials, now: datetime, cohort_id: int | None = None
) -> list[tuple[str, str, str]]:
    """(activity key, step title, url) of every checkable material of an activity starting within MATERIAL_DAYS.

    Both the content's steps and what was published (the materials table) count: the published rows
    are what participants get, the content is what the next publish sends.
    """
    query = select(CalendarSession.activity_key).where(
        CalendarSession.starts_at > now, CalendarSession.starts_at <= now + timedelta(days=MATERIAL_DAYS)
    )
    if cohort_id is not None:
        query = query.where(CalendarSession.cohort_id == cohort_id)
    keys = sorted(set(await session.scalars(query)))
    found: dict[tuple[str, str], str] = {}
    for key in keys:
        sequence = materials.sequences.get(key)
        for step in sequence.steps if sequence else ():
            found.setdefault((key, step.url), step.title)
    if keys:
        for row in await session.execute(
            select(Material.activity_key, Material.url, Material.title).where(Material.activity_key.in_(keys))
        ):
            found.setdefault((row.activity_key, row.url), row.title)
    return [(key, title, url) for (key, url), title in sorted(found.items()) if checkable(url)]


async def stored_results(session: AsyncSession, urls: Iterable[str]) -> dict[str, LinkCheck]:
    """The stored answer per URL, for those that were checked."""
    hashes = {url_hash(u): u for u in urls}
    if not hashes:
        return {}
    rows = await session.scalars(select(LinkCheck).where(LinkCheck.url_hash.in_(hashes)))
    return {hashes[r.url_hash]: r for r in rows}


def _failure_reason(exc: BaseException, timeout: float) -> str:
    """A Danish reason for a link that gave no HTTP answer."""
    if isinstance(exc, InternalAddress):
        return INTERNAL_REASON
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return f"Linket svarer ikke inden for {timeout:g} sekunder"
    if isinstance(exc, TooManyRedirects | aiohttp.TooManyRedirects):
        return f"Linket sender videre mere end {MAX_REDIRECTS} gange"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return "Den sikre forbindelse fejler (certifikat/TLS)"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "Adressen findes ikke (DNS)"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Serveren kan ikke nås"
    if isinstance(exc, aiohttp.InvalidURL):
        return "Linket er ikke en gyldig adresse"
    return "Linket svarer ikke (forbindelsen fejlede)"


def answer_reason(status: int) -> str:
    """A Danish reason for an HTTP status ('' when it is fine)."""
    return "" if status < 400 else f"Linket svarer ikke ({status})"


class LinkChecker:
    """Checks material links with HEAD (GET when HEAD is refused) and stores each answer."""

    def __init__(
        self,
        db: Database,
        materials: Materials,
        clock: Callable[[], datetime],
        *,
        timeout: float = TIMEOUT_SECONDS,
        concurrency: int = CONCURRENCY,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.db = db
        self.materials = materials
        self.clock = clock
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        # hosts exempt from the internal-address refusal (LINK_CHECK_ALLOW_HOSTS: the tests' loopback host)
        self.allowed_hosts = host_set(allowed_hosts)

    async def check_urls(self, urls: Iterable[str]) -> list[LinkResult]:
        """Check these links now (at most `concurrency` at once, each within `timeout`) and store the answers."""
        wanted = list(dict.fromkeys(u for u in urls if checkable(u)))
        if not wanted:
            return []
        gate = asyncio.Semaphore(self.concurrency)
        # No cookie jar, no proxy from the environment, no stored credentials: a bare request per link,
        # through a connector whose resolver refuses internal addresses.
        connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver(self.allowed_hosts))
        async with aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), headers={"User-Agent": USER_AGENT}, trust_env=False
        ) as http:

            async def one(url: str) -> LinkResult:
                async with gate:
                    return await self._check(http, url)

            results = await asyncio.gather(*(one(u) for u in wanted))
        await self._store(results)
        broken = [r for r in results if not r.ok]
        log.info("link check: %d links, %d broken", len(results), len(broken))
        for r in broken:
            log.info("link check: %s broken: %s", URL(r.url).host, r.status or r.reason)
        return results

    async def run(self, now: datetime | None = None, cohort_id: int | None = None) -> list[LinkResult]:
        """Check every link of the activities in the next MATERIAL_DAYS (one cohort's, when given)."""
        now = now or self.clock()
        async with self.db.sessions() as session:
            links = await near_links(session, self.materials, now, cohort_id)
        results = await self.check_urls(url for _, _, url in links)
        if cohort_id is None:
            async with self.db.sessions() as session, session.begin():
                await session.execute(delete(LinkCheck).where(LinkCheck.checked_at < now - FORGET_AFTER))
        return results

    async def _check(self, http: aiohttp.ClientSession, url: str) -> LinkResult:
        target = URL(url).with_user(None)  # a user:password in a link is never sent
        limit = aiohttp.ClientTimeout(total=self.timeout)
        try:
            # wait_for holds the limit even if a server trickles bytes past aiohttp's own timeout
            status = await asyncio.wait_for(self._status(http, target, limit), self.timeout + 0.5)
        except Exception as exc:  # every failure to answer is a broken link; the kind is in the reason
            if isinstance(exc, InternalAddress):
                log.warning("link check: %s refused: it resolves to an internal address", exc.host)
            return LinkResult(url, False, None, _failure_reason(exc, self.timeout), self.clock())
        return LinkResult(url, status < 400, status, answer_reason(status), self.clock())

    async def _status(self, http: aiohttp.ClientSession, target: URL, limit: aiohttp.ClientTimeout) -> int:
        status = await self._follow(http, "HEAD", target, limit)
        if status not in HEAD_REFUSED:
            return status
        return await self._follow(http, "GET", target, limit)

    async def _follow(self, http: aiohttp.ClientSession, method: str, target: URL, limit: aiohttp.ClientTimeout) -> int:
        """The status at the end of the link's redirects, each hop checked before it is requested."""
        for _ in range(MAX_REDIRECTS + 1):
            if (refused := refused_literal(target.host or "", self.allowed_hosts)) is not None:
                raise refused  # an IP address as the host: no resolver sees it
            response = await http.request(method, target, allow_redirects=False, timeout=limit)
            try:
                # the headers are in; the body is never read (a GET's could be large, or never come)
                location = response.headers.get("Location", "")
                if response.status not in REDIRECTS or not location:
                    return response.status
            finally:
                response.close()
            target = target.join(URL(location)).with_user(None)  # HEAD stays HEAD, GET stays GET (303 too)
            if target.scheme not in ("http", "https") or not target.host:
                raise aiohttp.InvalidURL(target)  # sent on to something that is not a web page
        raise TooManyRedirects(target.host)

    async def _store(self, results: list[LinkResult]) -> None:
        rows = [
            {
                "url_hash": url_hash(r.url),
                "url": r.url,
                "ok": r.ok,
                "status": r.status,
                "reason": r.reason[:200],
                "checked_at": r.checked_at,
            }
            for r in results
        ]
        statement = dialect_insert(LinkCheck, is_sqlite=self.db.is_sqlite).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["url_hash"],
            set_={k: statement.excluded[k] for k in ("url", "ok", "status", "reason", "checked_at")},
        )
        async with self.db.sessions() as session, session.begin():
            await session.execute(statement)
