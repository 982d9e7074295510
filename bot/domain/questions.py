"""Questions to the instructors as pure rules: what was asked, which thread, how long it has waited."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.limits import LIMITS
from bot.domain.text import strip_mentions, strip_tags
from bot.domain.workdays import is_working_day

MAX_QUESTION_CHARS = LIMITS["question"]
MAX_ANSWER_CHARS = LIMITS["answer"]
# What the talent is told about when to expect a person's answer.
ANSWER_PROMISE = "normalt inden for et døgn på hverdage"

_BREAK_RE = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_SPACES_RE = re.compile(r"[ \t\u00a0]+")
# "spørg en underviser om …", "spørg underviserne: …", "spørgsmål til en underviser …"
_ASK_RE = re.compile(r"^\s*(?:spørg|spoerg|spørgsmål)\b[\s:,-]*", re.IGNORECASE)
_PERSON_RE = re.compile(
    r"^(?:til\s+)?(?:en\s+underviser|underviserne|underviser|en\s+person|et\s+menneske|lead)\b[\s:,-]*(?:om\b[\s:,-]*)?",
    re.IGNORECASE,
)
QUESTION_WORDS = frozenset(
    [
        "hvad",
        "hvordan",
        "hvornår",
        "hvor",
        "hvem",
        "hvorfor",
        "hvilke",
        "hvilken",
        "hvilket",
        "kan",
        "må",
        "skal",
        "er",
        "har",
        "bør",
        "findes",
        "gælder",
        "behøver",
        "får",
        "vil",
        "kommer",
        "hvorledes",
    ]
)
_THREAD_MARK = ";messageid="


def plain_text(text: str) -> str:
    """Chat text as written: @mentions and markup removed, entities decoded, spaces tidied."""
    text = strip_mentions(text or "")
    text = _BREAK_RE.sub("\n", text)
    text = html.unescape(strip_tags(text))
    lines = [_SPACES_RE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line).strip()


def question_text(text: str) -> tuple[str, bool]:
    """The question as written (command words removed) and whether the person asked for a person."""
    text = plain_text(text)
    command = _ASK_RE.match(text)
    rest = text[command.end() :] if command else text
    wants_person = False
    if command:
        person = _PERSON_RE.match(rest)
        if person:
            wants_person, rest = True, rest[person.end() :]
    rest = rest.strip()
    return (rest[:1].upper() + rest[1:]) if rest else "", wants_person


def looks_like_question(text: str) -> bool:
    """Whether free text reads as a question (worth an instructor's time), not a stray word."""
    words = re.findall(r"\w+", text.lower())
    if len(words) < 2:
        return False
    return text.rstrip().endswith("?") or words[0] in QUESTION_WORDS


def thread_of(conversation_id: str) -> tuple[str, str] | None:
    """(channel id, root message id) of a channel thread's conversation id, None outside a thread."""
    channel, mark, root = (conversation_id or "").partition(_THREAD_MARK)
    if not mark or not channel or not root:
        return None
    return channel, root


def thread_conversation_id(channel_id: str, root_id: str) -> str:
    """The conversation id that posts into one thread of a channel."""
    return f"{channel_id}{_THREAD_MARK}{root_id}"


def working_hours_between(start: datetime, end: datetime, tz: ZoneInfo) -> float:
    """Hours from start to end that fall on working days (weekends and Danish holidays do not count)."""
    if end <= start:
        return 0.0
    total = timedelta()
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if is_working_day(day):
            day_start = datetime.combine(day, time(0), tz)
            day_end = datetime.combine(day + timedelta(days=1), time(0), tz)
            lo, hi = max(start, day_start), min(end, day_end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def same_question(a: set[str], b: set[str]) -> bool:
    """Two questions' content terms say the same thing: (nearly) the same words, at least two of them."""
    if len(a) < 2 or len(b) < 2:
        return a == b and bool(a)
    return len(a & b) / len(a | b) >= 0.8
