"""The outbox sender against a real SQLite database and a fake Bot Connector that enforces Teams' limits."""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.delivery.connector import ConnectorClient, NoToken, SendResult
from bot.outbox.pacing import ConversationWindows, SlidingLimit
from bot.outbox.sender import Sender
from bot.outbox.status import outbox_status
from bot.storage.db import Database
from bot.storage.models import Conversation, OutboxMessage, Person
from tests.fakes.limited_connector import LimitedConnector
from tests.support import NOW, Clock
from tests.support.clock import VirtualClock
from tests.support.hang import bounded

LEASE = 30.0


class CountingClient:
    """A ConnectorClient that counts the sends started and finished (requests on the wire)."""

    def __init__(self, inner: ConnectorClient) -> None:
        self.inner = inner
        self.started = 0
        self.finished = 0

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> SendResult:
        self.started += 1
        result = await self.inner.send(service_url, conversation_id, activity)
        self.finished += 1
        return result

    async def ready(self) -> None:
        await self.inner.ready()

    async def close(self) -> None:
        await self.inner.close()


class WireClient:
    """A ConnectorClient that holds virtual time still while each request is on the wire."""

    def __init__(self, inner: ConnectorClient, timer: VirtualClock) -> None:
        self.inner = inner
        self.timer = timer

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> SendResult:
        with self.timer.on_the_wire():
            return await self.inner.send(service_url, conversation_id, activity)

    async def ready(self) -> None:
        await self.inner.ready()

    async def close(self) -> None:
        await self.inner.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake() -> AsyncIterator[LimitedConnector]:
    connector = LimitedConnector(rate=2000, hang_seconds=0.4, retry_after=7)
    await connector.start()
    yield connector
    await connector.stop()


@pytest.fixture
async def client() -> AsyncIterator[ConnectorClient]:
    # a generous timeout: on a loaded machine a loopback answer can take a while, and a send that
    # timed out would be retried later and fail the test for the machine's speed, not the code's
    http = ConnectorClient(NoToken(), concurrency=16, timeout=10)
    yield http
    await http.close()


@pytest.fixture
async def impatient() -> AsyncIterator[ConnectorClient]:
    """A client that gives up after 0.2 s, for requests the fake hangs (0.4 s): those always time out."""
    http = ConnectorClient(NoToken(), concurrency=16, timeout=0.2)
    yield http
    await http.close()


def make_sender(db: Database, client: Any, clock: Clock, **kw: Any) -> Sender:
    kw.setdefault("rate_per_second", 1000)
    kw.setdefault("lease_seconds", LEASE)
    kw.setdefault("max_attempts", 3)
    return Sender(db, client, clock=clock, **kw)


def payload(key: str, text: str = "") -> dict[str, Any]:
    return {"type": "message", "text": text or f"besked {key}", "channelData": {"outboxKey": key}}


async def add_conversations(db: Database, fake: LimitedConnector, n: int, prefix: str = "c") -> list[int]:
    """n personal conversations (each with a person) at the fake connector; their ids."""
    async with db.sessions() as s, s.begin():
        rows = []
        for i in range(n):
            person = Person(email=f"{prefix}{i}@example.org", name=f"Person {prefix}{i}")
            s.add(person)
            await s.flush()
            convo = Conversation(
                conversation_id=f"a:{prefix}-{i}", kind="personal", person_id=person.id, service_url=fake.url, reference={}
            )
            s.add(convo)
            rows.append(convo)
        await s.flush()
        return [c.id for c in rows]


async def add_rows(db: Database, conversation_pk: int, keys: list[str], *, due: datetime = NOW, **values: Any) -> None:
    async with db.sessions() as s, s.begin():
        for key in keys:
            s.add(OutboxMessage(key=key, conversation_id=conversation_pk, payload=payload(key), next_attempt_at=due, **values))


async def add_one_row_each(db: Database, conversations: list[int], keys: list[str]) -> None:
    """One due row per conversation, in one transaction."""
    async with db.sessions() as s, s.begin():
        for pk, key in zip(conversations, keys, strict=True):
            s.add(OutboxMessage(key=key, conversation_id=pk, payload=payload(key), next_attempt_at=NOW))


async def row(db: Database, key: str) -> OutboxMessage:
    async with db.sessions() as s:
        found = await s.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        assert found is not None
        return found


