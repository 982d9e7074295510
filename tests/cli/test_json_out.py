"""The CLI's JSON output: the fast indented writer gives exactly json.dumps(indent=2)'s text."""

from __future__ import annotations

import io
import json
import math
from contextlib import redirect_stdout
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli.common import JsonArrayOut, indented, print_json

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text())
FLAT = st.dictionaries(st.text(), SCALARS, max_size=8)


@given(FLAT)
def test_a_flat_object_is_written_as_json_dumps_with_an_indent_writes_it(item: dict[str, Any]) -> None:
    assert indented(item) == json.dumps(item, ensure_ascii=False, indent=2)


@pytest.mark.parametrize(
    "item",
    [
        {"key": 'hold/1/m1/"quoted"\n', "due": "2027-01-04T08:30:00+01:00", "reason": None, "seq": 3, "ok": True},
        {"ø": "Blå æske \u2028 \x00 \\", "n": -0, "big": 10**30, "x": math.inf, "y": 1e-7},
        {"nested": {"a": [1, 2]}, "list": []},  # not flat: json.dumps itself
        {},
        [1, {"a": None}],
        "text",
    ],
)
def test_plan_rows_and_what_is_not_flat(item: Any) -> None:
    assert indented(item) == json.dumps(item, ensure_ascii=False, indent=2)


def test_the_array_writers_give_the_text_of_one_dumps_of_the_list() -> None:
    rows = [{"key": f"k{i}", "due": "2027-01-04T08:30:00+01:00", "reason": None if i % 2 else "no longer planned"} for i in range(1203)]
    expected = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    for write in (print_json, _streamed):
        out = io.StringIO()
        with redirect_stdout(out):
            write(rows)
        assert out.getvalue() == expected
    out = io.StringIO()
    with redirect_stdout(out):
        _streamed([])
    assert out.getvalue() == "[]\n"


def _streamed(rows: list[Any]) -> None:
    writer = JsonArrayOut()
    for row in rows:
        writer.add(row)
    writer.close()
