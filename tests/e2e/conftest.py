"""The real-client suite: the bot and the Microsoft 365 Agents Playground, driven in headless Chromium.

One bot (local mode, fresh demo SQLite, its own clock slowed to one tick an hour so the test's
`python -m bot tick` is what releases materials), one Playground pointed at it, one Chromium page:
the tests are the steps of a talent's first week, in order, on that page.

Run with `make e2e`. Without Chromium, Node's Playground package or Playwright the suite is
skipped with a message, except under CI=true, where that is an error."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playground.stack import PLAYGROUND_CLI, Stack, free_port, start_stack
from tests.e2e.client import CHROMIUM, CHROMIUM_ARGS, IN_CI, SCREENSHOTS, TIMEOUT_MS, VIEWPORT, Chat

_OUTCOME = pytest.StashKey[Any]()  # the call phase's report, for screenshot_on_failure


def _missing() -> str | None:
    """Why the suite cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (it is in requirements-dev.lock: make e2e installs it)"
    if not CHROMIUM.exists():
        return f"Chromium is not at {CHROMIUM} (apt-get install chromium; or set CHROMIUM=/path/to/chromium)"
    if shutil.which("node") is None:
        return "Node.js is not installed (the Agents Playground needs Node.js 20)"
    if not PLAYGROUND_CLI.exists():
        return "the Agents Playground is not installed (npm ci; make e2e does it)"
    return None


@pytest.fixture(scope="session")
def requirements() -> None:
    problem = _missing()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"e2e suite cannot run: {problem}. CI never skips it.", pytrace=False)
    pytest.skip(f"e2e suite skipped: {problem}. CI installs this and never skips.")


@pytest.fixture(scope="session")
def stack(requirements: None) -> Iterator[Stack]:
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in list(SCREENSHOTS.glob("*.png")) + list(SCREENSHOTS.glob("*.log")):
        old.unlink()
    work = Path(tempfile.mkdtemp(prefix="talentnord-e2e-"))
    running = start_stack(
        work / "talentnord.db",
        work,
        bot_port=free_port(),
        playground_port=free_port(),
        extra_env={"TICK_SECONDS": "3600", "LOG_LEVEL": "INFO"},
    )
    try:
        yield running
    finally:
        running.stop()
        for log in (running.bot_log, running.playground_log):  # kept beside the screenshots for CI
            if log.exists():
                shutil.copy(log, SCREENSHOTS / log.name)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def chat(stack: Stack) -> Iterator[Chat]:
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="talentnord-chromium-")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            locale="da-DK",
        )
        # Offline by design: the Playground's page asks a CDN for fonts; answer that at once instead of waiting.
        context.route(re.compile(r"^https?://(?!(localhost|127\.0\.0\.1)[:/])"), lambda route: route.abort())
        context.set_default_timeout(TIMEOUT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(stack.playground_url, wait_until="domcontentloaded")
        try:
            yield Chat(page, stack)
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if report.when == "call":
        item.stash[_OUTCOME] = report
    return report


@pytest.fixture(autouse=True)
def screenshot_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """A failed step leaves a screenshot of the page named after the test, beside the step shots."""
    yield
    report = request.node.stash.get(_OUTCOME, None)
    if report is None or not report.failed:
        return
    if "chat" in request.fixturenames:
        try:
            request.getfixturevalue("chat").shot(f"FAILED-{request.node.name}")
        except Exception:  # the page may be gone; the report already says why
            pass
