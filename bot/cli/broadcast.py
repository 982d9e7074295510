"""`python -m bot broadcast --cohort KEY --text …`: LEAD's message to a cohort's talents, leaders or everyone."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import CliError, with_core
from bot.config import Settings
from bot.services.broadcasts import BroadcastError
from bot.services.core import Core


async def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    """Queue the message for everyone in the role; name those the bot cannot reach yet."""

    async def work(core: Core) -> int:
        try:
            result = await core.broadcaster.broadcast(args.cohort, args.text, args.role, sender=args.sender)
        except BroadcastError as exc:
            raise CliError(str(exc)) from None
        print(f"broadcast {result.broadcast_id}: queued for {result.queued} people", file=sys.stderr)
        if result.unreachable:
            print(f"not reachable yet (no 1:1 chat with the bot): {', '.join(result.unreachable)}", file=sys.stderr)
        return 0

    return await with_core(settings, work)


def add_parser(sub: Any) -> None:
    """Register `broadcast`."""
    p = sub.add_parser("broadcast", help="send LEAD's message to a cohort")
    p.add_argument("--cohort", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--role", choices=("talent", "leader", "all"), default="all")
    p.add_argument("--sender", default="LEAD")
    p.set_defaults(func=cmd_broadcast)
