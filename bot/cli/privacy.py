"""`python -m bot privacy export|delete --email X`: a person's data as JSON, or erased in one transaction."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, print_json, with_core
from bot.config import Settings
from bot.services.audit import cli_actor
from bot.services.core import Core
from bot.services.privacy import PersonNotFound


def _unknown(email: str, what: str) -> str:
    """The message for an email nobody has."""
    return f"no person with email {email!r}; {what}"


async def cmd_privacy_export(args: argparse.Namespace, settings: Settings) -> int:
    """Everything stored about a person as JSON, to stdout or --out."""

    async def work(core: Core) -> int:
        try:
            data = await core.privacy.export(args.email, actor=cli_actor())
        except PersonNotFound:
            raise CliError(_unknown(args.email, "nothing exported")) from None
        rows = sum(len(v) for v in data["tables"].values())
        if args.out:
            Path(args.out).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            print(f"wrote person {data['person']['id']}'s data ({rows} row(s) besides the person) to {args.out}", file=sys.stderr)
        else:
            print_json(data)
        return 0

    return await with_core(settings, work, publish=False)  # nothing to publish for this


def _confirmed(email: str, counts: dict[str, Any]) -> bool:
    """Ask on the terminal; without one, --yes is required."""
    if not sys.stdin.isatty():
        return False
    listing = ", ".join(f"{name}={n}" for name, n in sorted(counts.items())) or "only the person"
    print(f"This erases {email} for good ({listing}).", file=sys.stderr)
    answer = input("Type the email again to confirm: ")
    return answer.strip().lower() == email.strip().lower()


async def cmd_privacy_delete(args: argparse.Namespace, settings: Settings) -> int:
    """Erase a person in one transaction, after confirmation on the terminal or --yes."""

    async def work(core: Core) -> int:
        privacy = core.privacy
        try:
            if not args.yes and not _confirmed(args.email, await privacy.preview(args.email)):
                raise CliError("not confirmed; nothing was deleted (add --yes to run without asking)")
            result = await privacy.erase(args.email, actor=cli_actor())
        except PersonNotFound:
            raise CliError(_unknown(args.email, "nothing deleted")) from None
        if args.json:
            print_json(result.as_json())
        print(f"erased person {result.person_id}: {result.summary()}", file=sys.stderr)
        return 0

    return await with_core(settings, work, publish=False)  # nothing to publish for this


def add_parser(sub: Any) -> None:
    """The `privacy` command group."""
    privacy = sub.add_parser("privacy", help="a person's personal data: export or erase").add_subparsers(dest="action", required=True)
    p = privacy.add_parser("export", help="everything stored about a person, as JSON")
    p.add_argument("--email", required=True)
    p.add_argument("--out", metavar="FILE", help="write the JSON to FILE instead of stdout")
    p.set_defaults(func=cmd_privacy_export)
    p = privacy.add_parser("delete", help="erase a person in one transaction (FAQ answers stay, anonymised)")
    p.add_argument("--email", required=True)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(func=cmd_privacy_delete)
