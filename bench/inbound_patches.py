"""Experiments for bench/inbound.py --patch NAME: private monkeypatches, never edits of the bot.

The experiments that paid off (token client cache, one-query profile, column queries, find_known,
conversation upsert retry, gc.freeze, one parse per request, no template stat, direct JSON replies)
are now in the bot itself; what is left here measures, it does not propose.
(Tried and dropped: a gen0 GC threshold of 20 000 - fewer but longer pauses, the same p99.)"""

from __future__ import annotations

PATCHES = {}


def patch(fn):
    PATCHES[fn.__name__] = fn
    return fn


def apply(name: str) -> None:
    if name not in PATCHES:
        raise SystemExit(f"unknown patch {name!r}; known: {', '.join(sorted(PATCHES))}")
    PATCHES[name]()


@patch
def gc_stats() -> None:
    """MEASUREMENT ONLY: at exit, print how many collections per generation ran and their pauses
    (whole process: both bots, client and fake connector)."""
    import atexit
    import gc
    import time

    pauses = {0: [], 1: [], 2: []}
    started = [0.0]

    def callback(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])

    gc.callbacks.append(callback)

    def report():
        for gen, p in pauses.items():
            if p:
                print(f"gc gen{gen}: {len(p)} collections, total {sum(p) * 1000:.0f} ms, max {max(p) * 1000:.1f} ms")

    atexit.register(report)
