"""`python -m bot …`: LEAD's operations from the command line. Data on stdout, logs on stderr."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.cli_audit import add_audit_parser, run_audited
from bot.cli_privacy import add_privacy_parser
from bot.cli_questions import add_channel_parser
from bot.config import ConfigError, Settings
from bot.content_loader import load_content, load_nudges, load_programme
from bot.domain.cohort import parse_cohort
from bot.domain.errors import FileError, FileErrors
from bot.domain.ics import plan_to_ics
from bot.domain.roster import normalise_email, parse_roster
from bot.logsetup import setup_logging
from bot.services import demo
from bot.services.broadcasts import BroadcastError
from bot.services.buddies import BuddyError
from bot.services.core import Core, build_core
from bot.services.growth import load_growth_content
from bot.services.report import load_report_settings
from bot.report_html import render_html
from bot.services.graph_sync import GraphSyncError, check_settings, sync_roster
from bot.services.outbox import outbox_status
from bot.services.planning import order_rows, plan_row_json
from bot.services.retention import import_warning
from bot.services.tick_preview import TickPreview, is_simulated_future, preview_release
from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.storage.models import Cohort, OutboxMessage, Person, PlannedDelivery
from bot.yamlfile import load_yaml_file

log = logging.getLogger("talentnord.cli")
Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


class CliError(Exception):
    """A problem to report to the operator with a non-zero exit."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def _with_db(settings: Settings, work: Callable[[Database], Awaitable[int]]) -> int:
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        return await work(db)
    finally:
        await db.dispose()


async def _with_core(settings: Settings, work: Callable[[Core], Awaitable[int]], clock: Callable[[], datetime] = utcnow) -> int:
    """Run with the services wired as in the server; materials published on first use."""

    async def inner(db: Database) -> int:
        core = build_core(db, settings, clock)
        await core.learning.ensure_published()
        return await work(core)

    return await _with_db(settings, inner)


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant; without an offset it is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--now must be an ISO 8601 date-time like 2027-01-04T08:30:00+01:00; got {value!r}") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FileErrors([FileError(path, 0, f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise FileErrors([FileError(path, 0, "is not UTF-8 text")]) from None


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database) -> int:
        log.info("database schema is up to date")
        return 0

    return await _with_db(settings, work)


async def cmd_cohort_import(args: argparse.Namespace, settings: Settings) -> int:
    programme = load_programme(settings.content_dir)
    spec = parse_cohort(load_yaml_file(Path(args.file)), args.file, programme)
    if args.tenant:
        spec = replace(spec, tenant=args.tenant.strip())  # the flag wins over the file's `tenant:`

    async def work(core: Core) -> int:
        summary = await RosterService(core.planner.db).import_cohort(spec)
        plan = await core.planner.replan(spec.key)
        print(f"cohort {spec.key}: {summary}; plan: {plan}", file=sys.stderr)
        warning = import_warning(spec.key, [s.ends_at for s in spec.sessions], utcnow(), core.privacy.policy)
        if warning:
            print(warning, file=sys.stderr)
        return 0

    return await _with_core(settings, work)


async def cmd_roster_import(args: argparse.Namespace, settings: Settings) -> int:
    rows = parse_roster(_read_text(args.file), args.file)

    async def work(core: Core) -> int:
        summary = await RosterService(core.planner.db).import_roster(args.cohort, rows, args.file, prune=args.prune)
        plan = await core.planner.replan(args.cohort)
        for line in summary.notes:
            print(f"{'removed' if args.prune else 'not in the file'}: {line}", file=sys.stderr)
        if summary.notes and not args.prune:
            print(f"{len(summary.notes)} membership(s) are not in the file and were kept; use --prune to remove them", file=sys.stderr)
        print(f"roster {args.cohort}: {summary}; plan: {plan}", file=sys.stderr)
        return 0

    return await _with_core(settings, work)


async def cmd_roster_sync(args: argparse.Namespace, settings: Settings) -> int:
    try:
        check_settings(settings)  # before the database: a refusal should touch nothing
    except GraphSyncError as exc:
        raise CliError(str(exc)) from None

    async def work(db: Database) -> int:
        try:
            result = await sync_roster(db, settings, args.cohort)
        except GraphSyncError as exc:
            raise CliError(str(exc)) from None
        if args.json:
            print_json(result.as_json())
        else:
            for person in result.people:
                print(f"{person.status:<16} {person.email:<40} {person.name}" + (f"  – {person.reason}" if person.reason else ""))
        print(f"roster sync {args.cohort}: {result.summary()}", file=sys.stderr)
        return 0

    return await _with_db(settings, work)