async def statuses(db: Database) -> Counter:
    async with db.sessions() as s:
        return Counter(dict((await s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all()))


async def drain(sender: Sender) -> int:
    total = 0
    while handled := await sender.drain_once():
        total += handled
    return total


# ---- outcomes of one send --------------------------------------------------------------------


async def test_success_marks_sent_with_the_activity_id(db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock) -> None:
    [convo] = await add_conversations(db, fake, 1)
    await add_rows(db, convo, ["k1"])
    sender = make_sender(db, client, clock)
    assert await sender.drain_once() == 1
    sent = await row(db, "k1")
    [accepted] = fake.accepted
    assert (sent.status, sent.activity_id, sent.sent_at, sent.lease_until) == ("sent", accepted.activity_id, NOW, None)
    assert accepted.key == "k1" and accepted.conversation == "a:c-0"
    assert await sender.drain_once() == 0
    assert sender.stats.sent == 1


async def test_429_reschedules_by_retry_after(db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock) -> None:
    [convo] = await add_conversations(db, fake, 1)
    await add_rows(db, convo, ["k1"])
    fake.scripted["k1"] = [429]  # Retry-After: 7
    sender = make_sender(db, client, clock)
    assert await sender.drain_once() == 1
    waiting = await row(db, "k1")
    assert waiting.status == "pending"
    assert waiting.next_attempt_at == NOW + timedelta(seconds=7)
    assert await sender.drain_once() == 0  # not due yet
    clock.advance(6.9)
    assert await sender.drain_once() == 0
    clock.advance(0.1)
    assert await sender.drain_once() == 1
    assert (await row(db, "k1")).status == "sent"
    assert sender.stats.throttled == 1 and len(fake.accepted) == 1


async def test_429_retry_after_as_http_date_is_honoured(
    db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock
) -> None:
    from bot.delivery.retry import parse_retry_after

    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("-1") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 412, 0])
async def test_transient_errors_retry_with_backoff_then_dead(
    db: Database, fake: LimitedConnector, client: ConnectorClient, impatient: ConnectorClient, clock: Clock, status: int
) -> None:
    [convo] = await add_conversations(db, fake, 1)
    await add_rows(db, convo, ["k1"])
    fake.scripted["k1"] = [status] * 10  # 0 = the fake hangs beyond the (impatient) client's timeout
    sender = make_sender(db, impatient if status == 0 else client, clock, max_attempts=3)
    waits = []
    for attempt in (1, 2):
        assert await sender.drain_once() == 1
        waiting = await row(db, "k1")
        assert (waiting.status, waiting.attempts) == ("pending", attempt)
        wait = (waiting.next_attempt_at - clock.now).total_seconds()
        assert 0 <= wait <= 2**attempt  # full jitter up to base·2^attempt
        waits.append(wait)
        assert await sender.drain_once() == 0  # not before its time
        clock.advance(wait)
    assert await sender.drain_once() == 1
    dead = await row(db, "k1")
    assert (dead.status, dead.attempts) == ("dead", 3)
    clock.advance(3600)
    assert await sender.drain_once() == 0  # dead-lettered: never again
    requests = [a for a in fake.answers if a.key == "k1"]
    assert len(requests) == 3 and not fake.accepted
    status_view = await outbox_status(db)
    assert status_view.counts["dead"] == 1
    [problem] = status_view.problems
    assert problem["key"] == "k1" and problem["status"] == "dead" and problem["recipient"] == "c0@example.org"
    assert "gave up after 3 attempts" in problem["error"]
    assert (str(status) if status else "timeout") in problem["error"]


async def test_a_transient_error_then_success_is_sent_once(
    db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock
) -> None:
    [convo] = await add_conversations(db, fake, 1)
    await add_rows(db, convo, ["k1"])
    fake.scripted["k1"] = [503]
    sender = make_sender(db, client, clock)
    await sender.drain_once()
    clock.advance(2)
    await sender.drain_once()
    done = await row(db, "k1")
    assert (done.status, done.attempts) == ("sent", 1)
    assert fake.keys() == Counter({"k1": 1})


