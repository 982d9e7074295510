"""Danish public holidays by rule, held to the `holidays` package (a dev dependency) from 1950 to 2100 (the package's range)."""

from __future__ import annotations

from datetime import date

import holidays
import pytest

from bot.domain.workdays import CLOSED_DAYS, easter_sunday, holiday_name, is_working_day


@pytest.mark.parametrize("year", range(1950, 2101))
def test_the_rule_gives_the_packages_danish_holidays_with_their_danish_names(year: int) -> None:
    expected = {day: str(name) for day, name in holidays.Denmark(years=year, language="da").items()}
    expected.update({date(year, month, day): name for (month, day), name in CLOSED_DAYS.items()})
    ours = {day: name for day in expected if (name := holiday_name(day))}
    assert ours == expected
    # and no other day of the year is one
    first = date(year, 1, 1).toordinal()
    days = [date.fromordinal(first + n) for n in range(366) if date.fromordinal(first + n).year == year]
    assert {day for day in days if holiday_name(day)} == set(expected)


def test_known_easters_and_the_end_of_store_bededag() -> None:
    assert [easter_sunday(y) for y in (2024, 2025, 2027, 2038)] == [
        date(2024, 3, 31),
        date(2025, 4, 20),
        date(2027, 3, 28),
        date(2038, 4, 25),
    ]
    assert holiday_name(date(2023, 5, 5)) == "Store bededag"
    assert holiday_name(date(2024, 4, 26)) is None and is_working_day(date(2024, 4, 26))
    assert not is_working_day(date(2027, 5, 6))  # Kristi himmelfartsdag, a Thursday