async def cmd_content_publish(args: argparse.Namespace, settings: Settings) -> int:
    async def work(core: Core) -> int:
        summary = await core.learning.publish()
        print(f"published: {summary}", file=sys.stderr)
        return 0

    return await _with_core(settings, work)


async def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    async def work(core: Core) -> int:
        db = core.planner.db
        async with db.sessions() as session:
            cohort = await session.scalar(select(Cohort).where(Cohort.key == args.cohort))
            if cohort is None:
                raise CliError(f"no cohort with key {args.cohort!r}")
            query = (
                select(PlannedDelivery, Person.email, OutboxMessage.status)
                .join(Person, Person.id == PlannedDelivery.person_id)
                .outerjoin(OutboxMessage, OutboxMessage.key == PlannedDelivery.key)
                .where(PlannedDelivery.cohort_id == cohort.id)
            )
            if args.person:
                query = query.where(Person.email == normalise_email(args.person))
            found = (await session.execute(query)).all()
        tz = ZoneInfo(cohort.timezone)
        delivery = {row.id: (email, status) for row, email, status in found}
        rows = order_rows(row for row, _, _ in found)
        items = []
        for row in rows:
            item = plan_row_json(row, *delivery[row.id])
            item["due"] = row.due_at.astimezone(tz).isoformat()
            items.append(item)
        if args.ics:
            Path(args.ics).write_text(plan_to_ics(items, core.programme, cohort.name), encoding="utf-8")
            print(f"wrote {len(items)} event(s) to {args.ics}", file=sys.stderr)
        if args.json:
            print_json(items)
        elif not args.ics:
            for item in items:
                print(f"{item['due']}  {item['status']:<8} {item['kind']:<9} {item['activity'] or '-':<9} {item['topic']:<20} {item['recipient']}")
        return 0

    return await _with_core(settings, work)


async def cmd_tick(args: argparse.Namespace, settings: Settings) -> int:
    real = utcnow()
    now = parse_instant(args.now) if args.now else real

    async def work(core: Core) -> int:
        if is_simulated_future(now, real):  # releasing happens now: a future --now only shows what would go
            print_tick_preview(await preview_release(core.planner.db, now), real)
            return 0
        released = await core.planner.release_due(now, stamp=real)
        held = await core.planner.held_count(now)
        print(f"released {released} row(s) due by {now.isoformat()} into the outbox; {held} waiting for a chat", file=sys.stderr)
        return 0

    return await _with_core(settings, work)


async def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    async def work(core: Core) -> int:
        try:
            result = await core.broadcaster.broadcast(args.cohort, args.text, args.role, sender=args.sender)
        except BroadcastError as exc:
            raise CliError(str(exc)) from None
        print(f"broadcast {result.broadcast_id}: queued for {result.queued} people", file=sys.stderr)
        if result.unreachable:
            print(f"not reachable yet (no 1:1 chat with the bot): {', '.join(result.unreachable)}", file=sys.stderr)
        return 0

    return await _with_core(settings, work)


async def cmd_buddies(args: argparse.Namespace, settings: Settings) -> int:
    async def work(core: Core) -> int:
        try:
            if args.action == "suggest":
                groups = await core.buddies.suggest(args.cohort)
            elif args.action == "set":
                groups = await core.buddies.set(args.cohort, [g.split(",") for g in args.groups])
            else:
                groups = await core.buddies.show(args.cohort)
        except BuddyError as exc:
            raise CliError(str(exc)) from None
        if getattr(args, "json", False):
            print_json(groups)
        else:
            for number, group in enumerate(groups, start=1):
                print(f"{number:>3}  {'  +  '.join(group)}")
        return 0

    return await _with_core(settings, work)


async def cmd_outbox_status(args: argparse.Namespace, settings: Settings) -> int:
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

    return await _with_db(settings, work)