@pytest.mark.parametrize("status", [403, 404])
async def test_gone_conversation_is_marked_unreachable_and_never_sent_to_again(
    db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock, status: int
) -> None:
    gone, other = await add_conversations(db, fake, 2)
    fake.gone["a:c-0"] = status
    await add_rows(db, gone, ["g1", "g2", "g3"])  # due now, one batch
    await add_rows(db, gone, ["g4"], due=NOW + timedelta(minutes=5))  # later
    await add_rows(db, other, ["o1"])
    sender = make_sender(db, client, clock)
    await drain(sender)
    async with db.sessions() as s:
        convo = await s.get(Conversation, gone)
        assert convo is not None and convo.unreachable_at == NOW and str(status) in (convo.unreachable_reason or "")
    for key in ("g1", "g2", "g3", "g4"):
        assert (await row(db, key)).status == "unreachable"
    assert (await row(db, "o1")).status == "sent"
    # one request found it gone; the rest of the batch was not sent
    assert len([a for a in fake.answers if a.conversation == "a:c-0"]) == 1
    # a row queued later for that chat (e.g. by another process) is not sent either
    await add_rows(db, gone, ["g5"])
    fresh = make_sender(db, client, clock)
    clock.advance(600)
    assert await fresh.drain_once() == 1
    assert (await row(db, "g5")).status == "unreachable"
    assert len([a for a in fake.answers if a.conversation == "a:c-0"]) == 1
    problems = {p["key"]: p for p in (await outbox_status(db)).problems}
    assert set(problems) == {"g1", "g2", "g3", "g4", "g5"}
    assert all(p["status"] == "unreachable" for p in problems.values())


