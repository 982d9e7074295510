"""A loopback Bot Connector that ENFORCES Teams' rate limits and injects faults deterministically.

POST /v3/conversations/{cid}/activities is answered like the real service:

* a global sliding one-second window of `rate` requests (per app and tenant) and the
  per-conversation windows (7/1 s, 8/2 s, 60/30 s, 1800/h) — a request over any of them gets
  429 with Retry-After, counted in `pacing_429s` (our sender broke the limits);
* then injected faults, drawn from (seed, message key, attempt) so the same requests fail
  whatever the timing: `p500` 500s,
  `p429` 429s with `retry_after`, `p_timeout` hangs (the answer comes after `hang_seconds`,
  beyond the client's timeout, and is not a delivery); `scripted` answers per message key;
  403/404 for the conversations in `gone`; 413 for bodies over `max_bytes`;
* otherwise 201 with a fresh activity id; every accepted message is recorded with its
  conversation, its key and its arrival time.

A message's key is `channelData.outboxKey` when the test put one in the payload, else the
conversation id plus a hash of the body (a broadcast sends one body per conversation).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAMS_WINDOWS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))


@dataclass(frozen=True)
class Accepted:
    """One message the fake accepted (201)."""

    conversation: str
    key: str
    at: float  # time.monotonic() at arrival
    activity_id: str


@dataclass(frozen=True)
class Answer:
    """One request and what the fake answered."""

    conversation: str
    key: str
    at: float
    status: int
    reason: str  # accepted, pacing-global, pacing-conversation, injected, gone, too-large, scripted, timeout


def message_key(conversation: str, body: dict[str, Any]) -> str:
    """channelData.outboxKey if the test set one, else conversation + a hash of the body."""
    data = body.get("channelData")
    if isinstance(data, dict) and data.get("outboxKey"):
        return str(data["outboxKey"])
    digest = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return f"{conversation}|{digest}"


@dataclass
class LimitedConnector:
    """Bot Connector v3 on 127.0.0.1 that enforces Teams' limits and injects faults by seed."""

    rate: float = 50.0  # global requests per sliding second
    windows: tuple[tuple[float, int], ...] = TEAMS_WINDOWS
    seed: int = 1
    p500: float = 0.0
    p429: float = 0.0
    retry_after: float = 1.0  # seconds, for injected 429s
    p_timeout: float = 0.0
    hang_seconds: float = 1.0  # how long a "timeout" request hangs (set beyond the client timeout)
    gone: dict[str, int] = field(default_factory=dict)  # conversation id -> 403 or 404
    scripted: dict[str, list[int]] = field(default_factory=dict)  # message key -> statuses to answer first, in order
    max_bytes: int = 40 * 1024  # Teams' message size limit is about 40 KB -> 413 above it
    key_of: Callable[[str, dict[str, Any]], str] = message_key
    clock: Callable[[], float] = time.monotonic

    url: str = ""
    accepted: list[Accepted] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    pacing_429s: int = 0  # 429s because the sender broke a limit (global or per conversation)
    pacing_global: int = 0
    pacing_conversation: int = 0
    injected: Counter = field(default_factory=Counter)  # status -> count of injected / configured faults
    _attempts: dict[str, int] = field(default_factory=dict)  # message key -> requests that reached the fault draw
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _global: deque = field(default_factory=deque)
    _per_conversation: dict[str, deque] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event | None = None

    # ---- server -------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        return app

    async def start(self) -> str:
        self._arrived = asyncio.Event()
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- limits -------------------------------------------------------------------------------
    def _over_global(self, now: float) -> float | None:
        """Seconds until one more request fits the global window, or None when it fits now."""
        q = self._global
        while q and q[0] <= now - 1.0:
            q.popleft()
        if len(q) >= self.rate:
            return q[-int(self.rate)] + 1.0 - now
        return None

    def _over_conversation(self, cid: str, now: float) -> float | None:
        q = self._per_conversation.setdefault(cid, deque())
        longest = max(w for w, _ in self.windows)
        while q and q[0] <= now - longest:
            q.popleft()
        wait = None
        for window, limit in self.windows:
            inside = sum(1 for t in q if t > now - window) if len(q) >= limit else 0
            if inside >= limit:
                recent = [t for t in q if t > now - window]
                moment = recent[-limit] + window - now
                wait = moment if wait is None else max(wait, moment)
        return wait

    async def _post(self, request: web.Request) -> web.Response:
        now = self.clock()  # arrival, before the body is read
        cid = request.match_info["cid"]
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            return web.json_response({"error": {"code": "BadSyntax"}}, status=400)
        key = self.key_of(cid, body)

        def answer(status: int, reason: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
            self.answers.append(Answer(cid, key, now, status, reason))
            if self._arrived is not None:
                self._arrived.set()
            return web.json_response(payload, status=status, headers=headers)

        async def hang(response: web.Response) -> web.Response:
            # recorded on arrival; the answer comes after the client has given up (not a delivery)
            self.injected["timeout"] += 1
            await asyncio.sleep(self.hang_seconds)
            return response

        # 1. our limits: a request that breaks one is refused and not counted
        wait = self._over_global(now)
        if wait is not None:
            self.pacing_429s += 1
            self.pacing_global += 1
            return answer(429, "pacing-global", _error("TooManyRequests", "app rate exceeded"), {"Retry-After": f"{max(wait, 0.001):.3f}"})
        wait = self._over_conversation(cid, now)
        if wait is not None:
            self.pacing_429s += 1
            self.pacing_conversation += 1
            return answer(
                429,
                "pacing-conversation",
                _error("TooManyRequests", "conversation rate exceeded"),
                {"Retry-After": f"{max(wait, 0.001):.3f}"},
            )
        self._global.append(now)
        self._per_conversation[cid].append(now)

        # 2. faults: scripted per key, then gone conversations, size, then random by seed
        script = self.scripted.get(key)
        if script:
            status = script.pop(0)
            if status == 0:  # a scripted timeout
                return await hang(answer(504, "timeout", _error("GatewayTimeout", "hung")))
            if not 200 <= status < 300:
                self.injected[status] += 1
                headers = {"Retry-After": f"{self.retry_after:g}"} if status == 429 else None
                return answer(status, "scripted", _error("Scripted", f"scripted {status}"), headers)
        if cid in self.gone:
            status = self.gone[cid]
            self.injected[status] += 1
            return answer(status, "gone", _error("ConversationNotFound" if status == 404 else "BotDisabledByAdmin", "gone"))
        if len(raw) > self.max_bytes:
            self.injected[413] += 1
            return answer(413, "too-large", _error("MessageSizeTooBig", f"{len(raw)} bytes"))
        attempt = self._attempts[key] = self._attempts.get(key, 0) + 1
        draw = random.Random(f"{self.seed}/{key}/{attempt}").random()  # the same faults whatever the timing
        if draw < self.p500:
            self.injected[500] += 1
            return answer(500, "injected", _error("InternalServerError", "injected"))
        draw -= self.p500
        if draw < self.p429:
            self.injected[429] += 1
            return answer(429, "injected", _error("TooManyRequests", "injected"), {"Retry-After": f"{self.retry_after:g}"})
        draw -= self.p429
        if draw < self.p_timeout:
            return await hang(answer(504, "timeout", _error("GatewayTimeout", "hung")))

        activity_id = f"msg-{next(self._ids)}"
        self.accepted.append(Accepted(cid, key, now, activity_id))
        return answer(201, "accepted", {"id": activity_id})

    # ---- what happened ------------------------------------------------------------------------
    async def wait_for(self, accepted: int, timeout: float = 10.0) -> None:
        """Until at least `accepted` messages were accepted (or fail after timeout seconds)."""
        assert self._arrived is not None
        deadline = time.monotonic() + timeout
        while len(self.accepted) < accepted:
            self._arrived.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"only {len(self.accepted)} of {accepted} accepted")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    def keys(self) -> Counter:
        """How many times each message key was accepted."""
        return Counter(a.key for a in self.accepted)

    def duplicates(self) -> int:
        """Accepted messages beyond the first per key."""
        return sum(n - 1 for n in self.keys().values() if n > 1)

    def max_in_window(self, seconds: float = 1.0, *, requests: bool = False) -> int:
        """Most accepted messages (or counted requests) in any sliding window of `seconds`."""
        times = (
            [a.at for a in self.answers if a.reason not in ("pacing-global", "pacing-conversation")]
            if requests
            else [a.at for a in self.accepted]
        )
        return max_in_window(times, seconds)

    def max_per_second(self) -> int:
        """Most accepted messages in any one-second window."""
        return self.max_in_window(1.0)

    def max_in_conversation_window(self, seconds: float) -> int:
        """Most accepted messages to one conversation in any window of `seconds`."""
        by_cid: dict[str, list[float]] = {}
        for a in self.accepted:
            by_cid.setdefault(a.conversation, []).append(a.at)
        best = 0
        for times in by_cid.values():
            times.sort()
            lo = 0
            for hi, t in enumerate(times):
                while times[lo] <= t - seconds:
                    lo += 1
                best = max(best, hi - lo + 1)
        return best

    def statuses(self) -> Counter:
        return Counter(a.status for a in self.answers)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class ProcessConnector:
    """Runs a LimitedConnector in a child process: its arrival times are then not skewed by the
    sender's event loop or the GIL (as with a real, remote service). After stop(), `fake` holds
    what the child recorded (accepted, answers, counters), so its methods work as usual."""

    def __init__(self, fake: LimitedConnector) -> None:
        import multiprocessing

        self.fake = fake
        context = multiprocessing.get_context("fork")  # before any loop of ours runs in the child
        self._parent, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(fake, child), name="fake-connector", daemon=True)

    def start(self) -> str:
        self._process.start()
        if not self._parent.poll(10):
            raise RuntimeError("the fake connector process did not start")
        self.fake.url = self._parent.recv()
        return self.fake.url

    def stop(self) -> None:
        if not self._process.is_alive():
            return
        self._parent.send("stop")
        if self._parent.poll(60):
            state = self._parent.recv()
            for name, value in state.items():
                setattr(self.fake, name, value)
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


RECORDED = ("accepted", "answers", "pacing_429s", "pacing_global", "pacing_conversation", "injected")


def _serve(fake: LimitedConnector, pipe: Any) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        pipe.send(await fake.start())
        await loop.run_in_executor(None, pipe.recv)  # until "stop"
        await fake.stop()
        pipe.send({name: getattr(fake, name) for name in RECORDED})

    asyncio.run(main())


def max_in_window(times: list[float], seconds: float = 1.0) -> int:
    """Most events in any sliding window of `seconds`."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