async def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    programme, materials = load_content(settings.content_dir)
    load_nudges(settings.content_dir, programme)
    load_growth_content(settings.content_dir, programme)  # completion rule and readiness timing
    load_report_settings(settings.content_dir)
    steps = [step for seq in materials.sequences.values() for step in seq.steps]
    placeholders = sum(1 for step in steps if step.is_placeholder)
    print(
        f"content OK: {len(programme.activities)} activities, {len(steps)} materials in {settings.content_dir}"
        + (f"; {placeholders} link(s) are still example placeholders" if placeholders else ""),
        file=sys.stderr,
    )
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    async def work(core: Core) -> int:
        key = await demo.setup_demo(core.planner.db, core.programme, settings.timezone)
        await core.planner.replan(key)
        await core.buddies.suggest(key)
        print(f"demo cohort {key!r} is ready", file=sys.stderr)
        return 0

    return await _with_core(settings, work)


async def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    now = parse_instant(args.now) if args.now else utcnow()

    async def work(core: Core) -> int:
        try:
            report = await core.reports.build(args.cohort)
        except LookupError:
            raise CliError(f"no cohort with key {args.cohort!r}") from None
        if args.html:
            Path(args.html).write_text(render_html(report), encoding="utf-8")
            print(f"wrote the report to {args.html}", file=sys.stderr)
        if args.csv:
            Path(args.csv).write_text(core.reports.to_csv(report), encoding="utf-8")
            print(f"wrote the figures to {args.csv}", file=sys.stderr)
        if args.link:
            if not os.environ.get("REPORT_SECRET"):
                print("note: without REPORT_SECRET the link only works for this process, not for the server", file=sys.stderr)
            url, expires = core.reports.link(args.cohort)
            print(url)
        if not (args.html or args.csv or args.link):
            data = core.reports.summary(report, None, None)
            for item in data["headline"]:
                print(f"{item['value']:>6}  {item['title']}")
            for fact in data["facts"]:
                print(f"{fact['title']}: {fact['value']}")
        return 0

    return await _with_core(settings, work, clock=lambda: now)


async def cmd_attendance(args: argparse.Namespace, settings: Settings) -> int:
    async def work(core: Core) -> int:
        try:
            if args.action in ("absent", "present"):
                changed = await core.growth.set_attendance(
                    args.cohort, args.person, args.activity, absent=args.action == "absent", note=args.note or "", recorded_by="cli"
                )
                print(f"{args.person}: {changed} session(s) marked {args.action}", file=sys.stderr)
            statuses = await core.growth.attendance_report(args.cohort)
        except LookupError as exc:
            raise CliError(str(exc).strip("'\"")) from None
        if args.action != "show":
            return 0
        if args.json:
            print_json([
                {"email": t.email, "name": t.name, "status": t.status.state,
                 "absent": [f"{a}.{p}" for a, p in t.status.missed], "remaining": t.status.remaining}
                for t in statuses
            ])
            return 0
        for t in statuses:
            missed = ", ".join(f"{a}.{p}" for a, p in t.status.missed) or "-"
            print(f"{t.status.state:<14} {t.email:<40} absent: {missed}")
        rule = core.growth.content.rule
        print(f"rule: {len(rule.required)} required session(s), {rule.allowed_absences} absence(s) allowed", file=sys.stderr)
        return 0

    return await _with_core(settings, work)


