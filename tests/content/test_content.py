"""content/programme.yaml loads, and a broken file is reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.content.programme import load_programme, parse_programme
from bot.content.yamlfile import load_yaml_text
from bot.domain.errors import FileErrors
from bot.domain.programme import ACTIVITY_KEYS, Programme

PROGRAMME_TEXT = (REPO_ROOT / "content" / "programme.yaml").read_text(encoding="utf-8")


def test_the_real_programme_has_every_activity_in_order(programme: Programme) -> None:
    assert programme.keys == ACTIVITY_KEYS
    modules = [a for a in programme.activities if a.is_module]
    assert [a.key for a in modules] == ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert [a.competence_no for a in modules] == [1, 6, 3, 4, 2, 5]
    assert all(a.day1 and a.day2 for a in modules)
    assert programme.activity("leader-ws").participants == ("leader",)
    assert "talent" in programme.activity("kickoff").participants
    assert "Game of Changes" in programme.activity("m6").content + programme.activity("m6").day1 + programme.activity("m6").day2


def test_texts_are_danish_and_substantial(programme: Programme) -> None:
    for activity in programme.activities:
        assert len(activity.purpose) > 80, activity.key
        assert any(ch in activity.purpose + activity.content for ch in "æøå"), activity.key


def _errors(text: str) -> list[str]:
    with pytest.raises(FileErrors) as info:
        parse_programme(load_yaml_text(text, "programme.yaml"), "programme.yaml")
    return [str(e) for e in info.value.errors]


def test_a_missing_field_is_reported_at_its_activity_line() -> None:
    lines = PROGRAMME_TEXT.splitlines()
    purpose_line = next(i for i, line in enumerate(lines) if line.strip().startswith("purpose:"))
    # Rename the first activity's purpose; the error points at the activity's mapping.
    broken = "\n".join([*lines[:purpose_line], lines[purpose_line].replace("purpose:", "purposee:"), *lines[purpose_line + 1 :]])
    errors = _errors(broken)
    assert any("'purpose' mangler" in e for e in errors)
    assert all(e.startswith("programme.yaml:") for e in errors)


def test_an_unknown_role_is_reported_with_the_line_of_participants() -> None:
    lines = PROGRAMME_TEXT.splitlines()
    n = next(i for i, line in enumerate(lines) if line.strip().startswith("participants:"))
    lines[n] = lines[n].split("participants:")[0] + "participants: [talent, chef]"
    errors = _errors("\n".join(lines))
    assert errors == [
        f"programme.yaml:{n + 1}: activity 'kickoff': participants must be a list of roles from talent, leader, mentor, instructor, admin, consultant, steering"
    ]


def test_yaml_syntax_error_has_a_line() -> None:
    errors = _errors("programme:\n  key: x\n  name: [unclosed\nactivities: []\n")
    assert errors[0].startswith("programme.yaml:") and "YAML" in errors[0]


def test_content_check_cli_reports_errors_and_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    (tmp_path / "programme.yaml").write_text(PROGRAMME_TEXT.replace("format: module", "format: modul", 1), encoding="utf-8")
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path))
    assert main(["content", "check"]) == 1
    err = capsys.readouterr().err
    assert "programme.yaml:" in err and "format must be one of session, module" in err
    monkeypatch.setenv("CONTENT_DIR", str(REPO_ROOT / "content"))
    assert main(["content", "check"]) == 0
    assert load_programme(REPO_ROOT / "content").name == "Talent Nord 2.0"
