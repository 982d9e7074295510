"""`python -m bot cohort import FILE [--tenant T]` and `cohort check --cohort KEY [--json] [--check-links]`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, print_json, utcnow, with_core
from bot.config import Settings
from bot.content.cohort import load_cohort
from bot.content.programme import load_programme
from bot.domain.errors import FileError, FileErrors
from bot.services.cohorts import UnknownCohort
from bot.services.core import Core
from bot.services.retention import import_warning


async def cmd_cohort_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import the file (every error listed, nothing written on any) and replan the cohort."""
    spec = load_cohort(Path(args.file), load_programme(settings.content_dir))
    if args.tenant:
        spec = replace(spec, tenant=args.tenant.strip())  # the flag wins over the file's `tenant:`
    if settings.app_type == "MultiTenant" and not spec.tenant:
        # Without a tenant the first tenant whose lookup finds a rostered email could claim that person.
        raise FileErrors(
            [
                FileError(
                    args.file,
                    1,
                    "tenant: is required when the bot is MultiTenant "
                    "(MicrosoftAppType=MultiTenant); add `tenant: <tenant id>` or pass --tenant",
                )
            ]
        )
    for warning in spec.warnings:
        print(f"warning: {warning}", file=sys.stderr)

    async def work(core: Core) -> int:
        before = await core.planner.calendar_state(spec.key)
        summary = await core.roster.import_cohort(spec)
        # a calendar change of some activities re-plans only their rows (bot/services/plan_scope.py)
        plan = await core.planner.replan_after_import(spec.key, before)
        print(f"cohort {spec.key}: {summary}; plan: {plan}", file=sys.stderr)
        warning = import_warning(spec.key, [s.ends_at for s in spec.sessions], utcnow(), core.privacy.policy)
        if warning:
            print(warning, file=sys.stderr)
        return 0

    return await with_core(settings, work)


async def cmd_cohort_check(args: argparse.Namespace, settings: Settings) -> int:
    """'Klar til start?': list what is not ready; exit 1 when something reaching participants soon is wrong."""

    async def work(core: Core) -> int:
        try:
            if args.check_links:  # now, in this process; otherwise the last background check's answers are shown
                cohort_id = await core.health.cohort_id(args.cohort)
                checked = await core.links.run(utcnow(), cohort_id)
                print(f"links checked: {len(checked)}, broken: {sum(1 for r in checked if not r.ok)}", file=sys.stderr)
            health = await core.health.check(args.cohort, utcnow())
        except UnknownCohort as exc:
            raise CliError(exc.operator_text) from None
        if args.json:
            print_json(health.as_json())
        else:
            for item in health.items:
                print(f"{'FAIL' if item.urgent else 'note'}  {item.title} – {item.todo}")
                for detail in item.details:
                    print(f"        {detail}")
        if health.links_checked is not None:
            print(f"material links last checked {health.links_checked.isoformat(timespec='minutes')}", file=sys.stderr)
        if health.links_unchecked:
            print(f"{health.links_unchecked} material links not checked yet (--check-links checks them now)", file=sys.stderr)
        print(f"cohort {health.cohort_key}: {'ready' if health.ready else 'not ready'}", file=sys.stderr)
        return 0 if health.ready else 1

    return await with_core(settings, work, publish=False)


def add_parser(sub: Any) -> None:
    """Register `cohort import` and `cohort check`."""
    cohort = sub.add_parser("cohort", help="cohorts and their calendars").add_subparsers(dest="action", required=True)
    p = cohort.add_parser("import", help="create or update a cohort from YAML")
    p.add_argument("file")
    p.add_argument("--tenant", help="the Entra tenant id the cohort belongs to (overrides `tenant:` in the file)")
    p.set_defaults(func=cmd_cohort_import)
    p = cohort.add_parser("check", help="'Klar til start?': what is not ready yet (exit 1 when it blocks the start)")
    p.add_argument("--cohort", required=True)
    p.add_argument("--json", action="store_true", help="print the items as JSON")
    p.add_argument(
        "--check-links", action="store_true", help="check the material links of the next 30 days now (else: the last background check)"
    )
    p.set_defaults(func=cmd_cohort_check)
