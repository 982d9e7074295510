"""`python -m bot outbox status [--json]`: counts per state, the oldest pending row, failures."""
from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import print_json, with_db
from bot.config import Settings
from bot.outbox.status import outbox_status
from bot.storage.db import Database


async def cmd_outbox_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the outbox's state (or JSON)."""

    async def work(db: Database) -> int:
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


def add_parser(sub: Any) -> None:
    """Register `outbox status`."""
    outbox = sub.add_parser("outbox", help="the outbox of messages").add_subparsers(dest="action", required=True)
    p = outbox.add_parser("status", help="counts per state, oldest pending, failures")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_outbox_status)
