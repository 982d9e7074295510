"""Fast meaning for the question index: e5 vectors of single words, a text's vector the mean of its words'.

Embedding a whole question with e5 costs ~1.3 ms per token on one core (20-30 ms for a question,
more on a busy machine): the answer's p99 could not stay under 20 ms. Here every word of the
content is embedded ONCE, alone, as an e5 query (shipped in content/qa-vectors.npz with the other
vectors, and cached in memory), and a text is the normalised mean of the vectors of its content
words - a static embedding distilled from the same model (the model2vec idea, at word level). A
question then costs a few dictionary look-ups and one matrix product. What it loses is context
(word order, negation); what it keeps is the part that mattered here: "chef" lies near "leder",
"makker" near "buddy", a misspelt word near its spelling.

A word no vector is known for is embedded when it is met (at most LIVE_WORDS per question, so an
answer never waits for more than that; the rest are left out), then kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.qa import dense
from bot.qa.text import STOPWORDS, SYNONYMS, words

LIVE_WORDS = 0  # unknown words embedded per question (~7 ms each); further unknown words are left out
MAX_WORDS = 64  # words of a long text that count (passages are long; their first words are their topic)


def content_words(text: str) -> list[str]:
    """The normalised content words of a text (stopwords out, everyday words mapped to the programme's)."""
    out: list[str] = []
    for pieces in words(text):
        for w in pieces:
            if w in STOPWORDS or (len(w) < 2 and not w.isdigit()):
                continue
            out.append(SYNONYMS.get(w, w))
    return out


def vocabulary(texts: Sequence[str]) -> list[str]:
    """The distinct content words of these texts, in first-seen order (what the store must hold)."""
    return list(dict.fromkeys(w for t in texts for w in content_words(t)))


def _mean(ws: list[str], known: dict[str, Any]) -> Any:
    import numpy as np

    vs = [known[w] for w in ws if w in known]
    if not vs:
        return np.zeros(dense.DIM, dtype=np.float32)
    v = np.sum(vs, axis=0, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def encode(texts: Sequence[str]) -> Any | None:
    """An (n, 384) float32 array, one word-mean vector per text (every word embedded if new), or None without a model."""
    import numpy as np

    lists = [content_words(t)[:MAX_WORDS] for t in texts]
    vocab = list(dict.fromkeys(w for ws in lists for w in ws))
    vectors = dense.embed(vocab, is_query=True)
    if vectors is None:
        return None
    known = dict(zip(vocab, vectors, strict=True))
    if not texts:
        return np.zeros((0, dense.DIM), dtype=np.float32)
    return np.stack([_mean(ws, known) for ws in lists]).astype(np.float32)


def encode_query(text: str) -> Any | None:
    """One question's word-mean vector (384,), embedding at most LIVE_WORDS unknown words; None without a model."""
    if dense.model() is None:
        return None
    ws = content_words(text)[:MAX_WORDS]
    known = dense.cached_queries(ws)
    new = [w for w in dict.fromkeys(ws) if w not in known][:LIVE_WORDS]
    if new:
        vectors = dense.embed(new, is_query=True)
        if vectors is not None:
            known.update(zip(new, vectors, strict=True))
    return _mean(ws, known)
