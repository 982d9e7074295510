"""`python -m bot …`: LEAD's operations from the command line. Data on stdout, logs on stderr."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot.cli import (
    attendance,
    audit,
    broadcast,
    buddies,
    channel,
    cohort,
    content,
    db,
    demo,
    faq,
    files,
    outbox,
    plan,
    privacy,
    report,
    roster,
)
from bot.cli.audit import run_audited
from bot.cli.common import CliError, check_outputs
from bot.config import ConfigError, Settings
from bot.domain.errors import FileErrors
from bot.logsetup import setup_logging
from bot.observe.context import bound, new_correlation_id
from bot.services.cohorts import UnknownCohort

# Each group adds its own sub-parser; the order is the order of `--help`.
COMMAND_GROUPS = (
    db,
    cohort,
    roster,
    content,
    files,
    faq,
    plan,
    broadcast,
    buddies,
    outbox,
    demo,
    report,
    attendance,
    audit,
    privacy,
    channel,
)


def build_parser() -> argparse.ArgumentParser:
    """The command tree; each leaf sets `func`."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Talent Nord companion: operations for LEAD")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 on bad input, 2 on bad settings or usage."""
    args = build_parser().parse_args(argv)
    try:
        check_outputs(args)
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.log_format)
    try:
        # one id for the whole command: the messages it queues log under it when a server sends them
        # (bound, not set: a caller in the same process, such as a test, keeps its own context)
        with bound(new_correlation_id("cli-")):
            return asyncio.run(run_audited(args, settings, args.func))
    except FileErrors as exc:
        print(f"{len(exc.errors)} error(s); nothing was written:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    except UnknownCohort as exc:
        print(f"Error: {exc.operator_text}", file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
