"""`python -m bot …`: LEAD's operations from the command line. Data on stdout, logs on stderr."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from bot.config import ConfigError, Settings
from bot.content_loader import load_programme
from bot.domain.cohort import parse_cohort
from bot.domain.errors import FileError, FileErrors
from bot.domain.roster import parse_roster
from bot.logsetup import setup_logging
from bot.services import demo
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.yamlfile import load_yaml_file

log = logging.getLogger("talentnord.cli")
Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


class CliError(Exception):
    """A problem to report to the operator with a non-zero exit."""


async def _with_db(settings: Settings, work: Callable[[Database], Awaitable[int]]) -> int:
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        return await work(db)
    finally:
        await db.dispose()


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FileErrors([FileError(path, 0, f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise FileErrors([FileError(path, 0, "is not UTF-8 text")]) from None


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database) -> int:
        log.info("database schema is up to date")
        return 0

    return await _with_db(settings, work)


async def cmd_cohort_import(args: argparse.Namespace, settings: Settings) -> int:
    programme = load_programme(settings.content_dir)
    spec = parse_cohort(load_yaml_file(Path(args.file)), args.file, programme)

    async def work(db: Database) -> int:
        summary = await RosterService(db).import_cohort(spec)
        print(f"cohort {spec.key}: {summary}", file=sys.stderr)
        return 0

    return await _with_db(settings, work)


async def cmd_roster_import(args: argparse.Namespace, settings: Settings) -> int:
    rows = parse_roster(_read_text(args.file), args.file)

    async def work(db: Database) -> int:
        summary = await RosterService(db).import_roster(args.cohort, rows, args.file)
        print(f"roster {args.cohort}: {summary}", file=sys.stderr)
        return 0

    return await _with_db(settings, work)


async def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    programme = load_programme(settings.content_dir)
    print(f"content OK: {len(programme.activities)} activities in {settings.content_dir}", file=sys.stderr)
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    programme = load_programme(settings.content_dir)

    async def work(db: Database) -> int:
        key = await demo.setup_demo(db, programme, settings.timezone)
        print(f"demo cohort {key!r} is ready", file=sys.stderr)
        return 0

    return await _with_db(settings, work)


def build_parser() -> argparse.ArgumentParser:
    """The command tree; each leaf sets `func`."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Talent Nord companion: operations for LEAD")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(func=cmd_db_upgrade)

    cohort = sub.add_parser("cohort", help="cohorts and their calendars").add_subparsers(dest="action", required=True)
    p = cohort.add_parser("import", help="create or update a cohort from YAML")
    p.add_argument("file")
    p.set_defaults(func=cmd_cohort_import)

    roster = sub.add_parser("roster", help="people and roles").add_subparsers(dest="action", required=True)
    p = roster.add_parser("import", help="import people from CSV (email,name,role,organisation,level,leader_email,mentor_email)")
    p.add_argument("file")
    p.add_argument("--cohort", required=True)
    p.set_defaults(func=cmd_roster_import)

    content = sub.add_parser("content", help="the programme in content/").add_subparsers(dest="action", required=True)
    content.add_parser("check", help="check content/ and report errors with file and line").set_defaults(
        func=cmd_content_check
    )

    sub.add_parser("demo", help="create or refresh the demo cohort (dates relative to today)").set_defaults(
        func=cmd_demo
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 on bad input, 2 on bad settings or usage."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    try:
        return asyncio.run(args.func(args, settings))
    except FileErrors as exc:
        print(f"{len(exc.errors)} error(s); nothing was written:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


def print_json(data: Any) -> None:
    """Data for machines: JSON on stdout, nothing else."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
