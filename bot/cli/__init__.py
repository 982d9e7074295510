"""`python -m bot …`: LEAD's operations from the command line. Data on stdout, logs on stderr."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from bot.cli.common import CliError, check_outputs
from bot.config import ConfigError, Settings
from bot.domain.errors import FileErrors
from bot.logsetup import setup_logging
from bot.observe.context import bound, new_correlation_id

# Each group module adds its own sub-parsers; the order is the order of `--help`. With each top-level
# command its one-line help, so `--help` lists them all without importing a group (and with it the
# services and tables): a command imports its own group only. test_cli_help_lines_match_the_groups
# holds these lines to what the groups register.
COMMAND_GROUPS: dict[str, dict[str, str]] = {
    "db": {"db": "database schema"},
    "cohort": {"cohort": "cohorts and their calendars"},
    "roster": {"roster": "people and roles"},
    "content": {"content": "the programme in content/"},
    "files": {"files": "a cohort's uploaded files (templates, slides, conversation guides)"},
    "faq": {"faq": "a cohort's questions and the answers the bot has learned"},
    "plan": {"plan": "show a cohort's plan of deliveries", "tick": "release everything due up to --now into the outbox"},
    "broadcast": {"broadcast": "send LEAD's message to a cohort, now or at a time; list or cancel scheduled ones"},
    "buddies": {"buddies": "buddy groups"},
    "outbox": {"outbox": "the outbox of messages"},
    "demo": {"demo": "create or refresh the demo cohort (dates relative to today)"},
    "report": {"report": "the steering group's figures for a cohort (text, HTML page, CSV)"},
    "attendance": {"attendance": "absences and completion"},
    "audit": {"audit": "who did which admin action when, for a cohort (never message contents)"},
    "privacy": {"privacy": "a person's personal data: export or erase"},
    "channel": {"channel": "Teams channels the bot posts to"},
}
GROUP_OF = {command: group for group, commands in COMMAND_GROUPS.items() for command in commands}


class _OnlySome:
    """The sub-parsers' action with add_parser limited to the commands wanted (the rest stay placeholders)."""

    def __init__(self, sub: Any, wanted: set[str]) -> None:
        self._sub = sub
        self._wanted = wanted

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if name not in self._wanted:
            return argparse.ArgumentParser(add_help=False)  # a sibling of the one command run: not built
        return self._sub.add_parser(name, **kwargs)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command tree; each leaf sets `func`. Given argv, only the group of the command it names is imported."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Talent Nord companion: operations for LEAD")
    sub = parser.add_subparsers(dest="command", required=True)
    if argv is None:
        chosen = set(GROUP_OF)
    else:  # the first word that is no option names the command (the top level has no option but -h)
        first = next((a for a in argv if not a.startswith("-")), None)
        chosen = {first} if first in GROUP_OF else set()
    for group, commands in COMMAND_GROUPS.items():
        wanted = chosen & set(commands)
        if wanted:
            module = importlib.import_module(f"bot.cli.{group}")
            module.add_parser(_OnlySome(sub, wanted))
        for name in commands:
            if name not in wanted:  # listed in --help and accepted as a choice, never run
                sub.add_parser(name, help=commands[name], add_help=False)
    return parser


def main(argv: Sequence[str] | None = None, *, short_lived: bool = False) -> int:
    """Run one command; 0 on success, 1 on bad input, 2 on bad settings or usage.

    `short_lived` (python -m bot): the process ends with the command, and collection was off while it
    imported; the imported modules' objects are frozen out of every later collection (and out of the
    one at exit) before collection goes back on for the command's own work."""
    args = build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
    if short_lived:
        gc.freeze()
        gc.enable()
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
    # the audit log's and the cohorts' tables: loaded by a command that runs, not by --help or a usage error
    from bot.cli.audit import run_audited
    from bot.services.cohorts import UnknownCohort

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
