"""Signed, expiring report links: /report/<cohort>?exp=…&sig=… (HMAC-SHA256 of cohort and expiry)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import quote

LINK_TTL = timedelta(hours=12)
# A link minted by another clock (the CLI's --now, a drifting replica) lives no longer than this from the server's now.
CLOCK_SKEW = timedelta(minutes=5)
_MAX_DIGITS = 12  # a Unix time in seconds needs 10 digits until the year 2286


def sign(secret: str, cohort_key: str, expires: int) -> str:
    """The HMAC-SHA256 of cohort and expiry, hex."""
    message = f"report\n{cohort_key}\n{expires}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def report_path(secret: str, cohort_key: str, now: datetime, ttl: timedelta = LINK_TTL) -> tuple[str, datetime]:
    """`/report/<cohort>?exp=…&sig=…` valid until now + ttl, and that moment."""
    expires = int((now + ttl).timestamp())
    path = f"/report/{quote(cohort_key, safe='')}?exp={expires}&sig={sign(secret, cohort_key, expires)}"
    return path, datetime.fromtimestamp(expires, tz=now.tzinfo)


def verify(secret: str, cohort_key: str, expires: str, signature: str, now: datetime) -> bool:
    """True when the signature matches, the link has not expired and expires within LINK_TTL of now."""
    if not (expires.isascii() and expires.isdigit() and len(expires) <= _MAX_DIGITS) or len(signature) != 64:
        return False
    if not now.timestamp() < int(expires) <= (now + LINK_TTL + CLOCK_SKEW).timestamp():
        return False
    return hmac.compare_digest(sign(secret, cohort_key, int(expires)), signature)
