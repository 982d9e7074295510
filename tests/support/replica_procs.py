"""Replica processes for multi-replica tests and benchmarks: `python app.py` on its own port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from bot.config import REPO_ROOT
from tests.fakes.limited_connector import max_in_window  # noqa: F401 (re-exported for the replica tests)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    """One `python app.py` process in local mode, its output in a log file."""

    def __init__(self, database_url: str, log: Path, **settings: str) -> None:
        self.port = free_port()
        self.log = log
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}  # local mode
        env.update(DATABASE_URL=database_url, HOST="127.0.0.1", PORT=str(self.port), LOG_LEVEL="WARNING", **settings)
        self._out = log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT)

    async def healthy(self, timeout: float = 60.0) -> None:
        """Wait until /healthz answers 200; fail with the log's tail if the process died or took too long."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"replica exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
                try:
                    async with http.get(f"{self.url}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"replica on {self.port} not healthy:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9: no cleanup at all, as a crashed machine."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL if that hangs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._out.close()
