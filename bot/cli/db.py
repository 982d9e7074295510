"""`python -m bot db upgrade`: bring the database schema up to date."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from bot.cli.common import with_db
from bot.config import Settings
from bot.storage.db import Database

log = logging.getLogger("talentnord.cli")


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Apply every migration (with_db does it); say so."""

    async def work(db: Database) -> int:
        log.info("database schema is up to date")
        return 0

    return await with_db(settings, work)


def add_parser(sub: Any) -> None:
    """Register `db upgrade`."""
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(func=cmd_db_upgrade)
