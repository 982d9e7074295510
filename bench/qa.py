"""Question-index benchmark: quality on the tuning and held-out sets with 0 and N learned answers, latency, build, memory.

    .venv/bin/python bench/qa.py [--answered 10000 --queries 2000 --seed 7] [--sweep] [--details]

Sets:
  tuning    tests/qa_questions.yaml: in_scope/out_of_scope graded by expected entry ids, and
            passage_in_scope/passage_out_of_scope graded by what the reply says (must_mention).
  blind2    tests/qa_blind2.yaml, the second blind set: reported once blind, now development data
            (its misses are listed with --details).
  dev4      tests/qa_dev4.yaml (or --dev4 PATH), a fourth blind set written as development data.
  dev5      tests/qa_dev5.yaml, a fifth blind set, measured blind once, development data since.
  dev6      tests/qa_dev6.yaml, a sixth blind set, measured blind once, development data since.
  dev7      tests/qa_dev7.yaml, a seventh blind set, measured blind once, development data since.
  blind3    tests/qa_blind3.yaml, a third set written blind from the programme text (149 in, 41 out of scope),
            frozen before its first run; aggregate only, like the held-out set.
  held-out  tests/qa_heldout.yaml, written blind from the programme text alone and frozen; graded
            by must_mention (every group needs one alternative in the confident reply) and by
            hand-off for out-of-scope. Only its aggregate figures are printed, and only with
            --heldout (never tune on it; --details lists development misses only).
Each set is measured on the content-only index and on one with N synthetic learned answers
(instructors' answers, generated from templates with a fixed seed). Then: index build time,
one add(), answer latency p50/p99 over Q queries (labelled questions and paraphrases of learned
ones; the query-vector cache is off, so every answer embeds its question), how often a
paraphrased learned question finds its own entry, how often one asked again word for word is
answered with its answer, and the resident memory with the model loaded.
Exit status 1 when a latency/build target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.qa import dense
from bot.qa.evaluate import (
    Labelled,
    Mentioned,
    evaluate,
    evaluate_mentioned,
    load_labelled,
    load_mentioned,
    sweep,
)
from bot.qa.index import KINDS, Entry, QuestionIndex
from bot.qa.loader import content_entries

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
LABELLED = ROOT / "tests" / "qa_questions.yaml"
HELDOUT = ROOT / "tests" / "qa_heldout.yaml"  # written blind from the programme text; frozen, never tuned on
# The second blind set, reported once and then retired to the tuning side (p-qa4): its misses may be read.
BLIND2 = ROOT / "tests" / "qa_blind2.yaml"
BLIND3 = ROOT / "tests" / "qa_blind3.yaml"  # a third blind set, frozen before its first run; aggregate only
DEV4 = ROOT / "tests" / "qa_dev4.yaml"  # a fourth blind set, development data from the start (p-rank)
# A fifth blind set, frozen at 26e0987 and measured blind once (main dbd83b3: 72.8 % right, 14/72
# out-of-scope answered, 12 of them marked near); development data since.
DEV5 = ROOT / "tests" / "qa_dev5.yaml"
# A sixth, frozen at 190b802 and measured blind once on the content of db64a2a (217/265 = 81.9 %
# right, 15 confident but wrong, 1/71 out-of-scope answered); development data since.
DEV6 = ROOT / "tests" / "qa_dev6.yaml"
# A seventh, frozen at 7c790a9 and measured blind on the content of db64a2a (171/212 = 80.7 %, 6
# confident but wrong, 2/60 out-of-scope answered) and of a35f8a0 (175/212 = 82.5 %, 6, 2/60).
DEV7 = ROOT / "tests" / "qa_dev7.yaml"

P99_TARGET_MS = 20.0
REPEATS = 500  # learned questions asked again word for word
BUILD_TARGET_S = 10.0

# ----------------------------------------------------------------------------- word lists

MODELS = [
    "OKI-modellen",
    "DAC",
    "relationel koordinering",
    "samskabelsestypologien",
    "growth mindset",
    "Innovation Pipeline",
    "Leadership Pipeline",
    "KPI og KBI",
    "Public Service Motivation",
    "Purpose Driven Leadership",
    "designtænkning",
    "prototyping",
    "agile sprint-metoder",
    "Den Nye Syntese",
    "distribueret ledelse",
    "effektive ledergrupper",
    "visionsledelse",
    "autentisk lederskab",
    "datainformeret ledelse",
    "borgerrejser",
    "værdiskabelse",
    "forandringsledelse",
    "mål- og resultatstyring",
    "tværgående ledelse",
    "talentstrategi",
    "kommunikationsstrategi",
    "ledelsesgrundlag",
    "High Impact Learning",
    "Action Learning",
]
SITUATIONS = [
    "et personalemøde",
    "en svær samtale med en medarbejder",
    "en omstrukturering",
    "et nyt tværgående projekt",
    "budgetlægningen",
    "en klage fra en borger",
    "et udvalgsmøde",
    "sammenlægningen af to afdelinger",
    "rekrutteringen af en ny teamleder",
    "en travl periode",
    "et samarbejde med en frivillig forening",
    "implementeringen af et nyt it-system",
    "en konflikt i ledergruppen",
    "min første måned som leder af ledere",
    "et møde med pårørende",
    "arbejdet med sygefravær i teamet",
    "en APV-opfølgning",
    "et borgermøde",
    "en krisesituation",
    "en ny strategi fra direktionen",
    "samarbejdet med regionen",
    "vores MED-udvalg",
]
ACTIVITIES = [
    "modul 1",
    "modul 2",
    "modul 3",
    "modul 4",
    "modul 5",
    "modul 6",
    "kick-off",
    "afslutningsseminaret",
    "alumnedagen",
    "bootcampen",
    "lederspejlet",
    "skyggepraktikken",
    "buddy-mødet",
    "samtalen med min leder",
    "mødet i ledergruppen",
    "mentorsamtalen",
]
ROLES = [
    "min buddy",
    "min nærmeste leder",
    "min mentor",
    "mine medarbejdere",
    "min ledergruppe",
    "den interne konsulent",
    "underviseren",
    "min mentee",
    "teamlederne",
    "direktionen",
]
MATERIALS = [
    "artiklen",
    "podcasten",
    "videoen",
    "grundlitteraturen",
    "slides",
    "skabelonen",
    "casen",
    "opgavebeskrivelsen",
    "litteraturlisten",
    "øvelsen",
    "spørgerammen",
]
VERBS = [
    "bruge",
    "forklare",
    "forberede",
    "afprøve",
    "dele",
    "koble",
    "forstå",
    "omsætte",
    "præsentere",
    "evaluere",
    "oversætte",
    "planlægge",
]
TOPICS = [
    "min transition",
    "min udviklingsplan",
    "mesterlæren",
    "talentmiljøet i afdelingen",
    "min kommunikation",
    "innovation i teamet",
    "implementeringen",
    "samskabelse med borgerne",
    "min lederidentitet",
    "ledelseskæden",
    "strategien",
    "feedbacken fra lederspejlet",
]
PEOPLE = ["Torsten", "Kristian", "Lene", "Jacob", "Rasmus", "Mikkel", "Lotte", "Jens"]

QUESTION_TEMPLATES = [
    "Hvordan kan jeg {verb} {model} i {situation}?",
    "Kan du uddybe {model} fra {activity}?",
    "Hvad mente {person} med {model} på {activity}?",
    "Hvor finder jeg {material} om {model}?",
    "Skal {role} være med, når jeg arbejder med {topic}?",
    "Er det ok at {verb} {material} til {activity} sammen med {role}?",
    "Hvordan hænger {model} sammen med {topic}?",
    "Jeg forstod ikke {material} til {activity} – hvad er pointen med {model}?",
    "Kan jeg bruge {situation} som case på {activity}?",
    "Hvad gør jeg, hvis {role} ikke har tid til {activity}?",
    "Hvordan forbereder jeg {role} på {activity}?",
    "Gælder {model} også for ledere af ledere i {situation}?",
]
ANSWER_TEMPLATES = [
    "{model} handler om at skabe retning og mening. Brug den i {situation} ved at starte med formålet og involvere {role} tidligt.",
    "Ja, det er en god idé. Tag {material} med til {activity}, så kan I arbejde videre med {topic} der.",
    "Du finder {material} på læringsplatformen under {activity}. Læs den med {topic} i tankerne.",
    "Pointen er at koble {model} til din egen praksis: vælg én konkret situation, fx {situation}, og afprøv et greb før næste modul.",
    "Aftal det med {role} i god tid. Er det ikke muligt, så skriv til os, så finder vi en løsning før {activity}.",
]
SWAPS = {
    "leder": "chef",
    "buddy": "makker",
    "modul": "undervisningsdag",
    "Hvordan": "Hvorledes",
    "kan": "må",
    "finder": "ser",
    "forbereder": "klargør",
}


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        model=rng.choice(MODELS),
        situation=rng.choice(SITUATIONS),
        activity=rng.choice(ACTIVITIES),
        role=rng.choice(ROLES),
        material=rng.choice(MATERIALS),
        verb=rng.choice(VERBS),
        topic=rng.choice(TOPICS),
        person=rng.choice(PEOPLE),
    )


def synthetic_answered(n: int, seed: int) -> list[Entry]:
    """N distinct answered questions, deterministic for a seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[Entry] = []
    while len(out) < n:
        q = _fill(rng.choice(QUESTION_TEMPLATES), rng)
        if q in seen:
            continue
        seen.add(q)
        a = _fill(rng.choice(ANSWER_TEMPLATES), rng)
        out.append(Entry(f"answered:{len(out) + 1}", q, (), a, f"Svar fra {rng.choice(PEOPLE)} (underviser)", None, "answered"))
    return out


