"""Start the bot (local mode, SQLite, demo cohort) and the Microsoft 365 Agents Playground beside it.

Used by `python -m playground` (make playground) and by the end-to-end suite (tests/e2e).
Standard library only: the bot runs as its own process, exactly as `make run` starts it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND_CLI = REPO_ROOT / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
CONFIG = REPO_ROOT / "playground" / "m365agentsplayground.yml"
DEFAULT_PLAYGROUND_PORT = 56150
LISTENING = re.compile(r"Listening on (\d+)")


class StackError(RuntimeError):
    """The bot or the Playground did not come up; the message says why and where the log is."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite database with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def bot_env(database_url: str, port: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the bot and `python -m bot …` run with: local mode, this database, the demo cohort."""
    env = dict(os.environ)
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppTenantId"):
        env.pop(name, None)  # local mode: the Playground sends no token
    env.update(
        {
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DEMO_COHORT": "demo",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"({path} was not written)"
    return "\n".join(text.splitlines()[-lines:])


def run_cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in the repo with this environment; raises with its output on failure."""
    done = subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO_ROOT, env=dict(env), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise StackError(f"python -m bot {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    """Stop a process this module started (it leads its own process group), politely, then firmly."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@dataclass
class Stack:
    """The running pair; `stop()` ends both."""

    bot: subprocess.Popen[bytes]
    playground: subprocess.Popen[bytes]
    bot_url: str
    playground_url: str
    env: dict[str, str]
    bot_log: Path
    playground_log: Path
    _files: list[IO[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        stop(self.playground)
        stop(self.bot)
        for handle in self._files:
            handle.close()

    def died(self) -> str | None:
        """Which process has exited, with its log, if any."""
        if self.bot.poll() is not None:
            return f"the bot exited ({self.bot.returncode}); {self.bot_log}:\n{tail(self.bot_log)}"
        if self.playground.poll() is not None:
            return f"the Playground exited ({self.playground.returncode}); {self.playground_log}:\n{tail(self.playground_log)}"
        return None


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"exited ({process.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise StackError(f"{url} did not answer 200 within {timeout:.0f} s")


def start_bot(env: Mapping[str, str], log_path: Path, timeout: float = 60) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """app.py in its own process group, logging to log_path; returns once /healthz answers 200."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")  # noqa: SIM115 - the caller owns it: it stays open as the bot's stdout until stop_bot
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_http(f"http://127.0.0.1:{env['PORT']}/healthz", process, timeout)
    except BaseException as exc:  # including Ctrl-C while waiting: never leave the bot behind
        stop(process)
        log.close()
        if isinstance(exc, StackError):
            raise StackError(f"the bot did not start: {exc}; {log_path}:\n{tail(log_path)}") from None
        raise
    return process, log


def start_playground(
    bot_url: str, port: int, log_path: Path, config: Path = CONFIG, timeout: float = 60
) -> tuple[subprocess.Popen[bytes], int]:
    """The Agents Playground pointed at bot_url, as a Teams (msteams) client, no browser, no telemetry.

    It prints `Listening on <port>` (another port than asked for when that one is taken); its own
    log (and any config error, which it does not print) goes to log_path. Returns once its page
    answers and it is still running."""
    if not PLAYGROUND_CLI.exists():
        raise StackError(f"{PLAYGROUND_CLI.relative_to(REPO_ROOT)} is missing: run `npm ci` in {REPO_ROOT}")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.unlink(missing_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "TEAMSAPPTESTER_BROWSER": "none",
            "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(config),
            "M365_AGENTS_PLAYGROUND_LOGFILE": str(log_path),
        }
    )
    process = subprocess.Popen(
        ["node", str(PLAYGROUND_CLI), "-e", bot_url, "-c", "msteams", "--disable-telemetry", "-p", str(port)],
        cwd=log_path.parent,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    found: list[int] = []
    seen: list[str] = []

    def read() -> None:  # keeps draining stdout so the Playground never blocks on a full pipe
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            seen.append(line)
            match = LISTENING.search(line)
            if match and not found:
                found.append(int(match.group(1)))

    threading.Thread(target=read, name="playground-stdout", daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while not found:
            if process.poll() is not None or time.monotonic() > deadline:
                raise StackError("it printed no 'Listening on <port>'")
            time.sleep(0.1)
        actual = found[0]
        _wait_http(f"http://127.0.0.1:{actual}/", process, max(1.0, deadline - time.monotonic()))
        # A bad config file is reported only in its log, after it started listening: give it a moment.
        time.sleep(1.5)
        if process.poll() is not None:
            raise StackError(f"exited ({process.returncode}) after starting")
    except BaseException as exc:  # including Ctrl-C while waiting: never leave the Playground behind
        stop(process)
        if not isinstance(exc, StackError):
            raise
        printed = "\n".join(seen[-10:])
        raise StackError(f"the Playground did not start: {exc}\nit printed:\n{printed}\n{log_path}:\n{tail(log_path)}") from None
    return process, actual


def start_stack(
    database: Path,
    logs: Path,
    *,
    bot_port: int,
    playground_port: int = DEFAULT_PLAYGROUND_PORT,
    extra_env: Mapping[str, str] | None = None,
    fresh: bool = True,
) -> Stack:
    """A fresh (or kept) demo database, the bot on bot_port and the Playground pointed at it."""
    if fresh:
        remove_sqlite(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    env = bot_env(sqlite_url(database), bot_port, extra_env)
    run_cli(env, "demo")  # migrates the schema and (re)creates the demo cohort with dates from today
    bot, bot_file = start_bot(env, logs / "bot.log")
    bot_url = f"http://127.0.0.1:{bot_port}/api/messages"
    try:
        playground, port = start_playground(bot_url, playground_port, logs / "playground.log")
    except BaseException:
        stop(bot)
        bot_file.close()
        raise
    return Stack(
        bot=bot,
        playground=playground,
        bot_url=bot_url,
        playground_url=f"http://localhost:{port}",
        env=env,
        bot_log=logs / "bot.log",
        playground_log=logs / "playground.log",
        _files=[bot_file],
    )
