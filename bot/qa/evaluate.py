"""Measure the question index on a labelled set (tests/qa_questions.yaml) and sweep thresholds."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.yamlfile import LineDict, load_yaml_file
from bot.domain.errors import FileError, FileErrors
from bot.qa.confidence import Thresholds
from bot.qa.entry import Match
from bot.qa.index import QuestionIndex


@dataclass(frozen=True)
class Labelled:
    question: str
    expect: tuple[str, ...] = ()  # empty: out of scope
    near: bool = False  # out of scope, but about the programme
    line: int = 0
    holdout: bool = False  # written after tuning; never tune on it

    @property
    def in_scope(self) -> bool:
        return bool(self.expect)


SECTIONS = {
    "in_scope": (True, False),
    "out_of_scope": (False, False),
    "holdout_in_scope": (True, True),
    "holdout_out_of_scope": (False, True),
}


def load_labelled(path: Path) -> list[Labelled]:
    """The labelled questions: in_scope (with expect), out_of_scope, and their holdout_ sets."""
    data: Any = load_yaml_file(path)
    errors: list[FileError] = []
    out: list[Labelled] = []
    if not isinstance(data, LineDict):
        raise FileErrors([FileError(str(path), 1, "expected in_scope and out_of_scope")])
    for section, (in_scope, holdout) in SECTIONS.items():
        for item in data.get(section) or []:
            if not isinstance(item, LineDict) or not isinstance(item.get("q"), str):
                errors.append(FileError(str(path), data.line_of(section), f"{section}: every item needs q"))
                continue
            expect = item.get("expect") or []
            if in_scope and (not isinstance(expect, list) or not expect):
                errors.append(FileError(str(path), item.line, f"{section} item needs expect: [ids]"))
                continue
            out.append(Labelled(item["q"], tuple(expect) if in_scope else (), bool(item.get("near")), item.line, holdout))
    if errors:
        raise FileErrors(errors)
    return out


@dataclass
class Report:
    """Figures on a labelled set."""

    in_total: int = 0
    top_right: int = 0  # in scope: top answer is one of the expected
    confident_in: int = 0  # in scope: confident (right or wrong)
    confident_right: int = 0  # in scope: confident and right
    confident_wrong: int = 0  # in scope: confident and wrong
    displaced: int = 0  # in scope: top answer is an answered question not in expect
    out_total: int = 0
    confident_out: int = 0
    misses: list[tuple[Labelled, Match]] = field(default_factory=list)
    false_confident: list[tuple[Labelled, Match]] = field(default_factory=list)
    hand_offs: list[tuple[Labelled, Match]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.top_right / self.in_total if self.in_total else 0.0

    @property
    def in_confident_rate(self) -> float:
        return self.confident_in / self.in_total if self.in_total else 0.0

    @property
    def out_confident_rate(self) -> float:
        return self.confident_out / self.out_total if self.out_total else 0.0

    def summary(self) -> str:
        return (
            f"in-scope: top answer right {self.top_right}/{self.in_total} = {self.precision:.1%}; "
            f"confident {self.confident_in}/{self.in_total} = {self.in_confident_rate:.1%} "
            f"(right {self.confident_right}, wrong {self.confident_wrong})"
            + (f"; {self.displaced} misses are answered questions that won" if self.displaced else "")
            + "\n"
            f"out-of-scope: confident {self.confident_out}/{self.out_total} = {self.out_confident_rate:.1%}"
        )

    def details(self) -> str:
        lines = []
        for item, m in self.misses:
            got = m.entry.id if m.entry else "-"
            lines.append(
                f"  MISS  {item.question!r}: got {got}, expected {'/'.join(item.expect)}"
                f" (cov {m.coverage:.2f} rel {m.relative:.2f} margin {m.margin:.2f})"
            )
        for item, m in self.false_confident:
            lines.append(
                f"  OOS confident  {item.question!r}: {m.entry.id if m.entry else '-'}"
                f" (cov {m.coverage:.2f} rel {m.relative:.2f} margin {m.margin:.2f})"
            )
        for item, m in self.hand_offs:
            lines.append(
                f"  hand-off (right top)  {item.question!r}: {m.entry.id if m.entry else '-'}"
                f" (cov {m.coverage:.2f} rel {m.relative:.2f} margin {m.margin:.2f})"
            )
        return "\n".join(lines)


def evaluate(index: QuestionIndex, labelled: list[Labelled]) -> Report:
    """Answer every labelled question and count."""
    report = Report()
    for item in labelled:
        m = index.answer(item.question)
        if item.in_scope:
            report.in_total += 1
            right = m.entry is not None and m.entry.id in item.expect
            report.top_right += right
            if m.confident:
                report.confident_in += 1
                report.confident_right += right
                report.confident_wrong += not right
            if not right:
                report.misses.append((item, m))
                report.displaced += m.entry is not None and m.entry.kind == "answered"
            elif not m.confident:
                report.hand_offs.append((item, m))
        else:
            report.out_total += 1
            if m.confident:
                report.confident_out += 1
                report.false_confident.append((item, m))
    return report


def sweep(index: QuestionIndex, labelled: list[Labelled], max_out_rate: float = 0.05) -> list[tuple[int, Thresholds]]:
    """Every threshold combination on a grid that keeps out-of-scope confidence <= max_out_rate,
    best first by the number of in-scope questions answered confidently AND right (minus wrong)."""
    rows = []
    for item in labelled:
        m = index.answer(item.question)
        right = m.entry is not None and m.entry.id in item.expect
        rows.append((item.in_scope, right, m.coverage, m.relative, m.margin))
    n_out = sum(1 for r in rows if not r[0])
    grid = itertools.product(
        (0.45, 0.5, 0.55, 0.6, 0.65, 0.7),  # min_coverage
        (0.15, 0.2, 0.25, 0.3, 0.35),  # min_relative
        (0.0, 0.05, 0.1, 0.15, 0.2),  # min_margin
        (0.8, 0.85, 0.9, 1.01),  # sure_coverage (1.01: path off)
        (0.3, 0.35, 0.4, 0.45, 0.5),  # sure_relative
    )
    results = []
    for mc, mr, mm, sc, sr in grid:
        t = Thresholds(mc, mr, mm, sc, sr)
        good = bad = out = 0
        for in_scope, right, cov, rel, margin in rows:
            if t.confident(cov, rel, margin):
                if not in_scope:
                    out += 1
                elif right:
                    good += 1
                else:
                    bad += 1
        if n_out and out / n_out > max_out_rate:
            continue
        results.append((good - 2 * bad, t))
    results.sort(key=lambda r: -r[0])
    return results


# ----------------------------------------------------------------------------- graded by what the reply says


@dataclass(frozen=True)
class Mentioned:
    """A question graded by its reply: in scope when must_mention is given (one alternative of every group)."""

    question: str
    must_mention: tuple[tuple[str, ...], ...] = ()
    near: bool = False

    @property
    def in_scope(self) -> bool:
        return bool(self.must_mention)

    def right(self, match: Match) -> bool:
        """In scope: answered confidently with every group mentioned; out of scope: handed off."""
        if not self.in_scope:
            return not match.confident
        text = match.reply.casefold()
        return match.confident and all(any(alt.casefold() in text for alt in group) for group in self.must_mention)


def load_mentioned(path: Path, in_section: str = "in_scope", out_section: str = "out_of_scope") -> list[Mentioned]:
    """Questions in the held-out format: in_scope [{q, must_mention: [[alt, ...], ...]}], out_of_scope [{q, near?}]."""
    data: Any = load_yaml_file(path)
    if not isinstance(data, LineDict):
        raise FileErrors([FileError(str(path), 1, f"expected {in_section} and {out_section}")])
    out: list[Mentioned] = []
    errors: list[FileError] = []
    for section, in_scope in ((in_section, True), (out_section, False)):
        for item in data.get(section) or []:
            if not isinstance(item, LineDict) or not isinstance(item.get("q"), str):
                errors.append(FileError(str(path), data.line_of(section), f"{section}: every item needs q"))
                continue
            groups = item.get("must_mention") or []
            if in_scope and (not isinstance(groups, list) or not groups or not all(isinstance(g, list) and g for g in groups)):
                errors.append(FileError(str(path), item.line, f"{section} item needs must_mention: [[alt, ...], ...]"))
                continue
            out.append(Mentioned(item["q"], tuple(tuple(str(a) for a in g) for g in groups) if in_scope else (), bool(item.get("near"))))
    if errors:
        raise FileErrors(errors)
    return out


@dataclass
class MentionReport:
    """Right-first and confident-wrong rates on a set graded by its replies."""

    in_total: int = 0
    in_right: int = 0
    in_confident_wrong: int = 0
    out_total: int = 0
    out_confident: int = 0
    misses: list[tuple[Mentioned, Match]] = field(default_factory=list)

    @property
    def in_rate(self) -> float:
        return self.in_right / self.in_total if self.in_total else 0.0

    @property
    def out_rate(self) -> float:
        return self.out_confident / self.out_total if self.out_total else 0.0

    def summary(self) -> str:
        return (
            f"in-scope right {self.in_right}/{self.in_total} = {self.in_rate:.1%} "
            f"(confident but wrong {self.in_confident_wrong}); "
            f"out-of-scope answered {self.out_confident}/{self.out_total} = {self.out_rate:.1%}"
        )


def evaluate_mentioned(index: QuestionIndex, items: list[Mentioned]) -> MentionReport:
    """Answer every question and grade the reply."""
    report = MentionReport()
    for item in items:
        m = index.answer(item.question)
        right = item.right(m)
        if item.in_scope:
            report.in_total += 1
            report.in_right += right
            report.in_confident_wrong += m.confident and not right
        else:
            report.out_total += 1
            report.out_confident += m.confident
        if not right:
            report.misses.append((item, m))
    return report