def paraphrase(question: str, rng: random.Random) -> str:
    """A sloppier version: a synonym or two swapped, a word dropped, maybe a typo."""
    words = question.rstrip("?").split()
    words = [SWAPS.get(w, w) if rng.random() < 0.5 else w for w in words]
    if len(words) > 6:
        del words[rng.randrange(1, len(words))]
    if rng.random() < 0.5:
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 5:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # swap two letters
    text = " ".join(words)
    return text.lower() if rng.random() < 0.5 else text


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def figures(
    index: QuestionIndex,
    tuning: list[Labelled],
    tuning_text: list[Mentioned],
    held: list[tuple[str, list[Mentioned]]],
    details: bool,
    dev: list[tuple[str, list[Mentioned]]] | None = None,
) -> dict[str, str]:
    """One column of the figures table: tuning (ids + passage mentions) and held-out rates."""
    ids = evaluate(index, tuning)
    text = evaluate_mentioned(index, tuning_text)
    n_in = ids.in_total + text.in_total
    right = ids.confident_right + text.in_right
    wrong = ids.confident_wrong + text.in_confident_wrong
    n_out = ids.out_total + text.out_total
    out = ids.confident_out + text.out_confident
    col = {
        "tuning: in-scope answered right": f"{right}/{n_in} = {right / max(1, n_in):.1%}",
        "tuning: in-scope confident but wrong": f"{wrong}/{n_in} = {wrong / max(1, n_in):.1%}",
        "tuning: out-of-scope answered": f"{out}/{n_out} = {out / max(1, n_out):.1%}",
    }
    if details:
        print(ids.details())
        for item, m in text.misses:
            print(f"  TEXT MISS {item.question!r}: {m.entry.id if m.entry else '-'} confident={m.confident}")
    for label, items in dev or []:
        b = evaluate_mentioned(index, items)
        col[f"{label} (dev): in-scope answered right"] = f"{b.in_right}/{b.in_total} = {b.in_rate:.1%}"
        col[f"{label} (dev): in-scope confident but wrong"] = f"{b.in_confident_wrong}/{b.in_total}"
        col[f"{label} (dev): out-of-scope answered"] = f"{b.out_confident}/{b.out_total} = {b.out_rate:.1%}"
        if details:
            for item, m in b.misses:
                reply = m.reply.replace("\n", " / ")[:300] if m.confident else ""
                print(f"  {label.upper()} MISS {item.question!r}: {m.entry.id if m.entry else '-'} confident={m.confident} {reply}")
    for label, items in held:
        h = evaluate_mentioned(index, items)  # aggregate figures only: never tune on these
        col[f"{label}: in-scope answered right"] = f"{h.in_right}/{h.in_total} = {h.in_rate:.1%}"
        col[f"{label}: in-scope confident but wrong"] = (
            f"{h.in_confident_wrong}/{h.in_total} = {h.in_confident_wrong / max(1, h.in_total):.1%}"
        )
        col[f"{label}: out-of-scope answered"] = f"{h.out_confident}/{h.out_total} = {h.out_rate:.1%}"
    return col


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answered", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sweep", action="store_true", help="print the best thresholds on the tuning questions")
    parser.add_argument("--details", action="store_true", help="list misses on the TUNING set (never the held-out)")
    parser.add_argument(
        "--heldout", action="store_true", help="also print the aggregate on the held-out and blind3 sets (frozen: count every run)"
    )
    parser.add_argument(
        "--dev4", type=Path, default=DEV4, help="the fourth blind set, used as development data (misses listed with --details)"
    )
    parser.add_argument("--encoder", choices=("e5", "words"), help="the question encoder (default: QA_DENSE_ENCODER, else e5)")
    args = parser.parse_args(argv)
    if args.encoder:
        os.environ[dense.ENCODER_SWITCH] = args.encoder
    dense.QUERY_CACHE_SIZE = 0  # every timed answer embeds its question: no repeated-question shortcut

    labelled = load_labelled(LABELLED)
    tuning = [x for x in labelled if not x.holdout]
    tuning_text = load_mentioned(LABELLED, "passage_in_scope", "passage_out_of_scope")
    # The frozen sets are read only when asked for: a development run never touches them.
    held = [(label, load_mentioned(path)) for label, path in (("held-out", HELDOUT), ("blind3", BLIND3)) if args.heldout and path.exists()]
    dev = [
        (label, load_mentioned(path))
        for label, path in (("blind2", BLIND2), ("dev4", args.dev4), ("dev5", DEV5), ("dev6", DEV6), ("dev7", DEV7))
        if path.exists()
    ]
    answered = synthetic_answered(args.answered, args.seed)

    t0 = time.perf_counter()
    content = content_entries(CONTENT)
    small = QuestionIndex().build(content)
    build_small_s = time.perf_counter() - t0
    print(
        f"content: {len(content)} entries "
        f"({', '.join(f'{k} {sum(e.kind == k for e in content)}' for k in KINDS if k != 'answered')}); "
        f"dense retrieval {('on, encoder ' + ('e5' if dense.contextual() else 'words')) if small.dense else 'OFF (BM25 only)'}"
    )
    col_small = figures(small, tuning, tuning_text, held, args.details, dev)
    if args.sweep:
        print("best thresholds on the tuning questions (score = confident right - 2 x confident wrong):")
        for score, t in sweep(small, tuning)[:10]:
            print(f"  {score:4d}  {t}")

    t0 = time.perf_counter()
    big = QuestionIndex().build([*content, *answered])
    build_s = time.perf_counter() - t0
    extra = Entry(
        "answered:bench-add",
        "Må jeg tage min hund med på internatet?",
        (),
        "Nej, desværre. Dyr kan ikke være med på internatet.",
        "Svar fra underviser",
        None,
        "answered",
    )
    t0 = time.perf_counter()
    big.add(extra)
    add_ms = (time.perf_counter() - t0) * 1000
    found = big.answer("kan jeg have min hund med på bootcampen").entry
    added_found = found is not None and found.id == extra.id

    rng = random.Random(args.seed + 1)
    sample = rng.sample(answered, min(len(answered), args.queries))
    queries: list[tuple[str, str | None]] = []
    for i in range(args.queries):
        if i % 2 == 0 or not sample:  # with --answered 0 only labelled questions are timed
            item = labelled[(i // 2) % len(labelled)]
            queries.append((item.question, None))
        else:
            entry = sample[(i // 2) % len(sample)]
            queries.append((paraphrase(entry.question, rng), entry.question))
    for q, _ in queries[:20]:  # warm caches like a running bot
        big.answer(q)
    times: list[float] = []
    cpu: list[float] = []  # this thread's CPU time: what the answer costs when the shared machine is busy
    embed_cpu: list[float] = []  # of which in the encoder (0 when the words settled it): the rest is the index's own
    embed_query = dense.embed_query

    def timed_embed(text: str) -> object:
        c = time.thread_time()
        try:
            return embed_query(text)
        finally:
            embed_cpu[-1] += (time.thread_time() - c) * 1000

    dense.embed_query = timed_embed  # type: ignore[assignment]
    own = own_total = 0
    for q, expected in queries:
        embed_cpu.append(0.0)
        t0, c0 = time.perf_counter(), time.thread_time()
        m = big.answer(q)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        if expected:
            own_total += 1
            own += m.entry is not None and expected in m.entry.phrasings  # its own entry, or the one it was merged into
    dense.embed_query = embed_query
    p50, p99 = statistics.median(times), percentile(times, 99)
    col_big = figures(big, tuning, tuning_text, held, args.details, dev)

    rows = list(col_small)
    width = max(len(r) for r in rows) + 2
    print(f"\n{'':{width}}{'0 learned':>18}{f'{args.answered} learned':>20}")
    for r in rows:
        print(f"{r:{width}}{col_small[r]:>18}{col_big.get(r, '-'):>20}")
    print(
        f"\nindex build: content {build_small_s:.2f} s, with {args.answered} learned {build_s:.2f} s "
        f"(target < {BUILD_TARGET_S:.0f} s); add() {add_ms:.1f} ms, the added answer found at once: {added_found}"
    )
    print(
        f"answer latency ({len(times)} queries, {args.answered} learned): p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"max {max(times):.2f} ms (target p99 < {P99_TARGET_MS:.0f} ms); CPU time p50 {statistics.median(cpu):.2f} ms, "
        f"p99 {percentile(cpu, 99):.2f} ms; load average {Path('/proc/loadavg').read_text().split()[0]}"
    )
    embedded = [e for e in embed_cpu if e > 0]
    rest = [c - e for c, e in zip(cpu, embed_cpu, strict=True)]
    print(
        f"  of which the question's embedding: {len(embedded)}/{len(cpu)} answers embed, CPU p50 {statistics.median(embedded or [0]):.2f} ms, "
        f"p99 {percentile(embedded or [0], 99):.2f} ms; the index's own CPU time p50 {statistics.median(rest):.2f} ms, p99 {percentile(rest, 99):.2f} ms"
    )
    print(f"paraphrased learned questions that find their own entry: {own}/{own_total} = {own / max(1, own_total):.1%}")
    # the same question asked again word for word: the instructors' answer must come back, confidently
    again = sample[:REPEATS]
    repeated = sum(1 for e in again if (m := big.answer(e.question)).confident and m.entry is not None and e.question in m.entry.phrasings)
    print(
        f"learned questions asked again word for word, answered with their answer: {repeated}/{len(again)} = {repeated / max(1, len(again)):.1%}"
    )
    print(f"resident memory (model loaded: {small.dense}): {rss_mb():.0f} MB")

    ok = p99 < P99_TARGET_MS and build_s < BUILD_TARGET_S and added_found
    print(f"\ntargets: p99 {'OK' if p99 < P99_TARGET_MS else 'MISSED'}; build {'OK' if build_s < BUILD_TARGET_S else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