async def test_413_is_dead_and_logged_as_our_bug(
    db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    [convo] = await add_conversations(db, fake, 1)
    await add_rows(db, convo, ["big"])
    async with db.sessions() as s, s.begin():
        big = await s.scalar(select(OutboxMessage).where(OutboxMessage.key == "big"))
        assert big is not None
        big.payload = payload("big", "x" * (fake.max_bytes + 100))
    sender = make_sender(db, client, clock)
    with caplog.at_level(logging.ERROR, logger="bot.outbox.sender"):
        assert await sender.drain_once() == 1
    dead = await row(db, "big")
    assert dead.status == "dead" and (dead.last_error or "").startswith("413")
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "BUG" in record.getMessage() and "413" in record.getMessage() and "big" in record.getMessage()
    clock.advance(3600)
    assert await sender.drain_once() == 0
    assert fake.statuses() == Counter({413: 1})


# ---- leases ----------------------------------------------------------------------------------


async def test_a_row_held_by_a_crashed_worker_is_retaken_after_its_lease(
    db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock
) -> None:
    [convo] = await add_conversations(db, fake, 1)
    await add_rows(db, convo, ["expired"], status="sending", claimed_by="dead-worker", lease_until=NOW - timedelta(seconds=1))
    await add_rows(db, convo, ["live"], status="sending", claimed_by="busy-worker", lease_until=NOW + timedelta(seconds=60))
    sender = make_sender(db, client, clock)
    assert await sender.drain_once() == 1
    assert (await row(db, "expired")).status == "sent"
    live = await row(db, "live")
    assert (live.status, live.claimed_by) == ("sending", "busy-worker")
    assert fake.keys() == Counter({"expired": 1})
    clock.advance(61)  # the busy worker died too
    assert await sender.drain_once() == 1
    assert (await row(db, "live")).status == "sent"


async def test_a_late_answer_does_not_overwrite_a_row_another_worker_took_over(
    db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock
) -> None:
    [convo] = await add_conversations(db, fake, 1)
    await add_rows(db, convo, ["k1"])
    slow = make_sender(db, client, clock, worker_id="slow")
    [claimed] = await slow.claim()
    clock.advance(LEASE + 1)
    other = make_sender(db, client, clock, worker_id="other")
    assert await other.drain_once() == 1
    await slow._record(claimed, SendResult(500, error="late"))
    done = await row(db, "k1")
    assert (done.status, done.claimed_by) == ("sent", "other")


# ---- pacing in the sender --------------------------------------------------------------------


@pytest.fixture
async def local_db(tmp_path: Any) -> AsyncIterator[Database]:
    """An in-process SQLite database, even in the PostgreSQL run: for the tests in virtual time.

    VirtualClock moves time on when every task waits and nothing is on the wire. It lets the loop
    turn ten times first, which covers aiosqlite's thread hop but not PostgreSQL's network round
    trip: there time jumped while a claim was in flight, so the fake measured round trips, not the
    pacing (100/s at a 200/s rate). These tests are about pacing; claims on PostgreSQL are covered
    by the two-senders test below.
    """
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'pacing.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def test_rows_for_one_conversation_keep_their_order_and_its_windows(local_db: Database, clock: Clock) -> None:
    db = local_db
    # Teams' shape, ten times faster, in virtual time: the fake reads the sender's clock, and time
    # stands still while a request is on the wire, so what it measures is what the pacing decided.
    timer = VirtualClock()
    windows = ((0.1, 7), (0.2, 8), (3.0, 60))
    fake = LimitedConnector(rate=2000, windows=windows, clock=timer.monotonic)
    await fake.start()
    client = WireClient(ConnectorClient(NoToken(), concurrency=16, timeout=30), timer)
    try:
        [convo] = await add_conversations(db, fake, 1)
        keys = [f"k{i:02d}" for i in range(20)]
        await add_rows(db, convo, keys)
        # no margin: without jitter the windows alone must keep within the fake's limits
        sender = make_sender(db, client, clock, windows=ConversationWindows(windows, clock=timer), timer=timer)
        start = timer.now
        [handled] = await timer.run(drain(sender))
    finally:
        await client.close()
        await fake.stop()
    assert fake.pacing_429s == 0
    assert handled == 20
    assert [a.key for a in fake.accepted] == keys
    assert fake.max_in_conversation_window(0.1) == 7 and fake.max_in_conversation_window(0.2) == 8
    # the first 7 at the global pace (1/980 s apart), the 8th when the first leaves the 0.1 s window,
    # the 9th when it leaves the 0.2 s one (each wait ends 1 ms after the window frees), and so on
    times = [a.at - start for a in fake.accepted]
    assert times[6] == pytest.approx(6 / 980, abs=1e-4)
    assert (times[7], times[8]) == (pytest.approx(0.101, abs=1e-4), pytest.approx(0.201, abs=1e-4))
    assert times[-1] == pytest.approx(0.405, abs=1e-3)


async def test_a_row_the_ceiling_holds_back_counts_in_its_window_when_it_leaves(local_db: Database, clock: Clock) -> None:
    # The first row passes its window at 0 but the global ceiling (full of other chats' sends)
    # holds it until 0.05; rows 2-7 follow at once. Counted at 0, the window would let the 8th go
    # at 0.1: eight sends in 0.05 s against 7 per 0.1 s. Counted when it left, the 8th waits to 0.15.
    db = local_db
    timer = VirtualClock()
    windows = ((0.1, 7),)
    fake = LimitedConnector(rate=2000, windows=windows, clock=timer.monotonic)
    await fake.start()
    client = WireClient(ConnectorClient(NoToken(), concurrency=16, timeout=30), timer)
    ceiling = SlidingLimit(20, 0.05, clock=timer)
    try:
        [convo] = await add_conversations(db, fake, 1)
        keys = [f"k{i:02d}" for i in range(8)]
        await add_rows(db, convo, keys)
        for _ in range(20):
            await ceiling.acquire()  # the ceiling's window is full at the start, as after a burst to others
        sender = make_sender(db, client, clock, windows=ConversationWindows(windows, clock=timer), ceiling=ceiling, timer=timer)
        start = timer.now
        [handled] = await timer.run(drain(sender))
    finally:
        await client.close()
        await fake.stop()
    assert handled == 8
    assert fake.pacing_429s == 0 and [a.key for a in fake.accepted] == keys
    times = [a.at - start for a in fake.accepted]
    assert times[0] == pytest.approx(0.05, abs=1e-4)  # held back by the ceiling
    assert times[7] >= times[0] + 0.1  # the window starts when the first really left
    assert fake.max_in_conversation_window(0.1) == 7


async def test_a_row_whose_window_is_full_for_long_goes_back_to_the_outbox(
    db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock
) -> None:
    [convo] = await add_conversations(db, fake, 1)
    await add_rows(db, convo, ["first", "second"])
    sender = make_sender(db, client, clock, windows=ConversationWindows(((30.0, 1),)))
    assert await sender.drain_once() == 2
    assert (await row(db, "first")).status == "sent"
    later = await row(db, "second")
    assert later.status == "pending" and later.lease_until is None and later.attempts == 0
    assert NOW + timedelta(seconds=29) < later.next_attempt_at <= NOW + timedelta(seconds=30.1)
    assert fake.keys() == Counter({"first": 1})


async def test_global_rate_is_kept_against_the_enforcing_fake(local_db: Database, clock: Clock) -> None:
    db = local_db
    # in virtual time, as above: the fake's one-second window reads the sender's clock
    timer = VirtualClock()
    fake = LimitedConnector(rate=200, clock=timer.monotonic)
    await fake.start()
    client = WireClient(ConnectorClient(NoToken(), concurrency=16, timeout=30), timer)
    try:
        convos = await add_conversations(db, fake, 300)
        await add_one_row_each(db, convos, [f"r{i}" for i in range(300)])
        sender = make_sender(db, client, clock, rate_per_second=200, timer=timer)
        start = timer.now
        [handled] = await timer.run(drain(sender))
        took = timer.now - start
    finally:
        await client.close()
        await fake.stop()
    assert handled == 300
    assert fake.pacing_429s == 0 and len(fake.accepted) == 300
    assert 190 <= fake.max_per_second() <= 200  # at the rate, never over it
    assert took >= 299 / 200  # paced, not a burst
    assert took < 299 / 190  # and not much slower than the rate allows


# ---- several senders, crashes ----------------------------------------------------------------


class MeetingClient:
    """A ConnectorClient whose sends wait until every sender at the meeting has claimed rows and begun to send."""

    def __init__(self, inner: ConnectorClient, name: str, arrived: set[str], everyone: int, met: asyncio.Event) -> None:
        self.inner, self.name, self.arrived, self.everyone, self.met = inner, name, arrived, everyone, met

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> SendResult:
        self.arrived.add(self.name)
        if len(self.arrived) == self.everyone:
            self.met.set()
        await asyncio.wait_for(self.met.wait(), 30)  # a sender that never claims fails the test, not hangs it
        return await self.inner.send(service_url, conversation_id, activity)

    async def ready(self) -> None:
        await self.inner.ready()

    async def close(self) -> None:
        await self.inner.close()


async def test_two_senders_draining_together_send_each_row_exactly_once(
    db: Database, settings: Any, fake: LimitedConnector, clock: Clock
) -> None:
    convos = await add_conversations(db, fake, 100)
    for suffix in "abc":
        await add_one_row_each(db, convos, [f"m{i}-{suffix}" for i in range(100)])
    other_db = Database(settings.database_url)  # a second process, in effect
    # Neither sender gets a row out before both hold a batch: however the two are scheduled (a loaded
    # machine, PostgreSQL's skip-locked), both take part by construction, so the check below is about
    # exactly-once and never about luck.
    arrived: set[str] = set()
    met = asyncio.Event()
    clients = [MeetingClient(ConnectorClient(NoToken(), concurrency=8), name, arrived, 2, met) for name in ("one", "two")]
    try:
        senders = [
            make_sender(db, clients[0], clock, worker_id="one", concurrency=8, rate_per_second=2000),
            make_sender(other_db, clients[1], clock, worker_id="two", concurrency=8, rate_per_second=2000),
        ]
        for s in senders:
            s.batch = 25  # small batches so the two really interleave
        # Bounded: a hang here was seen once under heavy load on PostgreSQL; it must fail, not stall the run.
        bound = float(os.environ.get("HANG_BOUND", "120"))
        handled = await bounded(asyncio.gather(*(drain(s) for s in senders)), bound, settings.database_url)
    finally:
        for c in clients:
            await c.close()
        await other_db.dispose()
    # Both took part (each sent rows). A share need not be a whole batch: on PostgreSQL a claim re-checks
    # its picked rows after the other sender's concurrent claim, and comes back short. The point is exactly-once.
    assert sum(handled) == 300 and min(handled) >= 1 and arrived == {"one", "two"}
    assert await statuses(db) == Counter({"sent": 300})
    assert len(fake.accepted) == 300 and fake.duplicates() == 0
    assert senders[0].stats.sent + senders[1].stats.sent == 300


async def test_run_drains_everything_and_stops(db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock) -> None:
    convos = await add_conversations(db, fake, 50)
    await add_one_row_each(db, convos, [f"r{i}" for i in range(50)])
    sender = make_sender(db, client, clock, rate_per_second=500, concurrency=4)
    sender.batch = 12
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop, poll_seconds=0.05))
    await fake.wait_for(50, timeout=10)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert await statuses(db) == Counter({"sent": 50})
    assert fake.duplicates() == 0


