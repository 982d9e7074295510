"""A scheduled broadcast's local time: read in the cohort's zone, refused when past, skipped, repeated or a typo."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.send_time import SendTimeError, parse_send_time

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2027-01-10 09:00", "2027-01-10T09:00", "2027-01-10 09.00", " 2027-01-10 09:00:00 "])
def test_the_cli_and_the_browser_forms_name_the_same_moment(text: str) -> None:
    assert parse_send_time(text, CPH, NOW) == datetime(2027, 1, 10, 8, 0, tzinfo=UTC)  # winter: UTC+1


def test_summer_time_is_two_hours_ahead_of_utc() -> None:
    assert parse_send_time("2027-06-01 09:00", CPH, NOW) == datetime(2027, 6, 1, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-01-04 10:00", "er allerede gået"),  # NOW itself is not ahead
        ("2027-03-28 02:00", "findes ikke"),
        ("2027-10-31 02:59", "kommer to gange"),
        ("2027-02-30 09:00", "findes"),
        ("2028-06-01 09:00", "mere end et år frem"),
        ("10/01 kl 9", "fx 2027-01-10 09:00"),
    ],
)
def test_a_time_that_cannot_be_used_says_why_in_danish(text: str, message: str) -> None:
    with pytest.raises(SendTimeError, match=message):
        parse_send_time(text, CPH, NOW)
