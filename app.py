"""The web server: create_app(settings) wires storage, services and the Teams edge; main() runs it."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter

from bot.appkeys import CONNECTOR, CORE, DATABASE, IN_FLIGHT, SENDER, SETTINGS
from bot.config import ConfigError, Settings
from bot.content.materials import load_content
from bot.delivery.connector import ConnectorClient, token_provider
from bot.domain.errors import FileErrors
from bot.logsetup import setup_logging
from bot.observe.context import note_failure
from bot.observe.http import access_middleware, metrics_handler
from bot.outbox.sender import Sender
from bot.report.html import render_html
from bot.services.core import build_core
from bot.startfail import DATABASE_FAILURES, StartFailure, check_listen, database_failure, listen_failure, refuse_tenantless_cohorts
from bot.storage.db import Database
from bot.teams.auth import create_authentication
from bot.teams.endpoint import handle_messages
from bot.teams.handler import CompanionBot
from bot.teams.replies import DirectReplies
from bot.web.console_faq import setup_console_faq
from bot.web.console_materials import setup_console_materials
from bot.web.console_people import setup_console_people
from bot.web.console_routes import setup_console
from bot.web.console_schedule import setup_console_schedule
from bot.web.edge import install_tab_edge
from bot.web.file_routes import setup_files
from bot.web.routes import setup_web
from bot.web.security import FRAME_ANCESTORS
from scheduler.in_flight import JobsInFlight
from scheduler.setup import create_scheduler

log = logging.getLogger("talentnord")
# At shutdown the sender and running jobs get this long to finish (the platform's stop grace is about 30 s)
SHUTDOWN_WAIT_SECONDS = 20.0

BOT = web.AppKey("bot", CompanionBot)
ADAPTER = web.AppKey("adapter", CloudAdapter)

Clock = Callable[[], datetime]
# The report page is self-contained: forbid every fetch, keep it out of caches, referrers and search engines;
# only Teams and Outlook may frame it (the tab's list), so no other site can clickjack it.
REPORT_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {' '.join(FRAME_ANCESTORS)}"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
# The refusals have nothing to frame: no frame at all, also for browsers without CSP level 2.
REFUSAL_HEADERS = {**REPORT_HEADERS, "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", "X-Frame-Options": "DENY"}


def system_clock() -> datetime:
    """The real time, aware in UTC."""
    return datetime.now(UTC)


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    # One error path for every handler: log the detail, tell the person kindly, never a stack trace.
    note_failure()  # the turn counts as an error in /metrics although Teams gets its 201
    log.error("error in turn (%s): %s", context.activity.type, type(error).__name__, exc_info=error)
    try:
        await context.send_activity("Beklager, der gik noget galt hos mig. Prøv igen om lidt – eller skriv **hjælp**.")
    except Exception:
        log.warning("could not tell the user about the error")


def create_app(settings: Settings, *, clock: Clock = system_clock, background: bool = True) -> web.Application:
    """Build the aiohttp application; resources open and close in cleanup contexts.

    With background=False no scheduler or sender runs (tests drive them by hand)."""
    # the access log is the outermost layer: it times and logs every request, refusals included
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[access_middleware])
    app[SETTINGS] = settings
    app[IN_FLIGHT] = set()

    async def storage(app: web.Application) -> AsyncIterator[None]:
        try:
            db = Database(settings.database_url)
            await db.upgrade()
        except DATABASE_FAILURES as exc:
            raise database_failure(settings.database_url, exc) from exc
        try:
            await refuse_tenantless_cohorts(db, settings.app_type)
        except Exception:
            await db.dispose()
            raise
        app[DATABASE] = db
        yield
        await db.dispose()

    async def services(app: web.Application) -> AsyncIterator[None]:
        db = app[DATABASE]
        core = build_core(db, settings, clock)
        await core.learning.ensure_published()
        core.questions.warm()  # built at start as before: the first question is not slow
        await core.desk.load_answered()  # instructors' reusable answers survive a restart
        app[CORE] = core
        client = ConnectorClient(token_provider(settings), concurrency=settings.sender_concurrency)
        app[CONNECTOR] = client  # the outbox's sends and the turns' replies share one pool and token
        app[SENDER] = Sender(
            db,
            client,
            rate_per_second=settings.global_rate_per_second,
            concurrency=settings.sender_concurrency,
            max_attempts=settings.send_max_attempts,
            lease_seconds=settings.send_lease_seconds,
            clock=clock,
        )
        yield
        await client.close()

    async def clockwork(app: web.Application) -> AsyncIterator[None]:
        if not background:
            yield
            return
        stop = asyncio.Event()
        sender_task = asyncio.create_task(app[SENDER].run(stop), name="outbox-sender")
        in_flight = JobsInFlight()
        scheduler = create_scheduler(
            app[CORE], app[SENDER], clock, settings.tick_seconds, settings.timezone, db=app[DATABASE], in_flight=in_flight
        )
        scheduler.start()
        yield
        # Paused, not shut down yet: APScheduler's shutdown cancels the jobs that are running. The sender
        # finishes the rows it holds (anything left keeps its lease and is retaken later); running jobs
        # finish too, or are cut short, before the database closes (scheduler/in_flight.py).
        scheduler.pause()
        stop.set()
        await in_flight.stop(SHUTDOWN_WAIT_SECONDS, also=(sender_task,))
        scheduler.shutdown(wait=False)

    async def teams(app: web.Application) -> AsyncIterator[None]:
        auth = create_authentication(settings)
        adapter = CloudAdapter(auth)
        adapter.on_turn_error = _on_turn_error
        app[ADAPTER] = adapter
        app[BOT] = CompanionBot(app[CORE], DirectReplies(app[CONNECTOR]))
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
        pending = [*app[IN_FLIGHT]]  # not list(...): mypy would infer the key from list()'s Iterable parameter
        if pending:
            log.info("draining %d turn(s) in progress", len(pending))
            await asyncio.wait(pending, timeout=25)

    app.cleanup_ctx.extend([storage, services, clockwork, teams, drain])
    install_tab_edge(app, settings, lambda: app[CORE])  # the "Mit forløb" tab's identity, headers, static files
    setup_web(app)  # the "Mit forløb" pages: /tab, /tab/view, /tab/talent/{id} and the actions
    setup_console(app)  # LEAD-konsol for admins: /console and its roster and broadcast actions
    setup_console_faq(app)  # LEAD-konsol's Spørgsmål: learned answers edited or withdrawn
    setup_console_people(app)  # LEAD-konsol's Deltagere: one person edited in place
    setup_console_schedule(app)  # LEAD-konsol's Beskeder at a time: scheduled and cancelled
    setup_console_materials(app)  # LEAD-konsol's Materialer: a step edited or reverted, previewed, then published
    setup_files(app)  # uploaded files: the console's upload/remove, /files/{id} by signed link, a Danish 413

    async def messages(request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        app[IN_FLIGHT].add(task)
        try:
            return await handle_messages(request, app[ADAPTER], app[BOT], settings.max_body_bytes)
        finally:
            app[IN_FLIGHT].discard(task)

    async def healthz(request: web.Request) -> web.Response:
        state = await app[DATABASE].health()  # a database that answers but refuses writes is not healthy
        ok = state == "ok"
        body = {"status": "ok" if ok else "unavailable", "database": state, "mode": "local" if settings.local_mode else "azure"}
        return web.json_response(body, status=200 if ok else 503)

    async def report(request: web.Request) -> web.Response:
        # Admins only: the bot sends admins a signed link that expires; anything else is a plain 403.
        cohort_key = request.match_info["cohort"]
        reports = app[CORE].reports
        if not reports.link_is_valid(cohort_key, request.query.get("exp", ""), request.query.get("sig", "")):
            log.warning("report for %r refused: bad or expired link", cohort_key[:64])
            return web.Response(
                status=403, text="Linket er ugyldigt eller udløbet. Skriv »status« til botten for at få et nyt.", headers=REFUSAL_HEADERS
            )
        try:
            page = render_html(await reports.build(cohort_key))
        except LookupError:
            return web.Response(status=404, text="Holdet findes ikke.", headers=REFUSAL_HEADERS)
        return web.Response(text=page, content_type="text/html", charset="utf-8", headers=REPORT_HEADERS)

    async def freeze_heap(app: web.Application) -> None:
        # Everything loaded at start lives for the process; moving it out of the GC's reach keeps
        # full collections short (they showed as p99 spikes under load).
        gc.collect()
        gc.freeze()

    app.on_startup.append(freeze_heap)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_handler(settings, lambda: app[DATABASE], clock))
    app.router.add_get("/report/{cohort}", report)
    return app


def main() -> int:
    """Read settings, start the server, stop cleanly on SIGINT/SIGTERM."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.log_format)
    try:
        load_content(settings.content_dir)
    except FileErrors as exc:
        print(f"Content error:\n{exc}", file=sys.stderr)
        return 2
    log.info("starting on http://%s:%d (database: %s)", settings.host, settings.port, settings.database_url.split("://")[0])
    try:
        check_listen(settings.host, settings.port)  # before the scheduler or database start
        web.run_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            shutdown_timeout=30,
            print=lambda *_: None,
            access_log=None,
        )
    except StartFailure as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        line = listen_failure(settings.host, settings.port, exc)
        if line is None:
            raise
        print(f"Cannot start: {line}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    # Run the importable module `app`, not this `__main__` copy: bot.web.routes imports app's keys,
    # and keys of a second copy would not match (the tab's start-up then failed with a KeyError).
    import app as _importable

    sys.exit(_importable.main())
