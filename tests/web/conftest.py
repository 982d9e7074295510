"""Fixtures of the web tests: one headless Debian Chromium per browser test, the console's app with the example cohort."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Settings
from bot.storage.db import Database
from tests.support import Server, seed, start_server
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def console_server(db: Database, programme: Any, settings: Settings) -> AsyncIterator[Server]:
    """The real app on loopback with the example cohort seeded (not planned)."""
    await seed(db, programme)
    server = await start_server(settings)
    yield server
    await server.close()
