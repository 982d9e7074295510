"""`python -m bot buddies suggest|set|show --cohort KEY`: the cohort's buddy groups."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import CliError, print_json, with_core
from bot.config import Settings
from bot.services.buddies import BuddyError
from bot.services.core import Core


async def cmd_buddies(args: argparse.Namespace, settings: Settings) -> int:
    """Suggest, set or show the groups; print them one per line (or as JSON)."""

    async def work(core: Core) -> int:
        try:
            if args.action == "suggest":
                groups = await core.buddies.suggest(args.cohort)
            elif args.action == "set":
                groups = await core.buddies.set(args.cohort, [g.split(",") for g in args.groups])
            else:
                groups = await core.buddies.show(args.cohort)
        except BuddyError as exc:
            raise CliError(str(exc)) from None
        if getattr(args, "json", False):
            print_json(groups)
        else:
            for number, group in enumerate(groups, start=1):
                print(f"{number:>3}  {'  +  '.join(group)}")
        return 0

    return await with_core(settings, work)


def add_parser(sub: Any) -> None:
    """Register `buddies suggest|set|show`."""
    buddies = sub.add_parser("buddies", help="buddy groups").add_subparsers(dest="action", required=True)
    p = buddies.add_parser("suggest", help="pair talents by level and organisation, store and announce")
    p.add_argument("--cohort", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_buddies)
    p = buddies.add_parser("set", help="set the groups yourself: one argument per group, emails joined by commas")
    p.add_argument("--cohort", required=True)
    p.add_argument("groups", nargs="+", metavar="EMAIL,EMAIL[,EMAIL]")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_buddies)
    p = buddies.add_parser("show", help="show the groups")
    p.add_argument("--cohort", required=True)
    p.add_argument("--json", action="store_true", help="a JSON array of arrays of emails")
    p.set_defaults(func=cmd_buddies)
