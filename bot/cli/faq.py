"""`python -m bot faq list|edit|withdraw`: a cohort's questions and learned answers (the console's Spørgsmål)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import CliError, print_json, utcnow, with_core
from bot.config import Settings
from bot.services.core import Core
from bot.services.questions.faq import FaqRefused


async def cmd_faq(args: argparse.Namespace, settings: Settings) -> int:
    """List the questions, or edit or withdraw one learned answer, through the same service as the console."""

    async def work(core: Core) -> int:
        try:
            if args.action == "edit":
                row = await core.desk.edit_learned(args.cohort, args.id, args.answer, utcnow())
                print(f"question {row.id}: the learned answer is updated", file=sys.stderr)
            elif args.action == "withdraw":
                row = await core.desk.withdraw_learned(args.cohort, args.id, utcnow())
                print(f"question {row.id}: withdrawn from the FAQ", file=sys.stderr)
            else:
                rows = await core.desk.overview(args.cohort)
                if args.json:
                    print_json([r.as_json() for r in rows])
                else:
                    for r in rows:
                        state = "learned" if r.learned else r.status
                        print(f"{r.id}\t{state}\t{r.asked_at:%Y-%m-%d}\t{r.answered_by}\t{r.text[:80]}")
        except FaqRefused as exc:
            raise CliError(str(exc)) from None
        return 0

    return await with_core(settings, work, publish=False)


def add_parser(sub: Any) -> None:
    """Register `faq list|edit|withdraw`."""
    p = sub.add_parser("faq", help="a cohort's questions and the answers the bot has learned")
    actions = p.add_subparsers(dest="action", required=True)
    lst = actions.add_parser("list", help="open and answered questions, with who answered")
    lst.add_argument("--cohort", required=True)
    lst.add_argument("--json", action="store_true")
    edit = actions.add_parser("edit", help="reword a learned answer (the bot uses it at once)")
    edit.add_argument("--cohort", required=True)
    edit.add_argument("--id", type=int, required=True)
    edit.add_argument("--answer", required=True)
    wd = actions.add_parser("withdraw", help="stop the bot answering with a learned answer")
    wd.add_argument("--cohort", required=True)
    wd.add_argument("--id", type=int, required=True)
    for action in (lst, edit, wd):
        action.set_defaults(func=cmd_faq)
