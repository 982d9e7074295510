"""Failures to start that are the operator's to fix, said in one line (no traceback)."""

from __future__ import annotations

import errno
import socket

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.storage.db import Database
from bot.storage.models import Cohort

# What a database that cannot be opened or reached raises on the first connection.
DATABASE_FAILURES = (OSError, SQLAlchemyError, TimeoutError)


class StartFailure(Exception):
    """The server cannot start; the message is the one line to show."""


def _where(url: str) -> str:
    """The database's address without its password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "DATABASE_URL"
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database or ':memory:'}"
    return f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def _reason(exc: BaseException) -> str:
    """The root cause's own words, in one line."""
    cause = getattr(exc, "orig", None) or exc
    if isinstance(cause, (FileExistsError, NotADirectoryError)):
        return "a part of its path is a file, not a folder"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


def database_failure(url: str, exc: BaseException) -> StartFailure:
    """The database cannot be opened or reached (a path under a file, a server that is down …)."""
    return StartFailure(f"the database ({_where(url)}) cannot be opened: {_reason(exc)} (check DATABASE_URL)")


def listen_failure(host: str, port: int, exc: OSError) -> str | None:
    """The one line for a HOST/PORT the server cannot listen on, or None for anything else."""
    if isinstance(exc, socket.gaierror):
        return f"HOST {host!r} cannot be resolved: {exc.strerror or exc} (check HOST)"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use by another program (check PORT)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"HOST {host!r} is not an address of this machine (check HOST)"
    if exc.errno == errno.EACCES:
        return f"no permission to listen on {host}:{port} (ports below 1024 need privileges; check PORT)"
    return None


def check_listen(host: str, port: int) -> None:
    """Resolve HOST and bind each of its addresses once, before anything else starts (else StartFailure)."""
    try:
        addresses = {info[4][:2]: info[0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)}
        for address, family in addresses.items():
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
                probe.bind(address)
    except OSError as exc:
        line = listen_failure(host, port, exc)
        raise StartFailure(line or f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


async def refuse_tenantless_cohorts(db: Database, app_type: str) -> None:
    """A MultiTenant bot serves only cohorts bound to a tenant (else StartFailure naming the others)."""
    if app_type != "MultiTenant":
        return
    async with db.sessions() as session:
        keys = list(await session.scalars(select(Cohort.key).where(Cohort.tenant_id.is_(None)).order_by(Cohort.key)))
    if keys:
        raise StartFailure(
            f"MicrosoftAppType=MultiTenant, but cohort(s) {', '.join(keys)} have no tenant; any tenant could claim "
            "their people. Re-import each with `python -m bot cohort import FILE --tenant <tenant id>`"
        )
