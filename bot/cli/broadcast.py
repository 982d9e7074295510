"""`python -m bot broadcast --cohort KEY --text … [--at TIME]`: LEAD's message to a cohort, now or at a local time; --list, --cancel."""

from __future__ import annotations

import argparse
import sys
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli.common import CliError, print_json, with_core
from bot.config import Settings
from bot.domain.send_time import SendTimeError, local_label, parse_send_time
from bot.services.broadcast_view import scheduled_and_recent
from bot.services.broadcasts import BroadcastError
from bot.services.cohorts import get_cohort
from bot.services.core import Core


async def _zone(core: Core, cohort_key: str) -> ZoneInfo:
    async with core.db.sessions() as session:
        return ZoneInfo((await get_cohort(session, cohort_key)).timezone)


async def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    """Queue the message for everyone in the role (now, or stored for --at); or list or cancel scheduled ones."""
    # The audit row names the action taken: broadcast, broadcast.schedule, broadcast.cancel or broadcast.list
    args.action = "cancel" if args.cancel is not None else "list" if args.list else "schedule" if args.at else None
    if args.action is None and args.text is None:
        raise CliError("--text is required (or --list, or --cancel ID)")

    async def work(core: Core) -> int:
        tz = await _zone(core, args.cohort)
        try:
            if args.list:
                items = await scheduled_and_recent(core.db, args.cohort, recent=args.recent)
                if args.json:
                    print_json([{"id": b.id, "at": b.at.isoformat(), "role": b.role, "state": b.state, "people": b.people} for b in items])
                for b in [] if args.json else items:
                    print(f"{b.id:>5}  {b.state:<9} {local_label(b.at, tz):<36} {b.role:<7} {b.people:>4}  {b.text[:60]}")
                return 0
            if args.cancel is not None:
                await core.broadcaster.cancel(args.cohort, args.cancel)
                print(f"broadcast {args.cancel}: cancelled; it will not be sent", file=sys.stderr)
                return 0
            if args.at:
                at = parse_send_time(args.at, tz, core.growth.clock())
                broadcast_id = await core.broadcaster.schedule(args.cohort, args.text, args.role, at, sender=args.sender)
                print(f"broadcast {broadcast_id}: scheduled for {local_label(at, tz)} ({at.isoformat()})", file=sys.stderr)
                return 0
            result = await core.broadcaster.broadcast(args.cohort, args.text, args.role, sender=args.sender)
        except (BroadcastError, SendTimeError) as exc:
            raise CliError(str(exc)) from None
        print(f"broadcast {result.broadcast_id}: queued for {result.queued} people", file=sys.stderr)
        if result.unreachable:
            print(f"not reachable yet (no 1:1 chat with the bot): {', '.join(result.unreachable)}", file=sys.stderr)
        return 0

    return await with_core(settings, work)


def add_parser(sub: Any) -> None:
    """Register `broadcast`."""
    p = sub.add_parser("broadcast", help="send LEAD's message to a cohort, now or at a time; list or cancel scheduled ones")
    p.add_argument("--cohort", required=True)
    p.add_argument("--text")
    p.add_argument("--role", choices=("talent", "leader", "all"), default="all")
    p.add_argument("--sender", default="LEAD")
    p.add_argument("--at", help="send at this local time in the cohort's zone, e.g. '2027-01-10 09:00'")
    p.add_argument("--list", action="store_true", help="the scheduled broadcasts, then the last ones sent or cancelled")
    p.add_argument("--recent", type=int, default=5, help="with --list: how many sent or cancelled ones (default 5)")
    p.add_argument("--json", action="store_true", help="with --list: print JSON")
    p.add_argument("--cancel", type=int, metavar="ID", help="cancel this scheduled broadcast before it goes")
    p.set_defaults(func=cmd_broadcast, action=None)
