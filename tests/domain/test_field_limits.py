"""Issue #16: every stored field has a limit from one table; files say file:line, people get Danish."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.content.cohort import load_cohort
from bot.content.programme import load_programme
from bot.domain.errors import FileErrors
from bot.domain.limits import LIMITS
from bot.domain.questions import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS
from bot.domain.roster import REQUIRED_COLUMNS, parse_roster
from bot.services.broadcasts import MAX_BROADCAST_CHARS
from bot.services.growth.plans import MAX_PLAN_TEXT
from bot.services.nudging import MAX_COMMENT

EXAMPLE = REPO_ROOT / "content" / "demo" / "cohort-example.yaml"


def test_the_services_limits_are_the_tables() -> None:
    assert (LIMITS["plan text"], LIMITS["evaluation comment"], LIMITS["question"], LIMITS["answer"], LIMITS["broadcast"]) == (
        MAX_PLAN_TEXT,
        MAX_COMMENT,
        MAX_QUESTION_CHARS,
        MAX_ANSWER_CHARS,
        MAX_BROADCAST_CHARS,
    )


@pytest.mark.parametrize(
    "old, new, line",
    [
        ("venue: TAMU Aalborg}", "venue: " + "v" * 20_000 + "}", 13),
        ("name: Talent Nord 2.0 – hold 2027", "name: " + "n" * 201, 4),
    ],
)
def test_an_overlong_cohort_field_is_a_file_line_error(tmp_path: Path, old: str, new: str, line: int) -> None:
    path = tmp_path / "cohort.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(FileErrors) as info:
        load_cohort(path, load_programme(REPO_ROOT / "content"))
    assert f"{path}:{line}:" in str(info.value) and "at most" in str(info.value)


@pytest.mark.parametrize(
    "column, value", [("name", "N" * 201), ("organisation", "O" * 201), ("area", "A" * 201), ("email", "a" * 250 + "@b.dk")]
)
def test_an_overlong_roster_field_is_a_file_line_error(column: str, value: str) -> None:
    row = {
        "email": "a@b.dk",
        "name": "Anna",
        "role": "leader",
        "organisation": "Aalborg",
        "level": "",
        "leader_email": "",
        "mentor_email": "",
        "area": "Skole",
    }
    row[column] = value
    header = [*REQUIRED_COLUMNS, "area"]
    text = ",".join(header) + "\n" + ",".join(row[c] for c in header) + "\n"
    with pytest.raises(FileErrors) as info:
        parse_roster(text, "roster.csv")
    assert "roster.csv:2:" in str(info.value) and "at most" in str(info.value)
