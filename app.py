"""The web server: create_app(settings) wires storage, services and the Teams edge; main() runs it."""
from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime, timezone
from typing import AsyncIterator, Callable

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter

from bot.config import ConfigError, Settings
from bot.content_loader import load_programme
from bot.domain.errors import FileErrors
from bot.domain.programme import Programme
from bot.logsetup import setup_logging
from bot.services.directory import Directory
from bot.services.guide import Guide
from bot.storage.db import Database
from bot.teams.auth import create_authentication
from bot.teams.endpoint import handle_messages
from bot.teams.handler import CompanionBot

log = logging.getLogger("talentnord")

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
PROGRAMME = web.AppKey("programme", Programme)
BOT = web.AppKey("bot", CompanionBot)
ADAPTER = web.AppKey("adapter", CloudAdapter)
IN_FLIGHT = web.AppKey("in_flight", set)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, aware in UTC."""
    return datetime.now(timezone.utc)


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    # One error path for every handler: log the detail, tell the person kindly, never a stack trace.
    log.error("error in turn (%s): %s", context.activity.type, type(error).__name__, exc_info=error)
    try:
        await context.send_activity("Beklager, der gik noget galt hos mig. Prøv igen om lidt – eller skriv **hjælp**.")
    except Exception:
        log.warning("could not tell the user about the error")


def create_app(settings: Settings, *, clock: Clock = system_clock) -> web.Application:
    """Build the aiohttp application; resources open and close in cleanup contexts."""
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[IN_FLIGHT] = set()

    async def storage(app: web.Application) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        await db.upgrade()
        app[DATABASE] = db
        yield
        await db.dispose()

    async def teams(app: web.Application) -> AsyncIterator[None]:
        programme = load_programme(settings.content_dir)
        app[PROGRAMME] = programme
        directory = Directory(app[DATABASE], demo_cohort=settings.demo_cohort)
        auth = create_authentication(settings)
        adapter = CloudAdapter(auth)
        adapter.on_turn_error = _on_turn_error
        app[ADAPTER] = adapter
        app[BOT] = CompanionBot(directory, Guide(programme, directory, clock))
        if settings.local_mode:
            log.warning(
                "LOCAL MODE: no MicrosoftAppId set, requests are accepted WITHOUT authentication "
                "(for the Agents Playground); listening on loopback only"
            )
        else:
            log.info("Azure mode: every request's token is validated (app type %s)", settings.app_type)
        yield
        await auth.close()

    async def drain(app: web.Application) -> AsyncIterator[None]:
        yield
        # On shutdown, let turns that are running finish before storage closes.
        pending = list(app[IN_FLIGHT])
        if pending:
            log.info("draining %d turn(s) in progress", len(pending))
            await asyncio.wait(pending, timeout=25)

    app.cleanup_ctx.extend([storage, teams, drain])

    async def messages(request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        app[IN_FLIGHT].add(task)
        try:
            return await handle_messages(request, app[ADAPTER], app[BOT], settings.max_body_bytes)
        finally:
            app[IN_FLIGHT].discard(task)

    async def healthz(request: web.Request) -> web.Response:
        ok = await app[DATABASE].ping()
        body = {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "down", "mode": "local" if settings.local_mode else "azure"}
        return web.json_response(body, status=200 if ok else 503)

    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> int:
    """Read settings, start the server, stop cleanly on SIGINT/SIGTERM."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    try:
        load_programme(settings.content_dir)
    except FileErrors as exc:
        print(f"Content error:\n{exc}", file=sys.stderr)
        return 2
    log.info("starting on http://%s:%d (database: %s)", settings.host, settings.port, settings.database_url.split("://")[0])
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        shutdown_timeout=30,
        print=lambda *_: None,
        access_log=None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
