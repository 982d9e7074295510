"""The aiohttp application keys that app.py fills and the web routes read (botbuilder-typed keys stay in app.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.delivery.connector import ConnectorClient
from bot.outbox.sender import Sender
from bot.services.core import Core
from bot.storage.db import Database

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
IN_FLIGHT: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("in_flight", set)  # the turns running now
CORE = web.AppKey("core", Core)
SENDER = web.AppKey("sender", Sender)
CONNECTOR = web.AppKey("connector", ConnectorClient)
