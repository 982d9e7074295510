"""The fast YAML path (libyaml) gives the same LineDicts, values and line numbers as the line-tracking path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import REPO_ROOT
from bot.content import yamlfile
from bot.content.cohort import parse_cohort
from bot.content.programme import load_programme, parse_programme
from bot.content.yamlfile import LineDict, load_yaml_file, load_yaml_text
from bot.domain.errors import FileErrors
from bot.domain.programme import Programme

needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml: there is no fast path")
YAML_FILES = sorted([*(REPO_ROOT / "content").rglob("*.yaml"), *(REPO_ROOT / "tests").rglob("*.yaml")])
SNIPPETS = [
    "",  # an empty document
    "# only a comment\n",
    "a: 1\r\nb:\r\n  - x\r\n  - y\r\n",  # Windows line endings
    "\ufeffa: 1\nb: 2\n",  # a byte-order mark
    "base: &b {x: 1, y: [1, 2]}\nother:\n  <<: *b\n  z: 3\nagain: *b\n",  # anchors, aliases, merge keys
    "text: |\n  line one\n  line two\n\nfolded: >-\n  one\n  two\nafter: 1\n",  # block scalars
    "plain: a long\n  plain scalar\n  over lines\nnext: x\n",
    "time: 10:30\nearly: 08:30\ndate: 2027-01-04\nwhen: 2027-01-04T08:30:00+01:00\noctal: 010\nhex: 0x1f\nf: 1.5\ninf: .inf\n",
    "yes: yes\nno: off\nnull1: ~\nnull2:\nquoted: 'it''s'\ndouble: \"tab\\tnul\\0bell\\x07\"\n",
    "list:\n- {a: 1, b: [x, {c: d}]}\n- - nested\n  - seq\n- ? complex key\n  : value\n",
    "dansk: æøå ÆØÅ – »citat«\nemoji: 🎉\n",
    "a: [1, 2,\n  3, 4]\nb: {k: v,\n  l: w}\n",
]


def same(fast: Any, slow: Any, where: str = "") -> None:
    """Equal values of equal types, and every mapping with the same line and key lines, all the way down."""
    assert type(fast) is type(slow), where
    if isinstance(fast, LineDict):
        assert (fast.line, fast.key_lines) == (slow.line, slow.key_lines), where
        assert list(fast) == list(slow), where
        for key in fast:
            same(fast[key], slow[key], f"{where}.{key}")
    elif isinstance(fast, list):
        assert len(fast) == len(slow), where
        for i, (a, b) in enumerate(zip(fast, slow, strict=True)):
            same(a, b, f"{where}[{i}]")
    else:
        assert fast == slow, where


@needs_libyaml
@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_yaml_file_of_ours_reads_the_same_on_both_paths(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    same(load_yaml_text(text, path.name), load_yaml_text(text, path.name, fast=False), path.name)


@needs_libyaml
@pytest.mark.parametrize("text", SNIPPETS)
def test_yaml_corners_read_the_same_on_both_paths(text: str) -> None:
    same(load_yaml_text(text, "x.yaml"), load_yaml_text(text, "x.yaml", fast=False))


def test_the_corners_keep_our_rules_for_times_dates_and_control_characters() -> None:
    data = load_yaml_text(SNIPPETS[7] + SNIPPETS[8], "x.yaml")
    assert (data["time"], data["early"], data["date"], data["octal"]) == ("10:30", "08:30", "2027-01-04", 8)
    assert data["double"] == "tab\tnulbell"  # clean() keeps a tab and drops NUL and BEL


def _error_lines(text: str, *, fast: bool) -> list[str]:
    with pytest.raises(FileErrors) as info:
        load_yaml_text(text, "c.yaml", fast=fast)
    return [str(e) for e in info.value.errors]


@needs_libyaml
@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: [unclosed\nc: 2\n",  # a syntax error
        "a: 1\nb:\n  x: 1\n  x: 2\n",  # a duplicate key
        "a: 1\n? [x, y]\n: 2\n",  # an unhashable key
        "a: 1\nb: \ud800\n",  # a character YAML forbids (and UTF-8 cannot encode)
        "a: 1\nb: \x07\n",
        "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 100)),  # deeper than MAX_DEPTH, within libyaml's limit
        "[" * 3000 + "]" * 3000,  # beyond libyaml's own limit
        "a: 1\n---\nb: 2\n",  # two documents
        "a: 1\nrec: &r [1, *r]\n",  # an alias inside its own anchor
    ],
)
def test_a_bad_file_gives_the_line_tracking_paths_error_and_line_on_the_fast_path(text: str) -> None:
    fast = _error_lines(text, fast=True)
    assert fast == _error_lines(text, fast=False)
    assert all(line.startswith("c.yaml:") and not line.startswith("c.yaml:0:") for line in fast), fast


@needs_libyaml
def test_content_errors_keep_their_line_numbers_on_the_fast_path_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (REPO_ROOT / "content" / "programme.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    n = next(i for i, line in enumerate(lines) if line.strip().startswith("participants:"))
    lines[n] = lines[n].split("participants:")[0] + "participants: [talent, chef]"

    def no_slow_path(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the line-tracking path ran for a file that parses")

    # the fast path alone must carry the lines: a valid parse never falls back to the pure-Python loader
    monkeypatch.setattr(yamlfile, "_LineLoader", type("Refused", (), {"__init__": no_slow_path}))
    data = load_yaml_text("\n".join(lines), "programme.yaml")
    with pytest.raises(FileErrors) as info:
        parse_programme(data, "programme.yaml")
    assert [str(e) for e in info.value.errors] == [
        f"programme.yaml:{n + 1}: activity 'kickoff': participants must be a list of roles from "
        "talent, leader, mentor, instructor, admin, consultant, steering"
    ]


@needs_libyaml
def test_a_cohort_files_errors_carry_the_same_lines_on_both_paths(programme: Programme, tmp_path: Path) -> None:
    text = (REPO_ROOT / "content" / "demo" / "cohort-example.yaml").read_text(encoding="utf-8")
    broken = text.replace("T09:00", "T25:00", 2).replace("key:", "key: [x]\nold_key:", 1)

    def errors(fast: bool) -> list[str]:
        with pytest.raises(FileErrors) as info:
            parse_cohort(load_yaml_text(broken, "cohort.yaml", fast=fast), "cohort.yaml", programme)
        return [str(e) for e in info.value.errors]

    found = errors(True)
    assert found == errors(False)
    assert len(found) >= 2 and all(e.split(":")[1].isdigit() and e.split(":")[1] != "0" for e in found), found


def test_without_libyaml_everything_takes_the_line_tracking_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlfile, "FAST", False)
    path = REPO_ROOT / "content" / "programme.yaml"
    assert isinstance(load_yaml_file(path), LineDict)
    assert load_programme(REPO_ROOT / "content").name == "Talent Nord 2.0"
