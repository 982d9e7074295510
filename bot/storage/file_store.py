"""Where an uploaded file's bytes live, behind one interface: the database (the default) or a configured directory."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.file_tables import FileBlob

log = logging.getLogger(__name__)


class FileStore(Protocol):
    """Puts, gets and drops a file's bytes by its id; the database backend writes in the caller's transaction."""

    backend: str

    async def put(self, session: AsyncSession, file_id: int, data: bytes) -> None:
        """Store the bytes (in the session's transaction where the backend has one)."""

    async def get(self, session: AsyncSession, file_id: int) -> bytes | None:
        """The bytes, or None when they are gone."""

    async def discard(self, file_id: int) -> None:
        """Drop the bytes kept outside the database (called after the row's delete is committed)."""


class DatabaseStore:
    """Bytes in file_blobs: every replica of a PostgreSQL deployment reads the same, and a failed upload leaves nothing."""

    backend = "db"

    async def put(self, session: AsyncSession, file_id: int, data: bytes) -> None:
        """Add the blob row to the caller's transaction."""
        session.add(FileBlob(file_id=file_id, data=data))

    async def get(self, session: AsyncSession, file_id: int) -> bytes | None:
        """The blob's bytes."""
        blob = await session.get(FileBlob, file_id)
        return bytes(blob.data) if blob is not None else None

    async def discard(self, file_id: int) -> None:
        """Nothing to do: the blob goes with its row (ON DELETE CASCADE)."""


class DirectoryStore:
    """Bytes in FILE_STORAGE_DIR as <id>.bin: the uploaded name never becomes a path (a shared volume for replicas)."""

    backend = "dir"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, file_id: int) -> Path:
        return self.root / f"{int(file_id)}.bin"

    async def put(self, session: AsyncSession, file_id: int, data: bytes) -> None:
        """Write atomically (a temporary file renamed into place); the caller removes it if its commit fails."""
        await asyncio.to_thread(self._write, file_id, data)

    def _write(self, file_id: int, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self._path(file_id))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, session: AsyncSession, file_id: int) -> bytes | None:
        """The file's bytes, None when it is missing."""
        try:
            return await asyncio.to_thread(self._path(file_id).read_bytes)
        except FileNotFoundError:
            log.warning("file %d has a row but no bytes in the storage directory", file_id)
            return None

    async def discard(self, file_id: int) -> None:
        """Remove the file (already gone is fine)."""
        await asyncio.to_thread(self._path(file_id).unlink, missing_ok=True)


def file_store(directory: Path | None) -> FileStore:
    """The configured store: a directory when FILE_STORAGE_DIR is set, else the database."""
    return DirectoryStore(directory) if directory is not None else DatabaseStore()
