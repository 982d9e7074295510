"""`python -m bot attendance absent|present|show`: absences from sessions and each talent's completion status."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import CliError, print_json, with_core
from bot.config import Settings
from bot.services.cohorts import UnknownCohort
from bot.services.core import Core


async def cmd_attendance(args: argparse.Namespace, settings: Settings) -> int:
    """Mark or take back an absence; `show` lists every talent's status against the completion rule."""

    async def work(core: Core) -> int:
        try:
            if args.action in ("absent", "present"):
                changed = await core.growth.set_attendance(
                    args.cohort, args.person, args.activity, absent=args.action == "absent", note=args.note or "", recorded_by="cli"
                )
                print(f"{args.person}: {changed} session(s) marked {args.action}", file=sys.stderr)
            statuses = await core.growth.attendance_report(args.cohort)
        except UnknownCohort:
            raise  # reported like every unknown cohort
        except (LookupError, ValueError) as exc:  # an unknown person or activity, a note too long
            raise CliError(str(exc).strip("'\"")) from None
        if args.action != "show":
            return 0
        if args.json:
            print_json(
                [
                    {
                        "email": t.email,
                        "name": t.name,
                        "status": t.status.state,
                        "absent": [f"{a}.{p}" for a, p in t.status.missed],
                        "remaining": t.status.remaining,
                    }
                    for t in statuses
                ]
            )
            return 0
        for t in statuses:
            missed = ", ".join(f"{a}.{p}" for a, p in t.status.missed) or "-"
            print(f"{t.status.state:<14} {t.email:<40} absent: {missed}")
        rule = core.growth.content.rule
        print(f"rule: {len(rule.required)} required session(s), {rule.allowed_absences} absence(s) allowed", file=sys.stderr)
        return 0

    return await with_core(settings, work)


def add_parser(sub: Any) -> None:
    """Register `attendance absent|present|show`."""
    attendance = sub.add_parser("attendance", help="absences and completion").add_subparsers(dest="action", required=True)
    for action, text in (
        ("absent", "mark a person absent from an activity (m1 = both days, m1.day2 = one day)"),
        ("present", "take an absence back"),
    ):
        p = attendance.add_parser(action, help=text)
        p.add_argument("--cohort", required=True)
        p.add_argument("--person", required=True, metavar="EMAIL")
        p.add_argument("--activity", required=True, metavar="ACTIVITY[.PART]")
        p.add_argument("--note", help="why (kept with the mark)")
        p.set_defaults(func=cmd_attendance)
    p = attendance.add_parser("show", help="each talent's absences and completion status")
    p.add_argument("--cohort", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_attendance)
