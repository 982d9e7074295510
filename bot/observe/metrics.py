"""The process's Prometheus series: counters and histograms the code bumps, gauges filled from the database at scrape time."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# One registry per process, apart from prometheus-client's global one, so only our series are served.
# Each replica serves its own counters; the outbox and question gauges are read from the shared
# database on every scrape, so every replica reports the same (true) figures for those.
REGISTRY = CollectorRegistry(auto_describe=True)

TURNS = Counter(
    "talentnord_turns",
    "Incoming activities handled, by route (the message or card table's entry) and outcome",
    ["route", "outcome"],
    registry=REGISTRY,
)
TURN_SECONDS = Histogram(
    "talentnord_turn_seconds",
    "Time from a request to /api/messages arriving to its answer",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "talentnord_http_requests",
    "HTTP requests answered, by method, route pattern and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
SENDS = Counter(
    "talentnord_sends",
    "Outbox send attempts by outcome (sent, 429, 5xx, network, unreachable, rejected); dead_lettered counts rows given up on",
    ["outcome"],
    registry=REGISTRY,
)
PACING_WAITS = Counter(
    "talentnord_pacing_waits",
    "Times a send waited for Teams' limits: the global rate, a conversation's window, or went back (postponed)",
    ["limit"],
    registry=REGISTRY,
)
PACING_WAIT_SECONDS = Counter(
    "talentnord_pacing_wait_seconds",
    "Seconds sends spent waiting for Teams' limits",
    ["limit"],
    registry=REGISTRY,
)
PLAN_RELEASED = Counter(
    "talentnord_plan_rows_released",
    "Planned deliveries released into the outbox",
    registry=REGISTRY,
)
QUESTIONS_HANDED_OFF = Counter(
    "talentnord_questions_handed_off",
    "Questions the index could not answer, handed to the instructors",
    registry=REGISTRY,
)
QUESTIONS_ANSWERED = Counter(
    "talentnord_questions_answered",
    "Questions answered: by the index at once, or by an instructor",
    ["by"],
    registry=REGISTRY,
)
OUTBOX_ROWS = Gauge(
    "talentnord_outbox_rows",
    "Outbox rows by state (read from the database at scrape time)",
    ["state"],
    registry=REGISTRY,
)
OUTBOX_OLDEST_PENDING = Gauge(
    "talentnord_outbox_oldest_pending_seconds",
    "Seconds the most overdue outbox row has waited past its due time (or its dead sender's lease); 0 when none is due",
    registry=REGISTRY,
)
QUESTIONS_OPEN = Gauge(
    "talentnord_questions_open",
    "Questions to the instructors still unanswered, by age",
    ["age"],
    registry=REGISTRY,
)

# Ages for open questions: the instructors' reminder comes after a working day, so a day is the step.
QUESTION_AGES: tuple[tuple[str, float], ...] = (("under_1d", 86400.0), ("1d_to_3d", 3 * 86400.0), ("3d_to_7d", 7 * 86400.0))
QUESTION_AGE_OLDEST = "over_7d"


def send_outcome(status: int) -> str:
    """The outcome label of one send attempt's HTTP status (0: no answer from Teams)."""
    if 200 <= status < 300:
        return "sent"
    if status == 429:
        return "429"
    if status in (403, 404):
        return "unreachable"
    if status == 0:
        return "network"
    return "5xx" if status >= 500 else "rejected"


def question_age(seconds: float) -> str:
    """The age label of an open question this many seconds old."""
    for label, limit in QUESTION_AGES:
        if seconds < limit:
            return label
    return QUESTION_AGE_OLDEST
