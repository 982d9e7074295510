"""The HTTP side of operations: an access log line per request, and GET /metrics behind a token or loopback."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.config import Settings, is_loopback
from bot.observe.metrics import HTTP_REQUESTS
from bot.observe.scrape import scrape
from bot.storage.db import Database

access_log = logging.getLogger("talentnord.access")
log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route(request: web.Request) -> str:
    """The route's pattern (/tab/talent/{id}), not the path, so the metric's labels stay few; 'unmatched' for a 404."""
    info = request.match_info
    route = getattr(info, "route", None)
    resource = getattr(route, "resource", None)
    return resource.canonical if resource is not None and getattr(info, "http_exception", None) is None else "unmatched"


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log method, path (never the query: report links carry signatures), status and duration of every request."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        millis = round((time.perf_counter() - started) * 1000, 1)
        HTTP_REQUESTS.labels(request.method, _route(request), str(status)).inc()
        # the handler's context (the turn's correlation id) is visible here: it ran in this task
        access_log.info(
            "%s %s %d %.1fms",
            request.method,
            request.path,
            status,
            millis,
            extra={"method": request.method, "path": request.path, "status": status, "duration_ms": millis},
        )


def metrics_refusal(request: web.Request, settings: Settings) -> web.Response | None:
    """None when the caller may read /metrics, else the 401 or 403 to answer.

    With METRICS_TOKEN set, only `Authorization: Bearer <token>` is let in (from anywhere); without it
    only a loopback peer (the socket's own address: X-Forwarded-For is not believed)."""
    token = settings.metrics_token.reveal()
    if token:
        given = request.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        if not given or scheme.lower() != "bearer":
            return web.Response(status=401, text="metrics need a bearer token\n", headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(value.strip().encode(), token.encode()):
            return web.Response(status=403, text="wrong metrics token\n")
        return None
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    host = peer[0] if isinstance(peer, (tuple, list)) and peer else ""
    if not is_loopback(str(host)):
        return web.Response(status=403, text="metrics are served to loopback only (or set METRICS_TOKEN)\n")
    return None


def metrics_handler(settings: Settings, db: Callable[[], Database], clock: Callable[[], datetime]) -> Handler:
    """GET /metrics: this process's series and the database gauges, in Prometheus' text format."""

    async def metrics(request: web.Request) -> web.StreamResponse:
        refused = metrics_refusal(request, settings)
        if refused is not None:
            return refused
        try:
            body = await scrape(db(), clock())
        except Exception as exc:  # the database is down: say so, and let the scrape's own failure alert
            log.warning("metrics: the database could not be read (%s)", type(exc).__name__)
            return web.Response(status=503, text="database unavailable\n")
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})

    return metrics
