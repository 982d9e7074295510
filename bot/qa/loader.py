"""Entries for the question index: the FAQ file (line-numbered errors) and the programme as entries.

load_faq(content_dir)              -> list[Entry]   content/faq.yaml, FileErrors on problems
programme_entries(programme)       -> list[Entry]   purpose, participants, duration, ..., theme per activity
team_entries(content_dir)          -> list[Entry]   who teaches each activity (bot.qa.passages)
material_entries(materials, prog)  -> list[Entry]   the digital-track sequence per activity
readiness_entries()                -> list[Entry]   the six boxes (vertical/horizontal for 1-3)
passage_entries(content_dir)       -> list[Entry]   the programme description in passages (bot.qa.passages)
content_entries(content_dir)       -> list[Entry]   all of the above
load_index(content_dir, answered)  -> QuestionIndex over content + answered questions
write_vector_store(content_dir)    -> the dense vectors of the content, content/qa-vectors.npz
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.content.fields import FieldChecker
from bot.content.yamlfile import LineDict, load_yaml_file
from bot.domain.errors import FileError, FileErrors
from bot.domain.materials import KIND_LABELS_DA, Materials
from bot.domain.programme import ACTIVITY_KEYS, Activity, Programme
from bot.qa import dense, wordvec
from bot.qa.confidence import Thresholds
from bot.qa.entry import CURATED, Entry, dense_texts
from bot.qa.index import QuestionIndex
from bot.qa.passages import passage_entries, team_entries
from bot.qa.sentences import sentence_texts

FAQ_FILE = "faq.yaml"
FAQ_FIELDS = ("id", "q", "alt", "a", "source", "activity", "topic")
# Group-track and everyday-track activities (the names the nudges use) and the readiness model.
TRACK_KEYS = (
    "buddy-meeting",
    "lederspejl",
    "skyggepraktik",
    "leader-conversation",
    "leader-group",
    "mentor",
    "follow-up",
    "readiness",
)
FAQ_ACTIVITY_KEYS = ACTIVITY_KEYS + TRACK_KEYS
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}$")
MIN_ALT, MAX_ALT = 2, 6
MAX_ANSWER_CHARS = 900


class _Checker(FieldChecker):
    """The content checker, with FAQ texts' whitespace collapsed (folded YAML keeps line breaks)."""

    def text(self, node: LineDict, key: str, where: str, required: bool = True) -> str:
        return " ".join(super().text(node, key, where, required).split())


def parse_faq(data: Any, path: str) -> list[Entry]:
    """FAQ entries from parsed YAML; FileErrors listing every problem with its line."""
    check = _Checker(path)
    if not isinstance(data, LineDict):
        raise FileErrors([FileError(path, 1, "expected a mapping with 'entries'")])
    raw = data.get("entries")
    if not isinstance(raw, list) or not raw:
        raise FileErrors([FileError(path, data.line_of("entries"), "'entries' must be a non-empty list")])
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw, start=1):
        where = f"entry #{index}"
        if not isinstance(item, LineDict):
            check.error(data, "entries", f"{where} must be a mapping with id, q, alt, a and source")
            continue
        for extra in sorted(set(map(str, item)) - set(FAQ_FIELDS)):
            check.error(item, extra, f"{where}: unknown field {extra!r}; expected {', '.join(FAQ_FIELDS)}")
        entry_id = item.get("id")
        if not isinstance(entry_id, str) or not ID_RE.match(entry_id):
            check.error(item, "id", f"{where}: id must be lower-case letters, digits and '-' (e.g. buddy-moeder)")
            entry_id = ""
        else:
            where = f"entry '{entry_id}'"
            if entry_id in seen:
                check.error(item, "id", f"{where}: id used twice (first at line {seen[entry_id]})")
            seen.setdefault(entry_id, item.line_of("id"))
        question = check.text(item, "q", where)
        alts_raw = item.get("alt")
        alts: list[str] = []
        if not isinstance(alts_raw, list) or not MIN_ALT <= len(alts_raw) <= MAX_ALT:
            check.error(item, "alt" if "alt" in item else "q", f"{where}: 'alt' must be a list of {MIN_ALT}–{MAX_ALT} other ways to ask")
        else:
            for alt in alts_raw:
                if not isinstance(alt, str) or not alt.strip():
                    check.error(item, "alt", f"{where}: every 'alt' must be non-empty text")
                    continue
                alt = " ".join(alt.split())
                if alt.casefold() == question.casefold() or alt.casefold() in (a.casefold() for a in alts):
                    check.error(item, "alt", f"{where}: 'alt' repeats {alt!r}")
                    continue
                alts.append(alt)
        answer = check.text(item, "a", where)
        if len(answer) > MAX_ANSWER_CHARS:
            check.error(item, "a", f"{where}: answer is {len(answer)} characters; keep it under {MAX_ANSWER_CHARS} (1–4 sentences)")
        source = check.text(item, "source", where)
        activity = item.get("activity")
        if activity is not None and activity not in FAQ_ACTIVITY_KEYS:
            check.error(item, "activity", f"{where}: unknown activity {activity!r}; expected one of {', '.join(FAQ_ACTIVITY_KEYS)}")
            activity = None
        topic = item.get("topic", "")
        if not isinstance(topic, str):
            check.error(item, "topic", f"{where}: 'topic' must be text: the words a question about this entry names")
            topic = ""
        if entry_id and question and answer and source:
            entries.append(Entry(entry_id, question, tuple(alts), answer, source, activity, "faq", topic=" ".join(topic.split())))
    if check.errors:
        raise FileErrors(check.errors)
    return entries


