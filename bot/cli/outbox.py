"""`python -m bot outbox status [--json] [--watch]`: counts per state, the oldest pending row, failures; or follow a broadcast."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.cli.common import CliError, print_json, with_db
from bot.config import Settings
from bot.outbox.status import broadcast_progress, outbox_status
from bot.storage.db import Database


async def cmd_outbox_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the outbox's state (or JSON)."""

    async def work(db: Database) -> int:
        if args.watch:
            return await _watch(db, args)
        status = await outbox_status(db)
        if args.json:
            print_json(status.as_json())
            return 0
        for state, count in status.counts.items():
            print(f"{state:<12} {count}")
        print(f"oldest pending: {status.oldest_pending.isoformat() if status.oldest_pending else '-'} {status.oldest_pending_key or ''}")
        for problem in status.problems:
            print(f"{problem['status']:<12} {problem['recipient'] or '-'}  {problem['key']}  {problem['error'] or ''}")
        return 0

    return await with_db(settings, work)


async def _watch(db: Database, args: argparse.Namespace) -> int:
    """Print the broadcast's progress every interval (and when it changes) until none of its messages waits."""
    last = ""
    while True:
        progress = await broadcast_progress(db, args.broadcast)
        if progress is None:
            raise CliError(f"no broadcast {args.broadcast}" if args.broadcast is not None else "no broadcast has been sent yet")
        line = progress.line()
        if line != last:
            print(line, flush=True)
            last = line
        if progress.waiting == 0:
            return 0
        await asyncio.sleep(args.interval)


def add_parser(sub: Any) -> None:
    """Register `outbox status`."""
    outbox = sub.add_parser("outbox", help="the outbox of messages").add_subparsers(dest="action", required=True)
    p = outbox.add_parser("status", help="counts per state, oldest pending, failures")
    p.add_argument("--json", action="store_true")
    p.add_argument("--watch", action="store_true", help="follow a broadcast (the newest, or --broadcast ID) until every message is out")
    p.add_argument("--broadcast", type=int, help="with --watch: the broadcast's id")
    p.add_argument("--interval", type=float, default=2.0, help="with --watch: seconds between looks (default 2)")
    p.set_defaults(func=cmd_outbox_status)
