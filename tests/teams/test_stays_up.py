"""The bot stays up: hostile chat text at the body limit never stalls the event loop."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bot.config import Settings
from tests.fakes.connector import FakeConnector
from tests.support import ANNA, Server, personal_message


def _worst_cases(body: int) -> dict[str, str]:
    """Texts that cost a quadratic pattern the most, each as long as the body limit allows."""
    room = body - 4096  # the activity's other fields
    return {
        "open mentions": "<at>" * (room // 4),
        "open mention then text": "<at>" + "x" * (room - 4),
        "open angles": "<" * room,
        "mention blocks": "<at>a</at>" * (room // 10),
        "broken breaks": "<br" + " " * (room - 3),
        "at angles": "<at><" * (room // 5),
    }


async def _worst_lag(server: Server, activities: list[dict[str, Any]]) -> float:
    """The most CPU time the event loop's thread spent between two runs of a 10 ms ticker while the
    activities were posted: how long one piece of work held the loop.

    CPU time of the loop's thread, not wall time: on a loaded machine the wall clock also counts
    the moments the process waited for a core, which says nothing about the loop being blocked.
    """
    worst, done = 0.0, False

    async def ticker() -> None:
        nonlocal worst
        last = time.thread_time()
        while not done:
            await asyncio.sleep(0.01)
            now = time.thread_time()
            worst, last = max(worst, now - last), now

    task = asyncio.create_task(ticker())
    for activity in activities:
        response = await server.post(activity)
        assert response.status < 500
    status, _ = await server.get("/healthz")
    done = True
    await task
    assert status == 200
    return worst


async def test_worst_case_messages_at_the_body_limit_keep_the_loop_responsive(
    seeded: Any, server: Server, connector: FakeConnector, settings: Settings
) -> None:
    activities = [personal_message(text, connector) for text in _worst_cases(settings.max_body_bytes).values()]
    assert all(len(json.dumps(a)) <= settings.max_body_bytes for a in activities)
    connector.know(activities[0]["from"], ANNA)
    assert await _worst_lag(server, activities) < 1.0
