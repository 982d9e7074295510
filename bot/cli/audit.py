"""The audit side of `python -m bot`: every operation recorded (who, what, when), and `audit` to read it back."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.cli.common import Command, command_scope, print_json, with_db
from bot.config import Settings
from bot.content.yamlfile import load_yaml_file
from bot.domain.roster import normalise_email
from bot.services.audit import cli_actor, read_audit, record_audit
from bot.storage.db import Database
from bot.storage.models import Person

log = logging.getLogger("talentnord.cli")

# Commands that change nothing and show no personal data, or that read the log itself.
NOT_AUDITED = {("db", "upgrade"), ("content", "check"), ("audit", None)}
# Command groups that write their own audit rows inside their transaction (they alone know the target).
RECORDS_ITSELF = {"privacy"}
# Commands whose names read better under another action name; the rest become "<command>.<action>".
ACTION_NAMES = {
    ("plan", None): "plan.export",
    ("tick", None): "plan.tick",
    ("broadcast", None): "broadcast",
    ("roster", "set"): "roster.edit",  # the console's name for the same edit
    ("demo", None): "demo.setup",
    ("report", None): "report.export",
}


def action_name(args: argparse.Namespace) -> str:
    """The audit action for a parsed command line, e.g. roster.import."""
    key = (args.command, getattr(args, "action", None))
    return ACTION_NAMES.get(key) or ".".join(part for part in key if part)


async def _person_ref(db: Database, email: str | None) -> str:
    """A person named on the command line as person:<id>, so the log holds no email."""
    if not email:
        return "all"
    async with db.sessions() as session:
        person_id = await session.scalar(select(Person.id).where(Person.email == normalise_email(email)))
    return f"person:{person_id}" if person_id is not None else "unknown person"


def _cohort_in_file(path: str) -> str | None:
    """The key a cohort YAML file declares, if it can be read."""
    try:
        data = load_yaml_file(Path(path))
    except Exception:  # a broken file is reported by the command itself
        return None
    key = data.get("key") if isinstance(data, dict) else None
    return key if isinstance(key, str) else None


async def describe(args: argparse.Namespace, db: Database) -> tuple[str | None, str]:
    """The cohort and a target description of a command line, without texts or emails."""
    a: dict[str, Any] = vars(args)
    cohort = a.get("cohort")
    parts: list[str] = []
    if a.get("file"):
        parts.append(f"file {Path(a['file']).name}")
        if args.command == "cohort":
            cohort = _cohort_in_file(a["file"])
    if a.get("tenant"):
        parts.append(f"tenant {a['tenant']}")
    if "person" in a:
        parts.append(await _person_ref(db, a.get("person")))
    if a.get("activity"):
        parts.append(f"activity {a['activity']}")
    if args.command == "broadcast":
        parts.append(f"role {a.get('role')}, {len(a.get('text') or '')} characters")  # the length, never the text
        if a.get("at"):
            parts.append(f"at {a['at']}")
        if a.get("cancel") is not None:
            parts.append(f"broadcast {a['cancel']}")
    if a.get("groups"):
        parts.append(f"{len(a['groups'])} group(s)")
    for flag in ("json", "ics", "html", "csv", "link"):
        if a.get(flag):
            parts.append(flag)
    if a.get("now"):
        parts.append(f"as of {a['now']}")
    return cohort, ", ".join(parts)


async def record_cli(args: argparse.Namespace, settings: Settings, outcome: str) -> None:
    """Write the audit row for one command line (an error here is logged, never raised)."""

    async def write(db: Database) -> None:
        cohort, target = await describe(args, db)
        await record_audit(db, actor=cli_actor(), action=action_name(args), outcome=outcome, cohort_key=cohort, target=target)

    try:
        await with_db(settings, write)  # the command's own database, when it opened one (command_scope)
    except Exception as exc:  # the command's own outcome stands; the missing row is reported loudly
        log.error("could not write the audit entry for %s: %s", action_name(args), type(exc).__name__)


async def run_audited(args: argparse.Namespace, settings: Settings, run: Command) -> int:
    """Run one command and record it: allowed when it succeeded, failed when it did not."""
    key = (args.command, getattr(args, "action", None))
    async with command_scope():
        if key in NOT_AUDITED or args.command in RECORDS_ITSELF:
            return await run(args, settings)
        outcome = "failed"
        try:
            code = await run(args, settings)
            outcome = "allowed" if code == 0 else "failed"
            return code
        finally:
            await record_cli(args, settings, outcome)


async def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """`audit --cohort KEY [--json]`: the cohort's audit log, oldest first."""
    rows = await with_db(settings, lambda db: read_audit(db, args.cohort, limit=args.limit))
    if args.json:
        print_json([row.as_json() for row in rows])
        return 0
    for row in rows:
        print(f"{row.at.isoformat(timespec='seconds')}  {row.outcome:<8} {row.actor:<20} {row.action:<20} {row.target}")
    return 0


def add_parser(sub: Any) -> None:
    """Register `audit` on the command tree."""
    p = sub.add_parser("audit", help="who did which admin action when, for a cohort (never message contents)")
    p.add_argument("--cohort", required=True)
    p.add_argument("--limit", type=int, default=1000, help="at most this many of the newest rows (default 1000)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_audit)
