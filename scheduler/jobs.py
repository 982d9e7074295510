"""Job functions: each takes what it needs and the clock, so tests travel in time."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from datetime import datetime

from bot.observe.context import bound, new_correlation_id
from bot.outbox.sender import Sender
from bot.services.broadcasts import Broadcaster
from bot.services.core import Core
from bot.services.planning import Planner
from bot.storage.trouble import Trouble

log = logging.getLogger(__name__)
# The tick runs every few seconds: a database that fails is logged once, and ticks wait out the pause.
_TICK_TROUBLE: weakref.WeakKeyDictionary[Planner, Trouble] = weakref.WeakKeyDictionary()


async def tick(planner: Planner, sender: Sender | None, clock: Callable[[], datetime], broadcaster: Broadcaster | None = None) -> int:
    """Release every due plan row and scheduled broadcast into the outbox and wake the sender (0 while a failure backs off)."""
    trouble = _TICK_TROUBLE.setdefault(planner, Trouble("plan tick", log))
    if trouble.waiting:
        return 0
    try:
        with bound(new_correlation_id("tick-")):  # the rows it releases are sent under the tick's id
            now = clock()
            released = await planner.release_due(now)
            if broadcaster is not None:  # a scheduled broadcast waits in its row as a plan row does
                released += await broadcaster.release_due(now)
    except Exception as exc:  # the database is down or read-only: the next tick after the pause retries
        trouble.failed(exc)
        return 0
    trouble.ok()
    if released and sender is not None:
        sender.wake()
    return released


async def question_sla(core: Core, sender: Sender | None, clock: Callable[[], datetime]) -> int:
    """One reminder in the instructors' channel for each question open longer than the working-hours limit."""
    with bound(new_correlation_id("sla-")):
        reminded = await core.desk.remind_overdue(clock())
    if reminded and sender is not None:
        sender.wake()
    return reminded


async def daily(core: Core, sender: Sender | None, clock: Callable[[], datetime]) -> dict[str, int]:
    """Daily housekeeping, one step per concern; each step is idempotent for the day it runs on."""
    with bound(new_correlation_id("daily-")):
        return await _daily(core, sender, clock)


async def _daily(core: Core, sender: Sender | None, clock: Callable[[], datetime]) -> dict[str, int]:
    now = clock()
    done: dict[str, int] = {}
    # One gentle reminder for nudges nobody acted on.
    done["nudge_reminders"] = await core.nudging.remind_unacted(now)
    # Erase the personal data of cohorts whose last activity is RETENTION_DAYS ago (logged per cohort).
    done["retention_people"] = sum(r.people_erased for r in await core.privacy.apply_retention(now))
    # Each admin of a running cohort gets the status card, with what is newly wrong since yesterday's first.
    done["status_cards"] = await core.status_cards.send_daily(now)
    if any(done.values()) and sender is not None:
        sender.wake()
    log.info("daily housekeeping: %s", ", ".join(f"{k}={v}" for k, v in done.items()))
    return done


async def link_check(core: Core, clock: Callable[[], datetime]) -> int:
    """Check the material links of the next 30 days and store the answers; the number broken."""
    with bound(new_correlation_id("links-")):
        results = await core.links.run(clock())
    return sum(1 for r in results if not r.ok)
