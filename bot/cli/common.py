"""What every `python -m bot` command shares: the error to report, JSON output, the clock, and the wiring."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from json.encoder import encode_basestring as _string  # the C escaper json.dumps uses with ensure_ascii=False
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.config import Settings
from bot.domain.errors import FileError, FileErrors

if TYPE_CHECKING:  # imported where a command runs: `--help` and argument errors load no service or table
    from bot.services.core import Core
    from bot.storage.db import Database

T = TypeVar("T")
# A command: parsed arguments and settings in, exit code out.
Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


class CliError(Exception):
    """A problem to report to the operator with a non-zero exit."""


def utcnow() -> datetime:
    """The real clock (commands with --now pass their own)."""
    return datetime.now(UTC)


_SCALARS = (str, int, float, bool, type(None))


def indented(item: Any) -> str:
    """json.dumps(item, ensure_ascii=False, indent=2), written directly for a flat object of scalars.

    With an indent the json module encodes in pure Python (its C encoder serves no indent only), about
    50 µs a plan row; an operator's `plan --json` of 84 000 rows spent most of its time there. A flat
    object's lines are its keys and scalars, each encoded by the C string escaper or as json.dumps does."""
    if not isinstance(item, dict) or not item or not all(isinstance(k, str) and isinstance(v, _SCALARS) for k, v in item.items()):
        return json.dumps(item, ensure_ascii=False, indent=2)
    return "{\n" + ",\n".join(f"  {_string(k)}: {_scalar(v)}" for k, v in item.items()) + "\n}"


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    return json.dumps(value)  # a float: json's own repr, NaN and Infinity included


def print_json(data: Any) -> None:
    """Data for machines: JSON on stdout, nothing else."""
    if not isinstance(data, list) or not data:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    # A long list (a cohort's plan) element by element, the same text as one json.dumps(indent=2): bounded
    # memory, and a write per batch instead of one per token as json.dump makes with an indent.
    # An element's text has no raw newline inside a string, so indenting it is a replace.
    out = sys.stdout
    out.write("[\n")
    last = len(data) - 1
    for start in range(0, len(data), 500):
        out.write(
            "".join(
                "  " + indented(item).replace("\n", "\n  ") + (",\n" if i < last else "\n")
                for i, item in enumerate(data[start : start + 500], start)
            )
        )
    out.write("]\n")


class JsonArrayOut:
    """A JSON array on stdout written element by element: the same text as print_json of the whole list."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, item: Any) -> None:
        """One more element."""
        sys.stdout.write(("[\n  " if not self.count else ",\n  ") + indented(item).replace("\n", "\n  "))
        self.count += 1

    def close(self) -> None:
        """The closing bracket (`[]` when nothing was added)."""
        sys.stdout.write("[]\n" if not self.count else "\n]\n")


def print_json_stream(items: Iterable[Any]) -> None:
    """A JSON array written as `items` yields them: the text print_json(list(items)) writes."""
    out = JsonArrayOut()
    for item in items:
        out.add(item)
    out.close()


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant; without an offset it is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--now must be an ISO 8601 date-time like 2027-01-04T08:30:00+01:00; got {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


OUTPUT_OPTIONS = ("html", "csv", "ics", "out")  # every option that names a file a command writes


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse an output file whose folder is missing (or is a file) before anything runs or is written."""
    for option in OUTPUT_OPTIONS:
        value = getattr(args, option, None)
        if not value:
            continue
        folder = Path(value).parent
        if not folder.is_dir():
            raise CliError(f"--{option} {value}: the folder {folder} does not exist; create it first")
        if Path(value).is_dir():
            raise CliError(f"--{option} {value}: is a folder, not a file")


def read_text(path: str) -> str:
    """A UTF-8 file's text; FileErrors naming the file when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FileErrors([FileError(path, 0, f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise FileErrors([FileError(path, 0, "is not UTF-8 text")]) from None


def read_bytes(path: str) -> bytes:
    """A file's bytes; FileErrors naming the file when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise FileErrors([FileError(path, 0, f"cannot read: {exc.strerror}")]) from None


# The databases of the command running in this context, by URL: one engine, connection and schema check
# serve all of the command's with_db calls and its audit row (command_scope closes them at its end).
_COMMAND_DBS: ContextVar[dict[str, Database] | None] = ContextVar("command_dbs", default=None)


@asynccontextmanager
async def command_scope() -> AsyncIterator[None]:
    """Share one Database among the with_db calls inside (a command and its audit row); disposed at the end."""
    opened: dict[str, Database] = {}
    token = _COMMAND_DBS.set(opened)
    try:
        yield
    finally:
        _COMMAND_DBS.reset(token)
        for db in opened.values():
            await db.dispose()


async def with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run with the database alone, its schema brought up to date first (for commands that need no content)."""
    from bot.storage.db import Database

    shared = _COMMAND_DBS.get()
    db = shared.get(settings.database_url) if shared is not None else None
    if db is not None:
        return await work(db)
    db, kept = Database(settings.database_url), False
    try:
        await db.upgrade()
        if shared is not None:  # kept only once its schema is checked: a failed upgrade is tried again
            shared[settings.database_url], kept = db, True
        return await work(db)
    finally:
        if not kept:
            await db.dispose()


async def with_core(
    settings: Settings,
    work: Callable[[Core], Awaitable[int]],
    clock: Callable[[], datetime] = utcnow,
    *,
    publish: bool = True,
) -> int:
    """Run with the services wired as in the server; materials published on first use unless publish is False."""

    from bot.services.core import build_core

    async def inner(db: Database) -> int:
        core = build_core(db, settings, clock)
        if publish:
            await core.ensure_published()
        return await work(core)

    return await with_db(settings, inner)
