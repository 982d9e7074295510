"""Signed, expiring file links: /files/<id>?p=<person>&exp=…&sig=… (HMAC-SHA256 of file, person and expiry)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

TAB_TTL = timedelta(hours=12)  # the tab and the chat library make fresh links on every view
CARD_TTL = timedelta(days=60)  # a card stays in the chat: its link lives through the weeks it is about
CLOCK_SKEW = timedelta(minutes=5)
_MAX_DIGITS = 12


def sign(secret: str, file_id: int, person_id: int, expires: int) -> str:
    """The HMAC-SHA256 of file, person and expiry, hex (keyed apart from report links by its prefix)."""
    message = f"file\n{file_id}\n{person_id}\n{expires}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def file_path(secret: str, file_id: int, person_id: int, expires: datetime) -> str:
    """`/files/<id>?p=…&exp=…&sig=…` for one person until that moment."""
    exp = int(expires.timestamp())
    return f"/files/{int(file_id)}?p={int(person_id)}&exp={exp}&sig={sign(secret, file_id, person_id, exp)}"


def verify(secret: str, file_id: str, person: str, expires: str, signature: str, now: datetime) -> tuple[int, int] | None:
    """(file id, person id) when the signature matches and the link has not expired; None for anything else."""
    parts = (file_id, person, expires)
    if not all(p.isascii() and p.isdigit() and len(p) <= _MAX_DIGITS for p in parts) or len(signature) != 64:
        return None
    if not now.timestamp() < int(expires) <= (now + CARD_TTL + CLOCK_SKEW).timestamp():
        return None
    if not hmac.compare_digest(sign(secret, int(file_id), int(person), int(expires)), signature):
        return None
    return int(file_id), int(person)
