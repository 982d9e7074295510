"""'Klar til start?' in the console shows the stored link checks and answers while a check hangs in the background."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from bot.appkeys import CORE
from bot.config import Settings
from bot.services.link_check import LinkChecker
from bot.storage.db import Database
from tests.support import NOW, seed, start_server
from tests.support.console import LARS
from tests.support.link_server import ALLOWED, link_host, publish_links


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_page_answers_while_a_link_hangs_and_then_shows_the_broken_ones(db: Database, programme: Any, settings: Settings) -> None:
    await seed(db, programme)
    server = await start_server(settings)
    try:
        async with link_host() as host:
            await publish_links(db, "kickoff", {"Artikel": host.link("/gone"), "Podcast": host.link("/hang"), "Video": host.link("/ok")})
            async with server.http.get(f"{server.url}/console?as={LARS}") as resp:
                first = text_of(await resp.text())
            assert "3 links er ikke tjekket endnu" in first and "materialelinks virker ikke" not in first
            core = server.app[CORE]
            checking = asyncio.create_task(LinkChecker(core.db, core.materials, lambda: NOW, timeout=3.0, allowed_hosts=ALLOWED).run(NOW))
            await asyncio.wait_for(host.hanging.wait(), 5)
            started = time.monotonic()
            async with server.http.get(f"{server.url}/console?as={LARS}") as resp:
                during = resp.status, await resp.text()
            waited = time.monotonic() - started
            assert during[0] == 200 and "Klar til start?" in during[1] and not checking.done()
            assert waited < 2.5, f"the page waited {waited:.1f} s for the link check"
            await checking
        async with server.http.get(f"{server.url}/console?as={LARS}") as resp:
            after = text_of(await resp.text())
        assert "2 materialelinks virker ikke" in after
        assert "Artikel – Linket svarer ikke (404), tjekket kl. 10.00 den 4. januar" in after
        assert "Linket svarer ikke inden for 3 sekunder" in after and "Materialelinks sidst tjekket 4. januar 2027 kl. 10.00" in after
    finally:
        await server.close()
