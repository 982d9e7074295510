"""The Playground's mock Teams context: a valid shape, and people the demo roster knows."""

from __future__ import annotations

import csv

import yaml

from bot.services.demo import DEMO_ROSTER
from playground.stack import CONFIG


def test_mock_user_is_a_talent_on_the_demo_roster_so_the_full_experience_shows() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    roster = {row["email"]: row for row in csv.DictReader(DEMO_ROSTER.read_text(encoding="utf-8").splitlines())}
    me = config["currentUser"]
    assert roster[me["email"]]["role"] == "talent" and roster[me["email"]]["name"] == me["name"]
    # The Playground's schema (0.1.1) wants exactly five other users with unique ids, and the chats and team.
    users = config["users"]
    assert len(users) == 5 and len({u["id"] for u in users} | {me["id"]}) == 6
    assert all(u["email"] in roster for u in users)
    assert {"personalChat", "groupChat", "team", "bot", "tenantId"} <= config.keys()
    assert len(config["bot"]["name"]) <= 42
