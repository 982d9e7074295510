"""The roster preview's seal: the re-posted file text is bound to the admin, the cohort and what they were shown."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

UPLOAD_MAX_AGE = 30 * 60  # a preview older than this must be uploaded again


def _mac(secret: bytes, person_id: int, cohort_key: str, text: str, fingerprint: str, issued: int) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    message = f"console-roster\x00{person_id}\x00{cohort_key}\x00{digest}\x00{fingerprint}\x00{issued}"
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def encode_text(text: str) -> str:
    """The roster text for a hidden field (base64: line breaks and quotes survive any browser)."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def decode_text(value: str) -> str | None:
    """The text from encode_text, None when it is not."""
    try:
        return base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None


def seal(secret: bytes, person_id: int, cohort_key: str, text: str, fingerprint: str, *, now: float | None = None) -> str:
    """A token proving this admin was shown this preview of this text for this cohort."""
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_mac(secret, person_id, cohort_key, text, fingerprint, issued)}"


def unseal(secret: bytes, token: str, person_id: int, cohort_key: str, text: str, fingerprint: str, *, now: float | None = None) -> bool:
    """Whether the token was sealed for exactly these and is at most UPLOAD_MAX_AGE old."""
    issued_text, _, mac = token.partition(".")
    if not issued_text.isdigit() or len(issued_text) > 12 or not mac:
        return False
    age = (time.time() if now is None else now) - int(issued_text)
    if not -60 <= age <= UPLOAD_MAX_AGE:
        return False
    return hmac.compare_digest(mac, _mac(secret, person_id, cohort_key, text, fingerprint, int(issued_text)))