async def test_restart_mid_broadcast_loses_nothing_and_duplicates_at_most_the_rows_in_flight(
    db: Database, settings: Any, fake: LimitedConnector, clock: Clock
) -> None:
    convos = await add_conversations(db, fake, 200)
    await add_one_row_each(db, convos, [f"b/{i}" for i in range(200)])
    first_db = Database(settings.database_url)  # the process that will be killed
    first_client = CountingClient(ConnectorClient(NoToken(), concurrency=16))
    first = make_sender(first_db, first_client, clock, rate_per_second=400, concurrency=16)  # type: ignore[arg-type]
    first.batch = 50
    task = asyncio.create_task(first.run(asyncio.Event(), poll_seconds=0.05))
    await fake.wait_for(70, timeout=10)
    task.cancel()  # kill -9, as far as this process can tell
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)  # let requests cut off on the wire reach the fake (or not)
    # database calls already under way finish (a commit lands, or would have been lost) before the
    # "process" is gone; its connections close, as they would with the process
    settled = asyncio.get_running_loop().time() + 30  # a deadline, not a count: a loaded machine is slow
    while first_db.engine.pool.checkedout() or (first._writes._writer and not first._writes._writer.done()):
        assert asyncio.get_running_loop().time() < settled, "the killed sender's database calls did not finish"
        await asyncio.sleep(0.01)
    await first_client.close()
    await first_db.dispose()  # its connections (and any lock they held) go, as with the process

    counts = await statuses(db)
    assert 0 < counts["sent"] < 200 and counts["sending"] > 0  # really mid-broadcast, rows still leased
    # rows that may have reached Teams without being marked sent: sends started minus rows marked
    # sent; once the last commit landed, only requests cut off on the wire (at most `concurrency`)
    in_flight = first_client.started - counts["sent"]
    assert 0 <= in_flight <= first.concurrency

    second = make_sender(Database(settings.database_url), ConnectorClient(NoToken()), clock, rate_per_second=400)
    try:
        await drain(second)  # the rows nobody had claimed go out; the leased ones wait for their lease
        assert (await statuses(db))["sending"] == counts["sending"]
        clock.advance(LEASE + 1)
        await drain(second)
    finally:
        await second.client.close()
        await second.db.dispose()
    assert await statuses(db) == Counter({"sent": 200})
    keys = fake.keys()
    assert set(keys) == {f"b/{i}" for i in range(200)}  # nothing lost
    assert fake.duplicates() <= in_flight


