"""Typo robustness of the question index: each dev question with one random typing error in a long word.

    .venv/bin/python bench/qa_typos.py [--seed N] [--set tests/qa_dev4.yaml]

Prints the in-scope questions answered right as written and with the typo (same questions), and
the out-of-scope ones answered with a typo. Development sets only: never a frozen one."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.qa.evaluate import load_mentioned  # noqa: E402  (after the path line: run as a script)
from bot.qa.index import QuestionIndex  # noqa: E402
from bot.qa.loader import content_entries  # noqa: E402

FROZEN = {"qa_heldout.yaml", "qa_blind3.yaml"}
LETTERS = "abcdefghijklmnoprstuvyæøå"


def with_typo(question: str, rng: random.Random) -> str | None:
    """The question with one substitution, deletion, doubling or swap inside one word of 6+ letters."""
    words = question.split()
    longs = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not longs:
        return None
    i = rng.choice(longs)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.choice("sdit")
    if op == "s":
        w = w[:j] + rng.choice(LETTERS) + w[j + 1 :]
    elif op == "d":
        w = w[:j] + w[j + 1 :]
    elif op == "i":
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    words[i] = w
    return " ".join(words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--set", type=Path, default=ROOT / "tests" / "qa_dev4.yaml")
    args = parser.parse_args(argv)
    if args.set.name in FROZEN:
        parser.error(f"{args.set.name} is frozen: it is read only by bench/qa.py --heldout")
    rng = random.Random(args.seed)
    index = QuestionIndex().build(content_entries(ROOT / "content"))
    plain = typo = n = out_answered = n_out = 0
    for item in load_mentioned(args.set):
        changed = with_typo(item.question, rng)
        if changed is None:
            continue
        if item.in_scope:
            n += 1
            plain += item.right(index.answer(item.question))
            typo += item.right(index.answer(changed))
        else:
            n_out += 1
            out_answered += index.answer(changed).confident
    print(
        f"{args.set.name}, seed {args.seed}: in-scope right as written {plain}/{n} = {plain / max(1, n):.1%}, "
        f"with one typo {typo}/{n} = {typo / max(1, n):.1%}; out-of-scope with a typo answered {out_answered}/{n_out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