def build_parser() -> argparse.ArgumentParser:
    """The command tree; each leaf sets `func`."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Talent Nord companion: operations for LEAD")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(func=cmd_db_upgrade)

    cohort = sub.add_parser("cohort", help="cohorts and their calendars").add_subparsers(dest="action", required=True)
    p = cohort.add_parser("import", help="create or update a cohort from YAML")
    p.add_argument("file")
    p.add_argument("--tenant", help="the Entra tenant id the cohort belongs to (overrides `tenant:` in the file)")
    p.set_defaults(func=cmd_cohort_import)

    roster = sub.add_parser("roster", help="people and roles").add_subparsers(dest="action", required=True)
    p = roster.add_parser("import", help="import people from CSV (email,name,role,organisation,level,leader_email,mentor_email)")
    p.add_argument("file")
    p.add_argument("--cohort", required=True)
    p.add_argument("--prune", action="store_true", help="remove the cohort's memberships the file does not list")
    p.set_defaults(func=cmd_roster_import)
    p = roster.add_parser("sync", help="reach everyone through Microsoft Graph: install the app, store each 1:1 chat")
    p.add_argument("--cohort", required=True)
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=cmd_roster_sync)

    content = sub.add_parser("content", help="the programme in content/").add_subparsers(dest="action", required=True)
    content.add_parser("check", help="check content/ and report errors with file and line").set_defaults(
        func=cmd_content_check
    )
    content.add_parser("publish", help="publish materials; changed ones already sent get one update notice").set_defaults(
        func=cmd_content_publish
    )

    p = sub.add_parser("plan", help="show a cohort's plan of deliveries")
    p.add_argument("--cohort", required=True)
    p.add_argument("--person", help="only this person's rows (email)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--ics", metavar="FILE", help="write an iCalendar file")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("tick", help="release everything due up to --now into the outbox")
    p.add_argument("--now", help="ISO 8601 instant (default: now)")
    p.set_defaults(func=cmd_tick)

    p = sub.add_parser("broadcast", help="send LEAD's message to a cohort")
    p.add_argument("--cohort", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--role", choices=("talent", "leader", "all"), default="all")
    p.add_argument("--sender", default="LEAD")
    p.set_defaults(func=cmd_broadcast)

    buddies = sub.add_parser("buddies", help="buddy groups").add_subparsers(dest="action", required=True)
    p = buddies.add_parser("suggest", help="pair talents by level and organisation, store and announce")
    p.add_argument("--cohort", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_buddies)
    p = buddies.add_parser("set", help="set the groups yourself: one argument per group, emails joined by commas")
    p.add_argument("--cohort", required=True)
    p.add_argument("groups", nargs="+", metavar="EMAIL,EMAIL[,EMAIL]")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_buddies)
    p = buddies.add_parser("show", help="show the groups")
    p.add_argument("--cohort", required=True)
    p.add_argument("--json", action="store_true", help="a JSON array of arrays of emails")
    p.set_defaults(func=cmd_buddies)

    outbox = sub.add_parser("outbox", help="the outbox of messages").add_subparsers(dest="action", required=True)
    p = outbox.add_parser("status", help="counts per state, oldest pending, failures")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_outbox_status)

    sub.add_parser("demo", help="create or refresh the demo cohort (dates relative to today)").set_defaults(
        func=cmd_demo
    )

    p = sub.add_parser("report", help="the steering group's figures for a cohort (text, HTML page, CSV)")
    p.add_argument("--cohort", required=True)
    p.add_argument("--html", metavar="FILE", help="write the self-contained HTML report")
    p.add_argument("--csv", metavar="FILE", help="write every figure as CSV (section,item,value,target,unit)")
    p.add_argument("--link", action="store_true", help="print a signed link to the report on the server (needs REPORT_SECRET)")
    p.add_argument("--now", help="ISO 8601 instant to report as of (default: now)")
    p.set_defaults(func=cmd_report)

    attendance = sub.add_parser("attendance", help="absences and completion").add_subparsers(dest="action", required=True)
    for action, text in (("absent", "mark a person absent from an activity (m1 = both days, m1.day2 = one day)"),
                         ("present", "take an absence back")):
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
    add_audit_parser(sub)
    add_privacy_parser(sub)
    add_channel_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 on bad input, 2 on bad settings or usage."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    try:
        return asyncio.run(run_audited(args, settings, args.func))
    except FileErrors as exc:
        print(f"{len(exc.errors)} error(s); nothing was written:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into `head`
        return 0


def print_tick_preview(preview: TickPreview, real: datetime) -> None:
    """A dry-run tick: each row it would touch on stdout, the totals and 'nothing written' on stderr."""
    for due, outcome, kind, topic, email in preview.rows:
        print(f"{due.isoformat()}  would {outcome:<8} {kind:<9} {topic:<20} {email}")
    print(
        f"dry run: --now {preview.moment.isoformat()} is later than the real clock ({real.isoformat()}); "
        f"{preview.count('release')} row(s) would be released, {preview.count('skip')} skipped (activity started), "
        f"{preview.count('held')} waiting for a chat; nothing was written",
        file=sys.stderr,
    )


def print_json(data: Any) -> None:
    """Data for machines: JSON on stdout, nothing else."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
