"""The plan as an iCalendar file a person can import into Outlook (RFC 5545)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.programme import Programme

TOPIC_TITLES = {
    "intro": "Forberedelse: intro (video/podcast)",
    "article": "Forberedelse: kort artikel",
    "literature": "Forberedelse: grundlitteratur (valgfri)",
    "reminder": "Praktisk påmindelse",
}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded with CRLF + space."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def plan_to_ics(items: Iterable[dict[str, Any]], programme: Programme, calendar_name: str, now: datetime | None = None) -> str:
    """One 15-minute event per plan row, titled in Danish, with the row's key as a stable UID."""
    now = now or datetime.now(UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//LEAD//Talent Nord companion//DA",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(calendar_name)}",
    ]
    for item in items:
        start = datetime.fromisoformat(item["due"])
        activity = programme.activity(item["activity"]).name if item.get("activity") else ""
        title = TOPIC_TITLES.get(item["topic"], item["topic"])
        summary = f"{title} – {activity}" if activity else title
        description = f"Talent Nord 2.0 – {item['kind']} til {item['recipient']} ({item['status']})"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_escape(item['key'])}@talentnord",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(start)}",
            f"DTEND:{_stamp(start + timedelta(minutes=15))}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
