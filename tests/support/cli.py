"""The real command line in a subprocess, as LEAD runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.config import REPO_ROOT, Settings


def run_cli(args: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    """The real command line, as LEAD runs it."""
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