def load_faq(content_dir: Path) -> list[Entry]:
    """content/faq.yaml as entries; FileErrors (file:line) on any problem."""
    path = content_dir / FAQ_FILE
    return parse_faq(load_yaml_file(path), str(path))


# --------------------------------------------------------------------- generated entries


def _label(activity: Activity) -> str:
    """'Modul 3: Talentledelse' -> 'Modul 3 – Talentledelse'."""
    return activity.name.replace(": ", " – ")


def _short(activity: Activity) -> str:
    """'Modul 3: Talentledelse' -> 'modul 3'; 'Kick-off' -> 'kick-off'."""
    return activity.name.split(":")[0].lower() if activity.is_module else activity.name[0].lower() + activity.name[1:]


def _topic(activity: Activity) -> str:
    """The words that single out an activity: '3 Talentledelse', 'Kick-off', 'workshop'.

    Words every module or many activities share ("modul", "nærmeste leder") are left out: a
    question that names only them has not said which activity it means.
    """
    if activity.is_module:
        number = activity.name.split(":")[0].split()[-1]
        return f"{number} {activity.competence}"
    if activity.key == "leader-ws":
        return "workshop lederworkshop"
    return activity.name


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def programme_entries(programme: Programme) -> list[Entry]:
    """Entries generated from every activity of the common track, with Danish question templates."""
    out: list[Entry] = []
    for a in programme.activities:
        name, short, label = a.name, _short(a), _label(a)
        theme = f" ({a.competence})" if a.competence else ""
        context = f"{name} {a.competence}"

        def add(
            aspect: str,
            source: str,
            question: str,
            alts: list[str],
            answer: str,
            extra: str = "",
            a: Activity = a,  # bound now: add() is called within this pass of the loop, but say so
            label: str = label,
            context: str = context,
        ) -> None:
            out.append(
                Entry(
                    f"{a.key}:{aspect}",
                    question,
                    tuple(alts),
                    answer,
                    f"{label} – {source}",
                    a.key,
                    "programme",
                    f"{context} {extra}".strip(),
                    topic=_topic(a),
                )
            )

        add(
            "purpose",
            "formål",
            f"Hvad er formålet med {name}?",
            [f"Hvorfor holder vi {short}?", f"Hvad skal {short}{theme} bruges til?", f"Hvad er {short}?"],
            _sentence(a.purpose),
        )
        add(
            "participants",
            "deltagere",
            f"Hvem deltager i {name}?",
            [f"Hvem er med til {short}?", f"Hvem er {short} for?", f"Skal nærmeste leder med til {short}?"],
            _sentence(a.participants_text),
        )
        duration = f"{name} varer {a.duration}."
        if a.is_module and a.key != "m2":
            duration += " Mellem dag 1 og dag 2 anvender du det lærte i praksis."
        add(
            "duration",
            "varighed",
            f"Hvor lang tid varer {name}?",
            [f"Hvor mange dage er {short}?", f"Hvad er varigheden af {short}?", f"Hvor længe varer {short}{theme}?"],
            duration,
        )
        add(
            "content",
            "indhold",
            f"Hvad sker der på {name}?",
            [f"Hvad arbejder vi med på {short}?", f"Hvad handler {short}{theme} om?", f"Hvad er indholdet af {short}?"]
            + ([f"Hvilke teorier og modeller bruger vi på {short}?"] if a.is_module else []),
            _sentence(a.content),
        )
        add(
            "outcome",
            "udbytte",
            f"Hvad får jeg ud af {name}?",
            [f"Hvad er udbyttet af {short}?", f"Hvad lærer jeg på {short}{theme}?"],
            _sentence(a.outcome),
        )
        if a.bring:
            add(
                "bring",
                "praktisk",
                f"Hvad skal jeg forberede og tage med til {name}?",
                [f"Hvad skal jeg medbringe til {short}?", f"Hvordan forbereder jeg mig til {short}{theme}?"],
                _sentence(a.bring),
            )
        if a.is_module:
            # "Hvilket modul handler om samskabelse?": the theme is named, the module is not (no topic).
            out.append(
                Entry(
                    f"{a.key}:theme",
                    f"Hvilket modul handler om {a.competence.lower()}?",
                    (f"Hvor arbejder vi med {a.competence.lower()}?", f"Hvornår lærer vi om {a.competence.lower()}?"),
                    f"Det gør {name}. {_sentence(a.purpose)}",
                    f"{label} – tema",
                    a.key,
                    "programme",
                    f"{context} {a.content}",
                )
            )
            add(
                "days",
                "dag 1 og dag 2",
                f"Hvad sker der på dag 1 og dag 2 af {name}?",
                [f"Hvad er forskellen på dag 1 og dag 2 på {short}?", f"Hvad sker der mellem de to dage på {short}?"],
                f"{_sentence(a.day1)} {_sentence(a.day2)}",
            )
    return out


