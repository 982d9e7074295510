"""What a person's chat text asks for: a small, forgiving Danish command parser."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.domain.text import MAX_CLASSIFY_CHARS, strip_mentions, strip_tags

_PUNCT_RE = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Intent:
    """A recognised request: its name and the rest of the text as argument."""

    name: str
    arg: str = ""


# (intent, exact phrases after normalisation). Kept as data so the help card and tests can see it.
PHRASES: dict[str, tuple[str, ...]] = {
    "help": (
        "hjælp",
        "hjaelp",
        "help",
        "hjælp mig",
        "kommandoer",
        "hvad kan du",
        "hvad kan du hjælpe med",
        "hvad kan jeg skrive",
        "menu",
        "start",
    ),
    "next": (
        "næste",
        "naeste",
        "next",
        "hvad nu",
        "hvad skal jeg nu",
        "hvad er det næste",
        "hvad er næste",
        "hvad sker der nu",
        "hvad skal jeg",
        "hvornår er næste modul",
        "hvornår er det næste",
        "næste aktivitet",
        "næste modul",
        "hvad skal jeg forberede",
        "hvad skal jeg nå",
        "hvad kommer der nu",
        "program",
        "kalender",
    ),
    "library": ("materialer", "materiale", "bibliotek", "biblioteket", "mine materialer", "library"),
    "greeting": ("hej", "hejsa", "hallo", "goddag", "godmorgen", "hi", "hello", "dav"),
    "thanks": ("tak", "mange tak", "tusind tak", "tak for det", "super tak"),
    "publish": ("publicér", "publicer", "publish", "udgiv materialer", "publicér materialer"),
    "development_plan": (
        "udviklingsplan",
        "udviklingsplanen",
        "min udviklingsplan",
        "udviklingsplaner",
        "min plan",
        "mine mål",
        "læringsmål",
        "mine læringsmål",
    ),
    "status": ("status", "rapport", "statusrapport", "status for holdet", "succeskriterier"),
    "instructors_channel": ("underviserkanal",),
}
PREFIXES: dict[str, tuple[str, ...]] = {
    "ask": ("spørg ", "spoerg ", "spørgsmål "),
    "broadcast": ("broadcast ", "udsend "),
    "status": ("status ", "rapport "),
}
# Prefix commands whose argument is free text for others to read: keep it as written.
RAW_ARGUMENT = ("broadcast",)


def normalise(text: str) -> str:
    """Lower-case, mentions and markup removed, punctuation dropped, spaces collapsed."""
    text = strip_tags(strip_mentions(text or ""))
    text = unicodedata.normalize("NFC", text).lower()
    text = _PUNCT_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip()


def classify(text: str) -> Intent:
    """The intent of a chat message; 'unknown' when nothing matches, 'empty' for nothing at all."""
    norm = normalise((text or "")[:MAX_CLASSIFY_CHARS])
    if not norm:
        return Intent("empty")
    for name, phrases in PHRASES.items():
        if norm in phrases:
            return Intent(name)
    for name, prefixes in PREFIXES.items():
        for prefix in prefixes:
            if norm.startswith(prefix):
                if name in RAW_ARGUMENT:
                    raw = strip_tags(strip_mentions(text or "")).strip()
                    return Intent(name, raw.split(None, 1)[1].strip() if len(raw.split(None, 1)) > 1 else "")
                return Intent(name, norm[len(prefix) :].strip())
    if norm.startswith("næste ") or norm.endswith(" næste"):
        return Intent("next")
    return Intent("unknown", norm)