# ---- the client's odd cases ------------------------------------------------------------------


class RaisingClient:
    """A client whose send raises (a bad service URL, a bug) instead of answering."""

    async def ready(self) -> None:
        return None

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> SendResult:
        raise ValueError("bad service url")


async def test_a_send_that_raises_counts_as_a_failed_attempt_not_a_stuck_row(db: Database, fake: LimitedConnector, clock: Clock) -> None:
    [convo] = await add_conversations(db, fake, 1)
    await add_rows(db, convo, ["k1"])
    sender = make_sender(db, RaisingClient(), clock, max_attempts=2)
    assert await sender.drain_once() == 1
    waiting = await row(db, "k1")
    assert (waiting.status, waiting.attempts, waiting.lease_until) == ("pending", 1, None)
    assert "ValueError" in (waiting.last_error or "")
    clock.advance(5)
    assert await sender.drain_once() == 1
    assert (await row(db, "k1")).status == "dead"


async def test_a_2xx_with_an_odd_body_is_still_a_delivery() -> None:
    from aiohttp import web

    async def odd(request: web.Request) -> web.Response:
        return web.json_response(["not", "an", "object"], status=201)

    app = web.Application()
    app.router.add_post("/v3/conversations/{cid}/activities", odd)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    http = ConnectorClient(NoToken())
    try:
        result = await http.send(f"http://127.0.0.1:{port}/", "a:x", {"type": "message"})
    finally:
        await http.close()
        await runner.cleanup()
    assert (result.status, result.activity_id) == (201, None)