def material_entries(materials: Materials, programme: Programme) -> list[Entry]:
    """One entry per activity: the intro, article and literature the talent gets before it."""
    out: list[Entry] = []
    for key, seq in materials.sequences.items():
        a = programme.activity(key)
        name, short = a.name, _short(a)
        steps = "; ".join(f"{KIND_LABELS_DA.get(m.kind, m.kind)}: ”{m.title}” (ca. {m.minutes} min.)" for m in seq.steps)
        answer = (
            f"Før {name} får du i det digitale spor: {steps}. "
            f"Grundlitteraturen er valgfri; materialet kommer i chatten her i god tid før aktiviteten."
        )
        context = " ".join(m.description for m in seq.steps) + " " + seq.reminder
        out.append(
            Entry(
                f"{key}:materials",
                f"Hvilke materialer får jeg før {name}?",
                (
                    f"Hvad skal jeg læse før {short}?",
                    f"Hvilken video eller podcast og artikel er der til {short}?",
                    f"Hvad er forberedelsen i det digitale spor til {short}?",
                ),
                answer,
                f"Digitalt spor – forberedelse til {_label(a)}",
                key,
                "material",
                context,
                topic=_topic(a),
            )
        )
    return out


def readiness_entries() -> list[Entry]:
    """The readiness boxes with the programme's own words (bot.domain.readiness)."""
    from bot.domain import readiness as r

    out: list[Entry] = []
    for box in r.BOXES:
        aims = ("vertical", "horizontal") if box <= 3 else ("vertical",)
        for aim in aims:
            tasks = "stretch" if box <= 3 else "simple"
            perf = r.PERFORMANCES[(box - 1) % 3]
            aim_word = {"vertical": "vertikal", "horizontal": "horisontal"}[aim]
            suffix = f" ({aim_word})" if box <= 3 else ""
            entry_id = f"readiness:box{box}" + (f":{aim}" if box <= 3 else "")
            answer = (
                f"Boks {box}{suffix}: {r.description(box, aim)} "
                f"({r.TASK_NAMES_DA[(aim, tasks)]}; {r.PERFORMANCE_NAMES_DA[perf].lower()}.) "
                f"Anbefaling: {r.recommendation(box, aim)}"
            )
            alts = [f"Hvad anbefales for et talent i boks {box}{suffix}?", f"Hvad er anbefalingen i boks {box}{suffix}?"]
            if box <= 3:
                alts.append(f"Jeg er placeret i boks {box} og vil udvikle mig {aim_word}t – hvad så?")
            else:
                alts.append(f"Hvad sker der, hvis jeg lander i boks {box}?")
            out.append(
                Entry(
                    entry_id,
                    f"Hvad betyder boks {box}{suffix} i parathedskriterierne?",
                    tuple(alts),
                    answer,
                    f"Parathedskriterier – boks {box}{suffix}",
                    "readiness",
                    "programme",
                    f"parathedskriterier {r.AIM_NAMES_DA[aim]} {r.AIM_HINTS_DA[aim]}",
                    topic=str(box),
                )
            )
    return out


