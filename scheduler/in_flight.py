"""The scheduler's job runs in flight: at shutdown they finish, or are cut short, while storage is still open."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class JobsInFlight:
    """Tracks the tasks of running jobs, so a stopping server waits for them before closing the database.

    APScheduler's shutdown cancels the jobs that are running (a catch-up tick at start, say): each was
    logged as an ERROR with a CancelledError traceback on every quick restart, and a once-a-day job cut
    that way gave back its claim late or not at all. The server pauses the scheduler, waits here, and
    shuts it down after."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False

    def track(self, job: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T | None]]:
        """`job` as the scheduler should run it: registered while it runs; cut short by stop(), a warning, not an error."""

        @functools.wraps(job)
        async def run(*args: Any, **kwargs: Any) -> T | None:
            task = asyncio.current_task()
            if task is not None:
                self.tasks.add(task)
            try:
                return await job(*args, **kwargs)
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                # its transactions rolled back; the next start's first run catches up what it did not do
                log.warning("job %s cut short by shutdown", job.__name__)
                return None
            finally:
                if task is not None:
                    self.tasks.discard(task)

        return run

    async def stop(self, timeout: float, *, also: tuple[asyncio.Task[Any], ...] = ()) -> None:
        """Wait up to `timeout` s for the running jobs (and `also`), then cut short the jobs still running."""
        self._stopping = True
        waiting = {*self.tasks, *also}
        if waiting:
            await asyncio.wait(waiting, timeout=timeout)
        late = [task for task in self.tasks if not task.done()]
        for task in late:
            task.cancel()
        if late:  # a cut job gives back its claim (job_runs) here, while the database is open
            await asyncio.wait(late, timeout=5)
