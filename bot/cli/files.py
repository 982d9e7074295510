"""`python -m bot files add|list|remove`: a cohort's uploaded templates and slides (the console's Filer, from a terminal)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, print_json, read_bytes, with_core
from bot.config import Settings
from bot.services.core import Core
from bot.services.files import FileRefused, attachment_label


async def cmd_files(args: argparse.Namespace, settings: Settings) -> int:
    """Add, list or remove one cohort's files through the same service as the console."""

    async def work(core: Core) -> int:
        try:
            if args.action == "add":
                attach = f"nudge:{args.nudge}" if args.nudge else (args.activity or "")
                info = await core.files.add(args.cohort, Path(args.file).name, read_bytes(args.file), title=args.title or "", attach=attach)
                print(
                    f"file {info.id} added: {info.filename} ({info.kind}, {info.size} bytes), {attachment_label(info, core.programme)}",
                    file=sys.stderr,
                )
                if args.json:
                    print_json(info.as_json())
            elif args.action == "remove":
                info = await core.files.remove(args.cohort, args.id)
                print(f"file {info.id} removed: {info.filename}", file=sys.stderr)
            else:
                files = await core.files.of_cohort(args.cohort)
                if args.json:
                    print_json([f.as_json() for f in files])
                else:
                    for f in files:
                        print(f"{f.id}\t{f.kind}\t{f.size}\t{attachment_label(f, core.programme)}\t{f.title}")
        except FileRefused as exc:
            raise CliError(str(exc)) from None
        return 0

    return await with_core(settings, work, publish=False)


def add_parser(sub: Any) -> None:
    """Register `files add|list|remove`."""
    p = sub.add_parser("files", help="a cohort's uploaded files (templates, slides, conversation guides)")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="upload a PDF, DOCX, PPTX or XLSX file to the cohort's library")
    add.add_argument("file")
    add.add_argument("--cohort", required=True)
    add.add_argument("--title", help="what the library shows (default: the file's name)")
    where = add.add_mutually_exclusive_group()
    where.add_argument("--activity", help="attach to an activity (m1) or one of its steps (m1.intro)")
    where.add_argument("--nudge", help="attach to a kind of nudge, e.g. leader-conversation")
    add.add_argument("--json", action="store_true")
    lst = actions.add_parser("list", help="the cohort's files")
    lst.add_argument("--cohort", required=True)
    lst.add_argument("--json", action="store_true")
    rm = actions.add_parser("remove", help="delete one file; its links stop working")
    rm.add_argument("--cohort", required=True)
    rm.add_argument("--id", type=int, required=True)
    for action in (add, lst, rm):
        action.set_defaults(func=cmd_files)
