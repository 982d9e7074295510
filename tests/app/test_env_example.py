""".env.example names every setting the bot reads, with the default the code uses."""

from __future__ import annotations

import re
from dataclasses import fields

from bot.config import REPO_ROOT, Settings

SOURCES = [REPO_ROOT / "bot" / "config.py", REPO_ROOT / "bot" / "qa" / "dense.py", REPO_ROOT / "manifest" / "package.py"]


def _example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (REPO_ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_every_variable_the_code_reads_is_in_env_example() -> None:
    read: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"env\.get\(\"([A-Za-z_]+)\"", text))
        read |= set(re.findall(r"_(?:flag|int|float|http_url)\(env, \"([A-Za-z_]+)\"", text))
        read |= set(re.findall(r"ENV_SWITCH = \"([A-Z_]+)\"", text))
    assert read >= {"DATABASE_URL", "LOG_FORMAT", "METRICS_TOKEN", "QA_DENSE", "APP_VERSION"}
    assert read - set(_example()) == set()


def test_the_example_values_are_the_defaults() -> None:
    # reading the example's filled-in values gives the same settings as an empty environment
    # (REPORT_SECRET aside: without one each start draws its own)
    example = Settings.from_env({k: v for k, v in _example().items() if v})
    defaults = Settings.from_env({})
    differ = [f.name for f in fields(Settings) if getattr(example, f.name) != getattr(defaults, f.name)]
    assert differ == ["report_secret"]
