"""Shared test helpers, all importable as `from tests.support import ...`.

Fixtures live in tests/conftest.py (which imports what they need from here); fake servers in
tests/fakes/. Modules: clock (NOW, Clock), reference (../shared payloads and schemas), messages
(chat messages in, cards out), world (the example cohort seeded, chats stored), server (the real
app on loopback), database (a fresh database per test), cli (the command line in a subprocess),
pgdb (PostgreSQL template copies), replica_procs (`python app.py` replicas).
"""

from tests.support.cli import run_cli
from tests.support.clock import NOW, Clock
from tests.support.database import database_url
from tests.support.messages import card_strings, message_from, personal_message, rendered
from tests.support.reference import ACTIVITIES, APP_ID, REFERENCE, SCHEMAS, SHARED, TENANT_ID, require_shared, teams_activity
from tests.support.server import Server, start_server
from tests.support.world import (
    ANNA,
    EXAMPLE,
    EXAMPLE_COHORT,
    EXAMPLE_ROSTER,
    personal_chat,
    seed,
    shifted_cohort,
    store_chats,
)

__all__ = [
    "ACTIVITIES",
    "ANNA",
    "APP_ID",
    "EXAMPLE",
    "EXAMPLE_COHORT",
    "EXAMPLE_ROSTER",
    "NOW",
    "REFERENCE",
    "SCHEMAS",
    "SHARED",
    "TENANT_ID",
    "Clock",
    "Server",
    "card_strings",
    "database_url",
    "message_from",
    "personal_chat",
    "personal_message",
    "rendered",
    "require_shared",
    "run_cli",
    "seed",
    "shifted_cohort",
    "start_server",
    "store_chats",
    "teams_activity",
]
