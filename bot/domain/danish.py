"""Danish formatting of dates, times and counts for the texts people read."""

from __future__ import annotations

from datetime import date, datetime

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


def format_date(day: date, *, weekday: bool = True, year: bool = True) -> str:
    """E.g. 'torsdag 14. januar 2027'."""
    text = f"{day.day}. {MONTHS[day.month - 1]}"
    if year:
        text += f" {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def format_time(moment: datetime) -> str:
    """E.g. 'kl. 09.00' (Danish uses a dot)."""
    return f"kl. {moment.hour:02d}.{moment.minute:02d}"


def format_span(start: datetime, end: datetime) -> str:
    """E.g. 'torsdag 14. januar 2027 kl. 09.00–16.00'."""
    if start.date() == end.date():
        return f"{format_date(start.date())} {format_time(start)}–{end.hour:02d}.{end.minute:02d}"
    return f"{format_date(start.date())} {format_time(start)} – {format_date(end.date())} {format_time(end)}"


def days_until(today: date, day: date) -> str:
    """'i dag', 'i morgen', 'om 12 dage'."""
    delta = (day - today).days
    if delta == 0:
        return "i dag"
    if delta == 1:
        return "i morgen"
    return f"om {delta} dage"
