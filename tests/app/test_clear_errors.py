"""Issue #16: bad input gives one clear line (files: file:line; HTTP: a 4xx), never a traceback."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.content.yamlfile import load_yaml_file, load_yaml_text
from bot.domain.errors import FileErrors
from bot.report.links import LINK_TTL, report_path, sign, verify
from tests.support import NOW, Server

SECRET = "s" * 32


@pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "{[1]: 2}\n", "? {a: 1}\n: x\n"])
def test_yaml_with_an_unhashable_key_is_a_line_numbered_error(text: str) -> None:
    with pytest.raises(FileErrors) as info:
        load_yaml_text(text, "cohort.yaml")
    assert "cohort.yaml:" in str(info.value) and "key" in str(info.value)


@pytest.mark.parametrize("text", ["[" * 3000 + "]" * 3000, "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 400))])
def test_yaml_nested_too_deep_is_a_clear_error_not_a_recursion_error(text: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileErrors) as info:
        load_yaml_file(path)
    assert "deep.yaml:" in str(info.value) and "nested" in str(info.value)


def test_yaml_of_ordinary_depth_still_loads() -> None:
    assert load_yaml_text("a: {b: [1, [2, {c: 3}]]}\n", "x.yaml") == {"a": {"b": [1, [2, {"c": 3}]]}}


@pytest.mark.parametrize("exp", ["²", "٣٤٥", "9" * 5000, "", "-5", "1e9"])
def test_a_report_link_with_a_non_number_expiry_is_refused(exp: str) -> None:
    assert verify(SECRET, "k", exp, "0" * 64, NOW) is False


def test_a_link_signed_for_far_in_the_future_is_refused_by_the_servers_clock() -> None:
    far = int((NOW + timedelta(days=365 * 70)).timestamp())
    assert verify(SECRET, "k", str(far), sign(SECRET, "k", far), NOW) is False
    path, _ = report_path(SECRET, "k", NOW)
    query = dict(part.split("=") for part in path.split("?")[1].split("&"))
    assert verify(SECRET, "k", query["exp"], query["sig"], NOW) is True
    assert verify(SECRET, "k", query["exp"], query["sig"], NOW + LINK_TTL - timedelta(minutes=1)) is True


async def test_report_links_with_odd_expiries_are_4xx_over_http(server: Server) -> None:
    for exp in ["%C2%B2", "9" * 5000, "%D9%A3"]:
        status, _ = await server.get(f"/report/k?exp={exp}&sig={'0' * 64}")
        assert status == 403, exp


async def test_the_report_page_may_only_be_framed_by_teams_and_outlook(server: Server) -> None:
    async with server.http.get(f"{server.url}/report/k?exp=1&sig=x") as resp:
        assert resp.status == 403
        assert "frame-ancestors" in resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Frame-Options"] == "DENY"  # an error page is never framed


def test_the_report_page_csp_lets_only_microsofts_hosts_frame_it() -> None:
    from app import REPORT_HEADERS

    csp = REPORT_HEADERS["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://teams.microsoft.com" in csp and "https://outlook.office.com" in csp
