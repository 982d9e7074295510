"""Job functions: each takes what it needs and the clock, so tests travel in time."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from bot.delivery.sender import Sender
from bot.services.nudging import Nudging
from bot.services.planning import Planner

log = logging.getLogger(__name__)


async def tick(planner: Planner, sender: Sender | None, clock: Callable[[], datetime]) -> int:
    """Release every due plan row into the outbox and wake the sender."""
    released = await planner.release_due(clock())
    if released and sender is not None:
        sender.wake()
    return released


async def daily(nudging: Nudging, clock: Callable[[], datetime]) -> int:
    """Daily housekeeping: one gentle reminder for nudges nobody acted on."""
    return await nudging.remind_unacted(clock())
