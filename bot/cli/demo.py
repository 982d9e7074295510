"""`python -m bot demo`: create or refresh the demo cohort (dates relative to today)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import with_core
from bot.config import Settings
from bot.services import demo
from bot.services.core import Core


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Set up the demo cohort, plan it and pair its buddies."""

    async def work(core: Core) -> int:
        key = await demo.setup_demo(core.db, core.programme, settings.timezone)
        await core.planner.replan(key)
        await core.buddies.suggest(key)
        print(f"demo cohort {key!r} is ready", file=sys.stderr)
        return 0

    return await with_core(settings, work)


def add_parser(sub: Any) -> None:
    """Register `demo`."""
    sub.add_parser("demo", help="create or refresh the demo cohort (dates relative to today)").set_defaults(func=cmd_demo)
