"""Working days in Denmark: weekends and public holidays are not working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# Not official public holidays, but days when public workplaces are closed or nearly so.
CLOSED_DAYS = {(6, 5): "Grundlovsdag", (12, 24): "Juleaftensdag", (12, 31): "Nytårsaftensdag"}


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher")."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


# The public holidays of the Danish church year: days after Easter Sunday, name, and the last year it was
# one (None: still is). Store bededag was abolished as a public holiday from 2024 (lov nr. 13 af 28. februar 2023).
EASTER_OFFSETS: tuple[tuple[int, str, int | None], ...] = (
    (-3, "Skærtorsdag", None),
    (-2, "Langfredag", None),
    (0, "Påskedag", None),
    (1, "Anden påskedag", None),
    (26, "Store bededag", 2023),
    (39, "Kristi himmelfartsdag", None),
    (49, "Pinsedag", None),
    (50, "Anden pinsedag", None),
)
FIXED_HOLIDAYS = {(1, 1): "Nytårsdag", (12, 25): "Juledag", (12, 26): "Anden juledag"}


@lru_cache(maxsize=64)
def _holiday_names(year: int) -> dict[date, str]:
    # Computed by rule rather than with the `holidays` package: importing it and building one year took
    # 0.2-0.3 s of every command that plans (tests/domain/test_workdays.py holds the rule to the package).
    easter = easter_sunday(year)
    names = {date(year, month, day): name for (month, day), name in FIXED_HOLIDAYS.items()}
    for offset, name, last in EASTER_OFFSETS:
        if last is None or year <= last:
            names[easter + timedelta(days=offset)] = name
    names.update({date(year, month, day): name for (month, day), name in CLOSED_DAYS.items()})
    return names


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(_holiday_names(year))


def holiday_name(day: date) -> str | None:
    """The Danish name of the public holiday (or closed day) on this day, else None."""
    return _holiday_names(day.year).get(day)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Danish public holiday (or closed day)."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def previous_working_day(day: date) -> date:
    """The day itself if it is a working day, else the nearest working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def next_working_day(day: date) -> date:
    """The day itself if it is a working day, else the nearest working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def send_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The aware moment to send on a day, moved back to a working day."""
    return datetime.combine(previous_working_day(day), at, tz)


def next_send_moment(after: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first working-hours send moment strictly after `after` (for snoozes and retries)."""
    local = after.astimezone(tz)
    day = local.date() if local.time() < at else local.date() + timedelta(days=1)
    return datetime.combine(next_working_day(day), at, tz)


WORKDAY_ENDS = time(16, 0)


def send_soon(moment: datetime, at: time, tz: ZoneInfo) -> datetime:
    """`moment` itself when it is within working hours (send time to 16:00 on a working day), else the next send moment."""
    local = moment.astimezone(tz)
    if is_working_day(local.date()) and at <= local.time() < WORKDAY_ENDS:
        return moment
    return next_send_moment(moment, at, tz)
