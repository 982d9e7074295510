"""Our side of Teams' limits: the paced global rate and the per-conversation sliding windows."""

from __future__ import annotations

import random

import pytest

from bot.outbox.pacing import CONVERSATION_WINDOWS, ConversationWindows, PacedRate
from tests.support.clock import FakeTime, VirtualClock


def most_in_window(times: list[float], window: float) -> int:
    """The most events in any half-open window (t - window, t]."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window + 1e-9:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# ---- PacedRate -------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [50.0, 20.0, 7.0])
async def test_paced_rate_never_more_than_rate_in_any_second(rate: float) -> None:
    t = FakeTime()
    paced = PacedRate(rate, clock=t)
    rnd = random.Random(7)
    times = []
    for i in range(500):
        if i % 97 == 0:
            t.now += rnd.random() * 3  # now and then an idle spell
        elif rnd.random() < 0.3:
            t.now += rnd.random() * 0.01  # some work between sends
        await paced.acquire()
        times.append(t.now)
    assert most_in_window(times, 1.0) <= rate
    # and it does not waste the rate: back to back, 500 acquisitions take about 500/rate seconds
    t2 = FakeTime()
    tight = PacedRate(rate, clock=t2)
    start = t2.now
    for _ in range(500):
        await tight.acquire()
    assert t2.now - start == pytest.approx(499 / rate, rel=1e-6)


async def test_paced_rate_with_concurrent_callers_in_virtual_time() -> None:
    v = VirtualClock()
    paced = PacedRate(50, clock=v)
    times: list[float] = []

    async def caller(n: int) -> None:
        for _ in range(n):
            await paced.acquire()
            times.append(v.now)

    await v.run(*(caller(25) for _ in range(20)))  # 20 callers x 25 = 500 slots
    assert len(times) == 500
    assert most_in_window(times, 1.0) <= 50
    assert max(times) - min(times) == pytest.approx(499 / 50, rel=1e-6)


async def test_paced_rate_reserve_and_pause() -> None:
    t = FakeTime()
    paced = PacedRate(10, clock=t)
    assert paced.reserve() == 0
    assert paced.reserve() == pytest.approx(0.1)
    assert paced.reserve() == pytest.approx(0.2)
    paced.pause(5)
    assert paced.reserve() == pytest.approx(5.0)
    with pytest.raises(ValueError):
        PacedRate(0)


# ---- ConversationWindows ---------------------------------------------------------------------


async def test_windows_enforce_7_per_second_8_per_2s_60_per_30s() -> None:
    t = FakeTime()
    windows = ConversationWindows(clock=t)
    start = t.now
    times = []
    for _ in range(130):
        await windows.acquire("a:chat")
        times.append(t.now)
    assert most_in_window(times, 1.0) == 7
    assert most_in_window(times, 2.0) == 8
    assert most_in_window(times, 30.0) == 60
    # the first 7 go at once, the 8th after a second, the 9th when the first leaves the 2 s window
    assert times[:7] == [start] * 7
    assert times[7] == pytest.approx(start + 1.0, abs=0.01)
    assert times[8] == pytest.approx(start + 2.0, abs=0.01)
    # the 61st waits for the first to leave the 30 s window
    assert times[60] >= start + 30.0
    # other conversations are not held back
    before = t.now
    await windows.acquire("a:other")
    assert t.now == before


async def test_windows_hourly_limit_1800() -> None:
    t = FakeTime()
    windows = ConversationWindows(clock=t)
    start = t.now
    for _ in range(1800):
        await windows.acquire("a:chat")
    assert t.now < start + 3600
    await windows.acquire("a:chat")
    assert t.now >= start + 3600


async def test_windows_count_the_reserved_slot_not_the_moment_let_through() -> None:
    t = FakeTime()
    windows = ConversationWindows(((1.0, 2),), clock=t)
    windows.record("c", 0.0)
    windows.record("c", 0.5)  # goes out half a second from now (its global slot)
    # the third may only leave one second after the first, and the window knows the second is later
    assert windows.wait_time("c") == pytest.approx(1.0)
    t.now += 0.6
    assert windows.wait_time("c") == pytest.approx(0.4)
    t.now += 0.6
    assert windows.wait_time("c") == 0  # only the one at +0.5 is left in the window
    windows.record("c", 0.0)
    windows.record("c", -5)  # a negative delay counts as now, history stays sorted
    assert list(windows._sent["c"]) == sorted(windows._sent["c"])


async def test_windows_margin_holds_each_window_a_little_longer() -> None:
    t = FakeTime()
    windows = ConversationWindows(((1.0, 1),), clock=t, margin=0.05)
    await windows.acquire("c")
    start = t.now
    await windows.acquire("c")
    assert t.now - start == pytest.approx(1.05, abs=0.002)


async def test_windows_forget_idle_conversations() -> None:
    t = FakeTime()
    windows = ConversationWindows(clock=t)
    for n in range(100):
        await windows.acquire(f"a:chat-{n}")
    t.now += 1800
    await windows.acquire("a:active")
    windows.forget_idle()
    assert len(windows._sent) == 101  # within the hour: all remembered (the hourly limit needs them)
    t.now += 1801
    windows.forget_idle()
    assert set(windows._sent) == {"a:active"}
    t.now += 3600
    windows.forget_idle()
    assert windows._sent == {}
    assert windows.wait_time("a:chat-1") == 0


def test_default_windows_are_teams_limits() -> None:
    assert CONVERSATION_WINDOWS == ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