# ---- the fake itself -------------------------------------------------------------------------


async def test_the_fake_enforces_the_limits_and_injects_the_same_faults_by_seed() -> None:
    import aiohttp

    # time moves only when the test moves it: a burst arrives in one instant, however slow the machine
    now = [1000.0]
    fake, chat = LimitedConnector(rate=10, clock=lambda: now[0]), LimitedConnector(rate=100, clock=lambda: now[0])
    await fake.start()
    await chat.start()
    try:
        async with aiohttp.ClientSession() as http:

            async def post(cid: str, key: str) -> int:
                body = {"type": "message", "channelData": {"outboxKey": key}}
                async with http.post(f"{fake.url}v3/conversations/{cid}/activities", json=body) as resp:
                    return resp.status

            burst = await asyncio.gather(*(post(f"a:{i}", f"g{i}") for i in range(15)))
            assert burst.count(201) == 10 and burst.count(429) == 5
            assert (fake.pacing_global, fake.pacing_conversation) == (5, 0)
            assert fake.max_per_second() == 10
            now[0] += 1.0  # the burst has left the one-second window
            assert await post("a:later", "later") == 201 and fake.max_per_second() == 10
            fake.url = chat.url
            one_chat = [await post("a:chat", f"c{i}") for i in range(9)]
            assert one_chat == [201] * 7 + [429, 429]
            assert (chat.pacing_conversation, chat.pacing_global) == (2, 0)
            assert chat.max_in_conversation_window(1.0) == 7
    finally:
        await fake.stop()
        await chat.stop()

    first, second = (LimitedConnector(rate=1000, seed=3, p500=0.2, p429=0.1) for _ in range(2))
    for f in (first, second):
        await f.start()
    try:
        async with aiohttp.ClientSession() as http:
            for f, order in ((first, range(100)), (second, reversed(range(100)))):
                for i in order:
                    async with http.post(f"{f.url}v3/conversations/a:{i}/activities", json={"channelData": {"outboxKey": f"k{i}"}}) as resp:
                        await resp.read()
    finally:
        for f in (first, second):
            await f.stop()
    failed = [{a.key: a.status for a in f.answers if a.status != 201} for f in (first, second)]
    assert failed[0] == failed[1] and 15 < len(failed[0]) < 45  # same keys fail, whatever the order


async def test_the_sender_logs_a_lost_database_once_and_backs_off(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gone.db'}")
    db.engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")  # cannot open
    db.sessions.configure(bind=db.engine)
    sender = make_sender(db, object(), Clock(NOW))
    stop = asyncio.Event()
    caplog.set_level(logging.DEBUG, logger="bot.outbox.sender")
    task = asyncio.create_task(sender.run(stop, poll_seconds=0.02))
    loop = asyncio.get_running_loop()
    first_error = loop.time() + 30  # a loaded machine may take a while to fail the first time
    while not any(r.levelno >= logging.ERROR for r in caplog.records):
        assert loop.time() < first_error, "the sender never tried the database"
        await asyncio.sleep(0.01)
    await asyncio.sleep(1.2)  # 60 polls' worth; the back-off (1 s, then 2 s) allows one more try
    stop.set()
    await asyncio.wait_for(task, 5)
    await db.dispose()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    tries = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info, [r.getMessage() for r in errors]
    assert 1 <= len(tries) <= 3


async def test_a_claim_takes_at_most_its_batch_leaving_the_rest_to_other_senders(
    db: Database, fake: LimitedConnector, client: ConnectorClient, clock: Clock
) -> None:
    # On PostgreSQL a LIMIT … FOR UPDATE SKIP LOCKED pick inside the claiming UPDATE could be re-run
    # per updated row, so one claim took every due row and a second sender found none (issue #21).
    convos = await add_conversations(db, fake, 100)
    for suffix in "abc":
        await add_one_row_each(db, convos, [f"m{i}-{suffix}" for i in range(100)])
    sender = make_sender(db, client, clock, worker_id="one")
    claimed = await sender.claim(limit=25)
    assert [c.key for c in claimed] == [f"m{i}-a" for i in range(25)]
    assert await statuses(db) == Counter({"sending": 25, "pending": 275})
    other = make_sender(db, client, clock, worker_id="two")
    assert len(await other.claim(limit=25)) == 25