_entries_cache: dict[tuple[Path, tuple[tuple[str, int, int], ...]], list[Entry]] = {}


def _stamp(content_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and mtime of every file in content/: a changed file means new entries."""
    return tuple(sorted((p.name, st.st_size, st.st_mtime_ns) for p in content_dir.iterdir() if p.is_file() for st in (p.stat(),)))


def content_entries(content_dir: Path) -> list[Entry]:
    """FAQ + programme + materials + readiness + the programme text's passages: everything content/ answers.

    Kept per process while no file of content/ changes: the app (and each test's app) builds the
    index from these, and parsing the YAML is most of a build."""
    key = (content_dir.resolve(), _stamp(content_dir))
    cached = _entries_cache.get(key)
    if cached is None:
        cached = _entries_cache[key] = _content_entries(content_dir)
    load_vector_store(content_dir)
    return list(cached)


def _content_entries(content_dir: Path) -> list[Entry]:
    from bot.content.materials import load_content

    programme, materials = load_content(content_dir)
    return [
        *load_faq(content_dir),
        *programme_entries(programme),
        *material_entries(materials, programme),
        *readiness_entries(),
        *team_entries(content_dir),
        *passage_entries(content_dir),
    ]


_stores_loaded: set[Path] = set()


def load_vector_store(content_dir: Path) -> None:
    """The shipped vectors of content/ into the dense cache (once per process and folder)."""
    path = (content_dir / dense.STORE_FILE).resolve()
    if path in _stores_loaded or not dense.enabled():
        return
    _stores_loaded.add(path)
    dense.load_store(path)


def write_vector_store(content_dir: Path) -> int:
    """Embed every text of content/ and each of its words alone (bot.qa.wordvec); write content/qa-vectors.npz."""
    return dense.save_store(content_dir / dense.STORE_FILE, store_texts(content_dir))


def store_texts(content_dir: Path) -> list[tuple[str, bool]]:
    """What the shipped store holds: (text, is_query) of every entry's texts, of its answer's sentences and of every content word."""
    entries = content_entries(content_dir)
    texts = [t for e in entries for t in dense_texts(e)]
    words = wordvec.vocabulary([t for t, _ in texts])
    sentences = [(s, False) for e in entries if e.kind in CURATED for s in sentence_texts(e)]
    return list(dict.fromkeys([*texts, *sentences, *((w, True) for w in words)]))


def load_index(content_dir: Path, answered: Iterable[Entry] = (), thresholds: Thresholds | None = None) -> QuestionIndex:
    """The question index over content/ plus already answered (reusable) questions."""
    return QuestionIndex(thresholds).build([*content_entries(content_dir), *answered])


if __name__ == "__main__":  # python -m bot.qa.loader: refresh content/qa-vectors.npz after a content change
    import sys

    from bot.config import REPO_ROOT

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT / "content"
    print(f"{write_vector_store(folder)} vectors written to {folder / dense.STORE_FILE}")
