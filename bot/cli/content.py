"""`python -m bot content check|publish|edit|edits`: check content/ with file:line errors, publish its materials, edit a step."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli import content_edits
from bot.cli.common import CliError, with_core
from bot.config import Settings
from bot.content.growth import load_growth_content
from bot.content.materials import load_content
from bot.content.nudges import load_nudges
from bot.content.report import load_report_settings
from bot.services.core import Core
from bot.services.link_guard import PlaceholderLinks


async def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    """Read every content file; FileErrors (exit 1) on any problem, else a one-line summary."""
    programme, materials = load_content(settings.content_dir)
    load_nudges(settings.content_dir, programme)
    load_growth_content(settings.content_dir, programme)  # completion rule and readiness timing
    load_report_settings(settings.content_dir)
    steps = [step for seq in materials.sequences.values() for step in seq.steps]
    placeholders = sum(1 for step in steps if step.is_placeholder)
    for step in steps:
        if step.is_placeholder:
            print(f"warning: {step.activity_key}/{step.topic} still links to the example {step.url}", file=sys.stderr)
    print(
        f"content OK: {len(programme.activities)} activities, {len(steps)} materials in {settings.content_dir}"
        + (f"; {placeholders} link(s) are still example placeholders" if placeholders else ""),
        file=sys.stderr,
    )
    return 0


async def cmd_content_publish(args: argparse.Namespace, settings: Settings) -> int:
    """Publish the materials; changed ones already sent get one update notice."""

    async def work(core: Core) -> int:
        try:
            summary = await core.learning.publish()
        except PlaceholderLinks as exc:
            raise CliError(
                "refused: example links (materialer.example) for activities within 30 days:\n"
                + "\n".join(f"  {line}" for line in exc.links)
            ) from None
        print(f"published: {summary}", file=sys.stderr)
        return 0

    return await with_core(settings, work)


def add_parser(sub: Any) -> None:
    """Register `content check`, `content publish`, `content edit` and `content edits`."""
    content = sub.add_parser("content", help="the programme in content/").add_subparsers(dest="action", required=True)
    content.add_parser("check", help="check content/ and report errors with file and line").set_defaults(func=cmd_content_check)
    content.add_parser("publish", help="publish materials; changed ones already sent get one update notice").set_defaults(
        func=cmd_content_publish
    )
    content_edits.add_parsers(content)
