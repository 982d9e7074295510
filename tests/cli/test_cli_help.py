"""`python -m bot --help`: the help lines COMMAND_GROUPS repeats match what each group registers, and --help imports no group."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

import pytest

from bot import cli
from bot.config import REPO_ROOT


def _registered(group: str) -> dict[str, str]:
    """The top-level commands a group module adds, each with its help line, as its own parser says."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    importlib.import_module(f"bot.cli.{group}").add_parser(sub)
    return {action.dest: action.help or "" for action in sub._choices_actions}


@pytest.mark.parametrize("group", list(cli.COMMAND_GROUPS))
def test_cli_help_lines_match_the_groups(group: str) -> None:
    # the copy in COMMAND_GROUPS is what --help shows without importing the group: it must say what the group says
    assert cli.COMMAND_GROUPS[group] == _registered(group)


def test_full_parser_shows_each_command_with_its_help_line() -> None:
    text = cli.build_parser().format_help()
    for commands in cli.COMMAND_GROUPS.values():
        for name, line in commands.items():
            assert name in text and line.split()[0] in text, name


def test_help_imports_no_command_group() -> None:
    probe = (
        "import json, sys\n"
        "from bot.cli import build_parser\n"
        "try:\n"
        "    build_parser(['--help']).parse_args(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('bot.cli.', 'bot.services', 'sqlalchemy')))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded == ["bot.cli.common"], loaded  # the shared helpers only: no group, no service, no database
