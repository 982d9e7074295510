"""Issue #16: a server that cannot start says why in one line and exits non-zero, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from bot.config import REPO_ROOT


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python app.py` with a minimal environment until it gives up."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    base.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'ok.db'}", "PORT": str(free_port()), "TICK_SECONDS": "3600"}, **env)
    return subprocess.run([sys.executable, str(REPO_ROOT / "app.py")], cwd=REPO_ROOT, env=base, capture_output=True, text=True, timeout=90)


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Cannot start:")]
    assert len(errors) == 1, result.stderr[-3000:]
    for word in words:
        assert word in errors[0], errors[0]


def test_a_database_path_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = start(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'afile' / 'bot.db'}")
    assert_one_clear_line(result, "database")


def test_an_unreachable_postgresql(tmp_path: Path) -> None:
    port = free_port()
    result = start(tmp_path, DATABASE_URL=f"postgresql://u:p@127.0.0.1:{port}/talentnord")
    assert_one_clear_line(result, "database", f"127.0.0.1:{port}")
    assert ":p@" not in result.stderr  # the password never shows


def test_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = start(tmp_path, PORT=str(port))
    assert_one_clear_line(result, str(port))


def test_an_unresolvable_host(tmp_path: Path) -> None:
    result = start(tmp_path, HOST="no-such-host.invalid", ALLOW_ANONYMOUS="1")
    assert_one_clear_line(result, "no-such-host.invalid")
