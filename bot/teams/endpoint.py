"""POST /api/messages: checks the request, runs the CloudAdapter, maps every auth failure to 401."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from aiohttp import web
from botbuilder.core import Bot, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.integration.aiohttp.cloud_adapter import serializer_helper
from botbuilder.schema import Activity

from bot.observe.context import begin_turn, current_turn, new_correlation_id, set_correlation_id
from bot.observe.metrics import TURN_SECONDS, TURNS
from bot.teams.shape import activity_problem

log = logging.getLogger(__name__)


class _TurnMarker(Bot):
    """Wraps the bot to know whether a turn began: failures before it are authentication failures."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.started = False

    async def on_turn(self, context: TurnContext) -> None:
        self.started = True
        await self.bot.on_turn(context)


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _outcome(status: int, failed: bool) -> str:
    """The outcome label of a turn: ok, error (the person got the apology, or a 5xx), unauthorized or rejected."""
    if failed or status >= 500:
        return "error"
    if status == 401:
        return "unauthorized"
    return "rejected" if status >= 400 else "ok"


async def handle_messages(request: web.Request, adapter: CloudAdapter, bot: Bot, max_body: int) -> web.StreamResponse:
    """One POST /api/messages: its turn under a correlation id, counted and timed for /metrics."""
    started = time.perf_counter()
    # every log line of the turn (and the sends it queues) carries one id; the activity's own id
    # when it has one (a shape error is answered before the id is read: a fresh one then)
    set_correlation_id(new_correlation_id())
    record = begin_turn()
    status = 500
    try:
        response = await _handle(request, adapter, bot, max_body)
        status = response.status
        return response
    finally:
        TURNS.labels(record.route or record.kind or "invalid", _outcome(status, record.failed)).inc()
        TURN_SECONDS.observe(time.perf_counter() - started)


async def _handle(request: web.Request, adapter: CloudAdapter, bot: Bot, max_body: int) -> web.StreamResponse:
    """Validate the request shape, then hand it to botbuilder; never a 500 for bad input or auth."""
    if request.content_length is not None and request.content_length > max_body:
        return _problem(413, f"body larger than {max_body} bytes")
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _problem(415, "expected Content-Type: application/json")
    try:
        body = await request.read()  # the app's client_max_size caps this
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, f"body larger than {max_body} bytes")
    if len(body) > max_body:
        return _problem(413, f"body larger than {max_body} bytes")
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        return _problem(400, "body is not valid JSON")
    if not isinstance(payload, dict):
        return _problem(400, "body must be a JSON object (an Activity)")
    problem = activity_problem(payload)
    if problem is not None:
        return _problem(400, f"body is not a valid Activity: {problem}")
    try:
        activity = Activity().deserialize(payload)
    except Exception:  # msrest raises several types for wrong field types
        return _problem(400, "body is not a valid Activity")
    if not activity.type or not isinstance(activity.type, str):
        return _problem(400, "Activity has no type")
    if activity.conversation is None or not activity.service_url:
        return _problem(400, "Activity lacks conversation or serviceUrl")
    if isinstance(activity.id, str) and activity.id:
        set_correlation_id(activity.id)
    turn = current_turn()
    if turn is not None:
        turn.kind = activity.type[:40]  # the label when no table names a route

    marker = _TurnMarker(bot)
    try:
        # What CloudAdapter.process does, minus its second read, parse and msrest deserialize of the body.
        invoke = await adapter.process_activity(request.headers.get("Authorization", ""), activity, marker.on_turn)
    except (PermissionError, web.HTTPUnauthorized):
        log.warning("request rejected: not authorised")
        return _problem(401, "unauthorized")
    except web.HTTPException:
        raise
    except Exception as exc:
        if not marker.started:
            # botbuilder raises assorted types (jwt errors, KeyError, plain Exception) for bad,
            # expired or foreign tokens; every one of them is an authentication failure.
            log.warning("request rejected: authentication failed (%s)", type(exc).__name__)
            return _problem(401, "unauthorized")
        log.exception("turn failed after it started")
        return _problem(500, "internal error")
    if invoke is not None:
        return web.json_response(data=serializer_helper(invoke.body), status=invoke.status)
    return web.Response(status=201)
