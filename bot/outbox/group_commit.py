"""GroupCommit: the sender's outcomes written in groups, one transaction per group, each caller waiting for its own."""

from __future__ import annotations

import asyncio

from sqlalchemy import Executable

from bot.storage.db import Database


class GroupCommit:
    """Writes the outcomes of many sends in one transaction: one writer, one commit per group.

    A commit per row from many concurrent tasks makes SQLite writers queue on its lock (and
    its busy handler sleeps), so outcomes fall behind the sends — at a few hundred per second
    far enough for leases to run out and rows to be sent twice. Each caller still waits until
    its own statements are committed.
    """

    def __init__(self, db: Database, max_group: int = 500) -> None:
        self.db = db
        self.max_group = max_group
        self._waiting: list[tuple[tuple[Executable, ...], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, *statements: Executable) -> None:
        """Run these statements in the next group's transaction; returns once that is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((statements, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self._waiting:
            await asyncio.sleep(0)  # let the rows finishing together join this group
            group, self._waiting = self._waiting[: self.max_group], self._waiting[self.max_group :]
            try:
                await self._commit([statement for statements, _ in group for statement in statements])
            except asyncio.CancelledError:
                for _, future in group + self._waiting:
                    future.cancel()
                self._waiting = []
                raise
            except Exception:
                # one bad statement must not fail the others: write them one caller at a time
                for statements, future in group:
                    try:
                        await self._commit(list(statements))
                    except Exception as exc:
                        _settle(future, exc)
                    else:
                        _settle(future, None)
            else:
                for _, future in group:
                    _settle(future, None)

    async def _commit(self, statements: list[Executable]) -> None:
        async with self.db.sessions() as session, session.begin():
            for statement in statements:
                await session.execute(statement)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled; its write still happened (or failed) here
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
