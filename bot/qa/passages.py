"""The programme description (content/programme-text.da.txt) split into passages for the question index.

The text is a PDF export: headings in capitals (" MODUL 3: TALENTLEDELSE"), field labels with
spaced letters ("F o r m å l e t", "V a r i g h e d"), lost ligatures ("o!e" for "ofte"). A
passage is one blank-line block of it (merged with its neighbours when short, cut into windows
when long), labelled with the heading it stands under, so a question the FAQ does not foresee
still finds the paragraph that answers it and the bot can say where that is.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from bot.qa.entry import Entry
from bot.qa.text import analyse

PROGRAMME_TEXT_FILE = "programme-text.da.txt"
SOURCE_PREFIX = "Programbeskrivelsen"
MIN_WORDS = 25  # shorter blocks are merged with the next one under the same heading
MAX_WORDS = 90  # longer blocks are cut into windows of about this size ...
OVERLAP_WORDS = 20  # ... that overlap, so a sentence on a cut is whole in one of them
MAX_HEADING_CHARS = 80

_SPACED = re.compile(r"(?<!\S)(?:[A-Za-zÆØÅæøå] ){2,}[A-Za-zÆØÅæøå](?!\S)")
_LIGATURE_FT = re.compile(r"(?<=[a-zæøå])!(?=[a-zæøå])")
_LIGATURE_FI = re.compile(r'(?<=[a-zæøå])"(?=[a-zæøå])')
_HYPHEN_BREAK = re.compile(r"([a-zæøå])- ([a-zæøå])")
_PAGE_NUMBER = re.compile(r"^\s*\d{1,2}\s*$")


def _despace(line: str) -> str:
    """'F o r m å l e t' -> 'Formålet'; 'U D B Y T T E  F O R' -> 'UDBYTTE FOR'."""
    if "  " in line and _SPACED.search(line):
        return " ".join(_SPACED.sub(lambda m: m.group(0).replace(" ", ""), part) for part in re.split(r" {2,}", line))
    return _SPACED.sub(lambda m: m.group(0).replace(" ", ""), line)


def clean_line(line: str) -> str:
    """One line of the export with spaced letters joined and the lost ligatures restored."""
    line = _despace(line.rstrip())
    line = _LIGATURE_FT.sub("ft", line)
    return _LIGATURE_FI.sub("fi", line)


def _is_heading(raw: str, cleaned: str) -> bool:
    """A heading: a short line in capitals (the export indents most of them by one space)."""
    text = cleaned.strip()
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 4 or len(text) > MAX_HEADING_CHARS:
        return False
    upper = sum(c.isupper() for c in letters) / len(letters)
    return upper >= 0.85 and (raw.startswith(" ") or len(text.split()) <= 8)


def _heading_label(text: str) -> str:
    """'MODUL 3: TALENTLEDELSE (FORTSAT)' -> 'Modul 3: Talentledelse'."""
    text = re.sub(r"\(\s*FORTSAT\s*\)", "", text, flags=re.I).strip(" :-–")
    text = re.sub(r"\s+\d+(?:\s+\d+)*$", "", text)  # footnote marks: "SEKTOR1 2 6" keeps "SEKTOR1"
    label = text.lower().capitalize()
    for word in ("talent nord", "lead", "leadership pipeline", "nordjylland"):
        label = re.sub(rf"\b{word}\b", word.title() if word != "lead" else "LEAD", label)
    return label


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """(heading, lines) for every blank-line block, headings carried forward."""
    heading = "Indledning"
    out: list[tuple[str, list[str]]] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            out.append((heading, list(current)))
            current.clear()

    for raw in text.splitlines():
        if not raw.strip() or _PAGE_NUMBER.match(raw):
            flush()
            continue
        cleaned = clean_line(raw)
        if _is_heading(raw, cleaned):
            flush()
            heading = _heading_label(cleaned.strip())
            continue
        current.append(cleaned.strip())
    flush()
    return out


def _windows(words: list[str]) -> list[list[str]]:
    if len(words) <= MAX_WORDS + MIN_WORDS:
        return [words]
    step = MAX_WORDS - OVERLAP_WORDS
    out = []
    for start in range(0, len(words), step):
        out.append(words[start : start + MAX_WORDS])
        if start + MAX_WORDS >= len(words):
            break
    return out


def split_passages(text: str) -> list[tuple[str, str]]:
    """(heading, passage text) pairs covering the whole text."""
    merged: list[tuple[str, list[str]]] = []
    for heading, lines in _blocks(text):
        words = _HYPHEN_BREAK.sub(r"\1\2", " ".join(lines)).split()
        if merged and merged[-1][0] == heading and len(merged[-1][1]) < MIN_WORDS:
            merged[-1][1].extend(words)
        else:
            merged.append((heading, words))
    out: list[tuple[str, str]] = []
    for heading, words in merged:
        if len(words) < 4:  # figure labels ("Organisation", "Team") carry no answer
            continue
        out.extend((heading, " ".join(window)) for window in _windows(words))
    return out


def passage_entries(content_dir: Path) -> list[Entry]:
    """The programme description as 'passage' entries (none when the file is absent)."""
    path = content_dir / PROGRAMME_TEXT_FILE
    if not path.exists():
        return []
    out: list[Entry] = []
    for n, (heading, text) in enumerate(split_passages(path.read_text(encoding="utf-8")), start=1):
        digest = hashlib.sha1(text.encode()).hexdigest()[:8]
        out.append(Entry(f"passage:{n}:{digest}", heading, (), text, f"{SOURCE_PREFIX} – {heading}", None, "passage"))
    return out


_TEAM = re.compile(r"Konsulentteamet(?: er)? (.+?)(?:\.(?=\s|$)|(?= Varighed))")


def team_entries(content_dir: Path) -> list[Entry]:
    """Who teaches each activity ("Konsulentteamet er ..."), as one entry per activity of the text.

    The activities' own entries (bot.qa.loader) say who takes part, not who teaches; the text names
    the consultant team of each, and "hvem underviser på modul 3" should get those names."""
    path = content_dir / PROGRAMME_TEXT_FILE
    if not path.exists():
        return []
    out: list[Entry] = []
    seen: set[str] = set()
    for heading, text in split_passages(path.read_text(encoding="utf-8")):
        found = _TEAM.search(text)
        if not found or heading in seen:
            continue
        seen.add(heading)
        name = heading.split(":")[0]  # "Modul 3", "Kick-off"
        topic = " ".join(w for w in re.split(r"[\s:]+", heading) if w.lower() != "modul")
        out.append(
            Entry(
                f"team:{hashlib.sha1(heading.encode()).hexdigest()[:8]}",
                f"Hvem underviser på {heading}?",
                (f"Hvem står for {name}?", f"Hvem er underviserne på {name}?", f"Hvilke konsulenter er på {name}?"),
                f"Konsulentteamet på {heading} er {found.group(1)}.",
                f"{SOURCE_PREFIX} – {heading}",
                None,
                "programme",
                topic=topic,
            )
        )
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9•–-])|\s+(?=[•–] )")
MIN_SHOWN_WORDS = 35  # a trimmed passage keeps at least this much context around what matched
LIST_ITEMS = 5  # items of a list shown after the sentence that announces it


def _is_item(sentence: str) -> bool:
    """A list item of the export: a bullet, or a short line without a full stop."""
    text = sentence.strip()
    return text[:1] in "•–-" or (len(text.split()) <= 12 and not text.endswith("."))


def sentences(text: str) -> list[str]:
    """The sentences (and bullet items) of an answer or passage, in order."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def trim_passage(text: str, query_terms: set[str]) -> str:
    """The run of sentences from the first to the last one that shares a term with the question.

    Widened by neighbours to MIN_SHOWN_WORDS, so the reply reads as text and not as a fragment;
    the whole passage when no sentence matches (it was found by meaning, not by words)."""
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if len(sentences) <= 2 or not query_terms:
        return text
    hits = [i for i, s in enumerate(sentences) if {t.term for t in analyse(s)} & query_terms]
    if not hits:
        return text
    first, last = hits[0], hits[-1]

    def size() -> int:
        return sum(len(s.split()) for s in sentences[first : last + 1])

    while size() < MIN_SHOWN_WORDS and (first > 0 or last < len(sentences) - 1):
        if last < len(sentences) - 1:
            last += 1
        if size() < MIN_SHOWN_WORDS and first > 0:
            first -= 1
    # A sentence that announces a list ("Med skyggepraktikken får talenterne:") says nothing without
    # the list: what follows it is shown too, up to LIST_ITEMS items.
    announced = [i for i in range(first, last + 1) if sentences[i].rstrip().endswith(":")]
    if announced:
        end = announced[-1] + 1  # the first item, whatever it looks like
        while end < len(sentences) - 1 and end - announced[-1] < LIST_ITEMS and _is_item(sentences[end + 1]):
            end += 1
        last = max(last, min(end, len(sentences) - 1))
    shown = " ".join(sentences[first : last + 1])
    return ("… " if first > 0 else "") + shown + (" …" if last < len(sentences) - 1 else "")
