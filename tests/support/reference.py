"""The shared reference data beside the repo (../shared/reference): real Teams payloads and schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.config import REPO_ROOT

SHARED = REPO_ROOT.parent / "shared"
REFERENCE = SHARED / "reference"
ACTIVITIES = REFERENCE / "teams-activities"
SCHEMAS = REFERENCE / "schemas"

# The recorded payloads' bot (recipient "28:<app id>") and tenant.
APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


def require_shared(path: Path) -> Path:
    """The path under ../shared, or skip the test with a clear message when it is absent."""
    if not path.exists():
        pytest.skip(f"needs {path} (the shared reference data beside the repo); not present here")
    return path


def teams_activity(name: str, **overrides: Any) -> dict[str, Any]:
    """A real Teams payload from ../shared/reference/teams-activities, with top-level overrides."""
    path = require_shared(ACTIVITIES / f"{name}.json")
    activity = json.loads(path.read_text(encoding="utf-8"))
    activity = copy.deepcopy(activity)
    activity.update(overrides)
    return activity
