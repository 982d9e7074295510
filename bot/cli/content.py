"""`python -m bot content check|publish|edit|edits`: check content/ with file:line errors, publish its materials, edit a step."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import CliError, print_json, with_core
from bot.config import Settings
from bot.content.growth import load_growth_content
from bot.content.materials import load_content
from bot.content.nudges import load_nudges
from bot.content.report import load_report_settings
from bot.domain.material_edits import FIELD_LABELS_DA, FIELDS, EditInvalid
from bot.services.audit import cli_actor
from bot.services.core import Core
from bot.services.link_guard import PlaceholderLinks
from bot.services.material_edits import EditPreview, MaterialEditor


async def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    """Read every content file; FileErrors (exit 1) on any problem, else a one-line summary."""
    programme, materials = load_content(settings.content_dir)
    load_nudges(settings.content_dir, programme)
    load_growth_content(settings.content_dir, programme)  # completion rule and readiness timing
    load_report_settings(settings.content_dir)
    steps = [step for seq in materials.sequences.values() for step in seq.steps]
    placeholders = sum(1 for step in steps if step.is_placeholder)
    for step in steps:
        if step.is_placeholder:
            print(f"warning: {step.activity_key}/{step.topic} still links to the example {step.url}", file=sys.stderr)
    print(
        f"content OK: {len(programme.activities)} activities, {len(steps)} materials in {settings.content_dir}"
        + (f"; {placeholders} link(s) are still example placeholders" if placeholders else ""),
        file=sys.stderr,
    )
    return 0


async def cmd_content_publish(args: argparse.Namespace, settings: Settings) -> int:
    """Publish the materials; changed ones already sent get one update notice."""

    async def work(core: Core) -> int:
        try:
            summary = await core.learning.publish()
        except PlaceholderLinks as exc:
            raise CliError(
                "refused: example links (materialer.example) for activities within 30 days:\n"
                + "\n".join(f"  {line}" for line in exc.links)
            ) from None
        print(f"published: {summary}", file=sys.stderr)
        return 0

    return await with_core(settings, work)


def _print_preview(preview: EditPreview) -> None:
    """What the change publishes and who gets an 'opdateret materiale' notice, on stderr."""
    if not preview.changed:
        print("no change: the material already reads like that", file=sys.stderr)
    for step in preview.steps:
        print(f"{step.activity_key}/{step.topic} ({step.label}):", file=sys.stderr)
        for label, before, after in step.fields:
            print(f"  {label}: {before!r} -> {after!r}", file=sys.stderr)
        for cohort, names in step.notices.items():
            print(f"  update notice to {len(names)} in {cohort}: {', '.join(names)}", file=sys.stderr)
        for cohort, names in step.unreachable.items():
            print(f"  not reachable yet in {cohort} ({len(names)}): {', '.join(names)}", file=sys.stderr)
    if preview.refused:
        print(preview.refused, file=sys.stderr)


def _step(value: str) -> tuple[str, str]:
    activity, _, topic = value.partition(".") if "." in value else value.partition("/")
    return activity, topic


async def _apply(editor: MaterialEditor, change: Any, dry_run: bool) -> int:
    preview = await editor.preview(change)
    _print_preview(preview)
    if dry_run:
        print("dry run: nothing stored or published", file=sys.stderr)
        return 0
    try:
        summary = await editor.confirm(change)
    except PlaceholderLinks as exc:
        raise CliError(str(exc)) from None
    print(f"published: {summary}", file=sys.stderr)
    return 0


def _invalid(exc: EditInvalid) -> CliError:
    return CliError("\n".join(f"{FIELD_LABELS_DA.get(k, 'Trin')} (--{k}): {v}" for k, v in exc.errors.items()))


async def cmd_content_edit(args: argparse.Namespace, settings: Settings) -> int:
    """Edit one step (the fields named; the rest stay as in force), show the preview, then publish unless --dry-run."""

    async def work(core: Core) -> int:
        editor = MaterialEditor(core.db, core.learning, core.programme)
        given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
        if not given:
            raise CliError("name at least one of --title, --kind, --url, --minutes, --description")
        try:
            change = await editor.edit(args.activity, args.step, given, cli_actor())
        except EditInvalid as exc:
            raise _invalid(exc) from None
        return await _apply(editor, change, args.dry_run)

    return await with_core(settings, work)


async def cmd_content_edits(args: argparse.Namespace, settings: Settings) -> int:
    """List the steps LEAD has edited, or take one back to the file's version (--revert activity.step)."""

    async def work(core: Core) -> int:
        editor = MaterialEditor(core.db, core.learning, core.programme)
        if args.revert:
            activity, topic = _step(args.revert)
            try:
                change = await editor.revert(activity, topic, cli_actor())
            except EditInvalid as exc:
                raise _invalid(exc) from None
            return await _apply(editor, change, args.dry_run)
        edited = [s for s in await editor.steps() if s.edited]
        if args.json:
            print_json(
                [
                    {
                        "activity": s.activity_key,
                        "step": s.topic,
                        "fields": {name: getattr(s.current, name) for name in s.edited},
                        "file": {name: getattr(s.original, name) for name in s.edited},
                        "edited_at": s.edited_at.isoformat() if s.edited_at else None,
                    }
                    for s in edited
                ]
            )
        else:
            for s in edited:
                print(f"{s.activity_key}.{s.topic}\t{', '.join(s.edited)}\t{s.current.title}")
            print(f"{len(edited)} step(s) edited; they win over content/materials.yaml at every publish", file=sys.stderr)
        return 0

    return await with_core(settings, work)


def _add_edit_parsers(content: Any) -> None:
    """Register `content edit` and `content edits` under `content`."""
    edit = content.add_parser("edit", help="edit one material step (wins over materials.yaml at every publish) and publish it")
    edit.add_argument("--activity", required=True, help="the activity key, e.g. kickoff or m1")
    edit.add_argument("--step", required=True, help="intro, article or literature")
    edit.add_argument("--title")
    edit.add_argument("--kind", help="video, podcast, article or literature")
    edit.add_argument("--url", help="an https:// link")
    edit.add_argument("--minutes", help="a whole number of minutes, 1-600")
    edit.add_argument("--description")
    edit.add_argument("--dry-run", action="store_true", help="show what changes and who gets a notice; store nothing")
    edit.set_defaults(func=cmd_content_edit)
    edits = content.add_parser("edits", help="list the edited material steps, or --revert one to the file's version")
    edits.add_argument("--revert", metavar="ACTIVITY.STEP", help="take this step back to content/materials.yaml and publish")
    edits.add_argument("--dry-run", action="store_true", help="with --revert: show the effect; store nothing")
    edits.add_argument("--json", action="store_true")
    edits.set_defaults(func=cmd_content_edits)


def add_parser(sub: Any) -> None:
    """Register `content check`, `content publish`, `content edit` and `content edits`."""
    content = sub.add_parser("content", help="the programme in content/").add_subparsers(dest="action", required=True)
    content.add_parser("check", help="check content/ and report errors with file and line").set_defaults(func=cmd_content_check)
    content.add_parser("publish", help="publish materials; changed ones already sent get one update notice").set_defaults(
        func=cmd_content_publish
    )
    _add_edit_parsers(content)
