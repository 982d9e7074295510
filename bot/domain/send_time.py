"""When a scheduled broadcast goes: a local wall-clock time read, checked (past, DST gap or repeat) and made UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.danish import format_date

# "2027-01-10 09:00" (the CLI), "2027-01-10T09:00" (a browser's datetime-local), seconds allowed, "09.00" too
_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
MAX_AHEAD = timedelta(days=366)  # a broadcast planned further ahead is almost certainly a typo in the year


class SendTimeError(ValueError):
    """The time cannot be used (Danish message for LEAD)."""


def local_label(moment: datetime, tz: ZoneInfo) -> str:
    """E.g. 'søndag 10. januar 2027 kl. 09.00' in the cohort's zone."""
    local = moment.astimezone(tz)
    return f"{format_date(local.date())} kl. {local:%H.%M}"


def parse_send_time(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """The UTC moment a local 'YYYY-MM-DD HH:MM' names in tz; SendTimeError when it is malformed, past, skipped or repeated."""
    match = _TIME_RE.match(text.strip())
    if not match:
        raise SendTimeError("Skriv tidspunktet som dato og klokkeslæt, fx 2027-01-10 09:00.")
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        naive = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - a wall-clock time, given its zone below
    except ValueError:
        raise SendTimeError(f"{text.strip()} er ikke en dato og et klokkeslæt, der findes.") from None
    early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if early.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise SendTimeError(
            f"Kl. {naive:%H.%M} findes ikke den {format_date(naive.date(), weekday=False)}: uret springer frem. Vælg et andet tidspunkt."
        )
    if early.utcoffset() != late.utcoffset():
        raise SendTimeError(
            f"Kl. {naive:%H.%M} kommer to gange den {format_date(naive.date(), weekday=False)}: uret stilles tilbage. Vælg et andet tidspunkt."
        )
    moment = early.astimezone(UTC)
    if moment <= now:
        raise SendTimeError(f"{local_label(moment, tz)} er allerede gået. Vælg et tidspunkt frem i tiden.")
    if moment - now > MAX_AHEAD:
        raise SendTimeError("Tidspunktet ligger mere end et år frem. Tjek årstallet.")
    return moment
