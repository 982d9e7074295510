"""`python -m bot report --cohort KEY [--html FILE] [--csv FILE] [--link] [--now ISO]`: the steering group's figures."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import parse_instant, utcnow, with_core
from bot.config import Settings
from bot.services.core import Core


async def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Write the HTML page and/or CSV, print a signed link, or (without flags) the headline figures."""
    now = parse_instant(args.now) if args.now else utcnow()

    async def work(core: Core) -> int:
        report = await core.reports.build(args.cohort)
        if args.html:
            from bot.report.html import render_html  # Jinja2 and the page's template only for the page

            Path(args.html).write_text(render_html(report), encoding="utf-8")
            print(f"wrote the report to {args.html}", file=sys.stderr)
        if args.csv:
            Path(args.csv).write_text(core.reports.to_csv(report), encoding="utf-8")
            print(f"wrote the figures to {args.csv}", file=sys.stderr)
        if args.link:
            if not os.environ.get("REPORT_SECRET"):
                print("note: without REPORT_SECRET the link only works for this process, not for the server", file=sys.stderr)
            url, _expires = core.reports.link(args.cohort)
            print(url)
        if not (args.html or args.csv or args.link):
            data = core.reports.summary(report, None, None)
            for item in data["headline"]:
                print(f"{item['value']:>6}  {item['title']}")
            for fact in data["facts"]:
                print(f"{fact['title']}: {fact['value']}")
        return 0

    return await with_core(settings, work, clock=lambda: now)


def add_parser(sub: Any) -> None:
    """Register `report`."""
    p = sub.add_parser("report", help="the steering group's figures for a cohort (text, HTML page, CSV)")
    p.add_argument("--cohort", required=True)
    p.add_argument("--html", metavar="FILE", help="write the self-contained HTML report")
    p.add_argument("--csv", metavar="FILE", help="write every figure as CSV (section,item,value,target,unit)")
    p.add_argument("--link", action="store_true", help="print a signed link to the report on the server (needs REPORT_SECRET)")
    p.add_argument("--now", help="ISO 8601 instant to report as of (default: now)")
    p.set_defaults(func=cmd_report)
