"""Publishing in Azure mode refuses example links for activities within 30 days; local mode and the demo keep working."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.services.core import build_core
from bot.services.link_guard import PlaceholderLinks
from bot.storage.db import Database
from tests.support import NOW, seed

APP_ID = "11111111-2222-3333-4444-555555555555"
LONG_BEFORE = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # the kick-off (12 Jan 2027) is months away


async def test_azure_mode_refuses_with_the_links_of_activities_within_30_days(db: Database, settings: Any, programme: Any) -> None:
    await seed(db, programme)
    core = build_core(db, replace(settings, app_id=APP_ID), lambda: NOW)  # the kick-off is 8 days away
    with pytest.raises(PlaceholderLinks) as refused:
        await core.learning.publish()
    links = refused.value.links
    assert {line.split("/")[0] for line in links} == {"kickoff", "leader-ws", "m1"}  # m2 (2 March) is beyond 30 days
    assert len(links) == 9 and all("materialer.example" in line for line in links)
    assert "hold-2027" in refused.value.links[0] and "12. januar 2027" in refused.value.links[0]
    assert "kickoff/intro" in str(refused.value)


@pytest.mark.parametrize("how", ["local", "demo", "far-away"])
async def test_local_mode_the_demo_and_a_distant_calendar_publish(db: Database, settings: Any, programme: Any, how: str) -> None:
    await seed(db, programme)
    chosen = {
        "local": (settings, NOW),
        "demo": (replace(settings, app_id=APP_ID, demo_cohort="hold-2027"), NOW),
        "far-away": (replace(settings, app_id=APP_ID), LONG_BEFORE),
    }[how]
    core = build_core(db, chosen[0], lambda: chosen[1])
    summary = await core.learning.publish()
    assert summary.new == 30


def test_content_check_warns_about_each_placeholder() -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "content", "check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "warning: m1/literature still links to the example https://materialer.example/talent-nord/m1/literature" in done.stderr
