"""`python -m bot roster import|sync`: people and roles from CSV, and reaching them through Microsoft Graph."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.cli.common import CliError, print_json, read_bytes, with_core, with_db
from bot.config import Settings
from bot.domain.roster import parse_roster
from bot.domain.roster_edit import person_edit
from bot.domain.roster_file import roster_text
from bot.services.cohorts import UnknownCohort
from bot.services.core import Core
from bot.services.roster_edit import EditRefused, RosterEditor, cohort_rows
from bot.services.roster_preview import import_and_replan, preview_roster
from bot.storage.db import Database

if TYPE_CHECKING:
    from bot.services.graph_sync import PersonOutcome

FIELD_OPTIONS = {"role": "--to-role", "level": "--level", "leader": "--leader", "mentor": "--mentor", "person": "--email"}


async def cmd_roster_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import the CSV into an existing cohort (any bad row writes nothing) and replan it."""
    rows = parse_roster(roster_text(read_bytes(args.file), args.file), args.file)

    async def work(core: Core) -> int:
        try:
            if args.dry_run:
                preview = await preview_roster(core.db, core.roster, core.planner, args.cohort, rows, args.file, prune=args.prune)
                for change in preview.changes:
                    print(
                        f"{change.what:<8} {change.role:<10} {change.email:<40} {change.name}"
                        + (f"  – {change.detail}" if change.detail else "")
                    )
                print(f"roster {args.cohort} (dry run, nothing written): {preview.summary}; plan: {preview.plan}", file=sys.stderr)
                return 0
            summary, plan = await import_and_replan(core.roster, core.planner, args.cohort, rows, args.file, prune=args.prune)
        except UnknownCohort as exc:  # the operator's next step, as before
            raise CliError(f"{exc.operator_text}; import its YAML first") from None
        for line in summary.notes:
            print(f"{'removed' if args.prune else 'not in the file'}: {line}", file=sys.stderr)
        if summary.notes and not args.prune:
            print(f"{len(summary.notes)} membership(s) are not in the file and were kept; use --prune to remove them", file=sys.stderr)
        print(f"roster {args.cohort}: {summary}; plan: {plan}", file=sys.stderr)
        return 0

    return await with_core(settings, work)


async def cmd_roster_set(args: argparse.Namespace, settings: Settings) -> int:
    """Edit one person's role, level, leader or mentor through the roster import (the console's twin); --dry-run writes nothing."""
    edit = person_edit(args.person, args.role or "", new_role=args.to_role, level=args.level, leader=args.leader, mentor=args.mentor)

    async def work(core: Core) -> int:
        if not edit.role:  # the membership is the person's only one in the cohort, or --role says which
            roles = sorted({r.role for r in await cohort_rows(core.db, args.cohort) if r.email == edit.email})
            if len(roles) != 1:
                raise CliError(
                    f"{edit.email} has {'no role' if not roles else 'the roles ' + ', '.join(roles)} in {args.cohort}; give --role"
                )
            args_edit = replace(edit, role=roles[0])
        else:
            args_edit = edit
        editor = RosterEditor(core.db, core.roster, core.planner)
        try:
            preview = await editor.preview(args.cohort, args_edit)
            for change in preview.changes:
                print(
                    f"{change.what:<8} {change.role:<10} {change.email:<40} {change.name}"
                    + (f"  – {change.detail}" if change.detail else "")
                )
            if args.dry_run or not preview.changed:
                note = "dry run, nothing written" if args.dry_run else "nothing to change"
                print(f"roster set {args.cohort} ({note}): plan: {preview.plan}", file=sys.stderr)
                return 0
            outcome = await editor.apply(args.cohort, args_edit)
        except EditRefused as exc:
            raise CliError("; ".join(f"{FIELD_OPTIONS.get(k, k)}: {v}" for k, v in exc.fields.items())) from None
        except UnknownCohort as exc:
            raise CliError(exc.operator_text) from None
        print(f"roster set {args.cohort}: {', '.join(outcome.fields)} changed; {outcome.summary}; plan: {outcome.plan}", file=sys.stderr)
        return 0

    return await with_core(settings, work)


async def cmd_roster_sync(args: argparse.Namespace, settings: Settings) -> int:
    """Install the app for everyone through Graph and store their chats; one line (or JSON) per person."""
    # the Graph client (aiohttp, msal) for this command alone: `roster import` is 0.15 s faster without it
    from bot.services.graph_sync import GraphSyncError, check_settings, sync_roster

    try:
        check_settings(settings)  # before the database: a refusal should touch nothing
    except GraphSyncError as exc:
        raise CliError(str(exc)) from None

    def progress(done: int, total: int, person: PersonOutcome) -> None:
        # as it goes, on stderr: a sync of hundreds of people waits on Graph for minutes
        reason = f"  – {person.reason}" if person.reason else ""
        print(f"[{done}/{total}] {person.status:<16} {person.email}{reason}", file=sys.stderr, flush=True)

    async def work(db: Database) -> int:
        try:
            result = await sync_roster(db, settings, args.cohort, progress=progress)
        except GraphSyncError as exc:
            raise CliError(str(exc)) from None
        if args.json:
            print_json(result.as_json())
        else:
            for person in result.people:
                print(f"{person.status:<16} {person.email:<40} {person.name}" + (f"  – {person.reason}" if person.reason else ""))
        print(f"roster sync {args.cohort}: {result.summary()}", file=sys.stderr)
        return 0

    return await with_db(settings, work)


def add_parser(sub: Any) -> None:
    """Register `roster import`, `roster set` and `roster sync`."""
    roster = sub.add_parser("roster", help="people and roles").add_subparsers(dest="action", required=True)
    p = roster.add_parser(
        "import",
        help="import people from CSV (, or ; UTF-8 or Windows-1252) or .xlsx (email,name,role,organisation,level,leader_email,mentor_email)",
    )
    p.add_argument("file")
    p.add_argument("--cohort", required=True)
    p.add_argument("--prune", action="store_true", help="remove the cohort's memberships the file does not list")
    p.add_argument("--dry-run", action="store_true", help="show who is added, changed, removed and the plan rows; write nothing")
    p.set_defaults(func=cmd_roster_import)
    p = roster.add_parser("set", help="edit one person in place: role, level, nearest leader, mentor (checked and re-planned as an import)")
    p.add_argument("--cohort", required=True)
    p.add_argument("--email", dest="person", required=True, help="the person to edit")
    p.add_argument("--role", help="which of their roles to edit, when they have several in the cohort")
    p.add_argument("--to-role", help="their new role")
    p.add_argument("--level", help="leder-af-medarbejdere or leder-af-ledere; '' clears it")
    p.add_argument("--leader", help="their nearest leader's email (a leader of the cohort); '' clears it")
    p.add_argument("--mentor", help="their mentor's email (a mentor of the cohort); '' clears it")
    p.add_argument("--dry-run", action="store_true", help="show what changes, people and plan rows; write nothing")
    p.set_defaults(func=cmd_roster_set)
    p = roster.add_parser("sync", help="reach everyone through Microsoft Graph: install the app, store each 1:1 chat")
    p.add_argument("--cohort", required=True)
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=cmd_roster_sync)
