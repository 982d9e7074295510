"""`python -m bot plan|tick`: a cohort's plan of deliveries (text, JSON, iCalendar), and releasing what is due."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.cli.common import JsonArrayOut, parse_instant, print_json_stream, utcnow, with_core
from bot.config import Settings
from bot.domain.ics import plan_to_ics
from bot.domain.roster import normalise_email
from bot.services.cohorts import get_cohort
from bot.services.core import Core
from bot.services.planning import PLAN_COLUMNS, PLAN_ORDER, plan_row_json
from bot.services.tick_preview import TickPreview, is_simulated_future, preview_release
from bot.storage.models import OutboxMessage, Person, PlannedDelivery

STREAM_CHUNK = 1000  # plan rows read and written per step


async def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    """Print (or write as .ics) the cohort's plan rows, due times in the cohort's time zone."""

    async def work(core: Core) -> int:
        async with core.db.sessions() as session:
            cohort = await get_cohort(session, args.cohort)
            tz = ZoneInfo(cohort.timezone)
            # plain rows with the columns plan_row_json reads, in the order they go out, streamed a chunk at a
            # time: no ORM object per plan row and no whole-cohort list, at any cohort size
            query = (
                select(*PLAN_COLUMNS, Person.email, OutboxMessage.status.label("delivery"))
                .join(Person, Person.id == PlannedDelivery.person_id)
                .outerjoin(OutboxMessage, OutboxMessage.key == PlannedDelivery.key)
                .where(PlannedDelivery.cohort_id == cohort.id)
                .order_by(*PLAN_ORDER)
                .execution_options(yield_per=STREAM_CHUNK)
            )
            if args.person:
                query = query.where(Person.email == normalise_email(args.person))
            result = await session.stream(query)
            if args.ics:
                items = [_item(row, tz) async for row in result]
                Path(args.ics).write_text(plan_to_ics(items, core.programme, cohort.name), encoding="utf-8")
                print(f"wrote {len(items)} event(s) to {args.ics}", file=sys.stderr)
                if args.json:
                    print_json_stream(items)
                return 0
            out = JsonArrayOut()
            async for rows in result.partitions():
                chunk = [_item(row, tz) for row in rows]
                if args.json:
                    for item in chunk:
                        out.add(item)
                else:
                    for item in chunk:
                        print(
                            f"{item['due']}  {item['status']:<8} {item['kind']:<9} {item['activity'] or '-':<9} "
                            f"{item['topic']:<20} {item['recipient']}"
                        )
            if args.json:
                out.close()
        return 0

    return await with_core(settings, work)


def _item(row: Any, tz: ZoneInfo) -> dict[str, Any]:
    item = plan_row_json(row, row.email, row.delivery)
    item["due"] = row.due_at.astimezone(tz).isoformat()
    return item


async def cmd_tick(args: argparse.Namespace, settings: Settings) -> int:
    """Move every plan row due by --now (default now) into the outbox; a future --now is a dry run."""
    real = utcnow()
    now = parse_instant(args.now) if args.now else real

    async def work(core: Core) -> int:
        if is_simulated_future(now, real):  # releasing happens now: a future --now only shows what would go
            print_tick_preview(await preview_release(core.db, now), real)
            return 0
        released = await core.planner.release_due(now, stamp=real)
        held = await core.planner.held_count(now)
        print(f"released {released} row(s) due by {now.isoformat()} into the outbox; {held} waiting for a chat", file=sys.stderr)
        messages = await core.broadcaster.release_due(now)  # scheduled broadcasts wait as plan rows do
        if messages:
            print(f"released scheduled broadcast(s): {messages} message(s) queued", file=sys.stderr)
        return 0

    return await with_core(settings, work)


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


def add_parser(sub: Any) -> None:
    """Register `plan` and `tick`."""
    p = sub.add_parser("plan", help="show a cohort's plan of deliveries")
    p.add_argument("--cohort", required=True)
    p.add_argument("--person", help="only this person's rows (email)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--ics", metavar="FILE", help="write an iCalendar file")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("tick", help="release everything due up to --now into the outbox")
    p.add_argument("--now", help="ISO 8601 instant (default: now)")
    p.set_defaults(func=cmd_tick)
