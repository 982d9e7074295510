"""The question index over content and answered questions.

from bot.qa import Entry, QuestionIndex, load_index

index = load_index(content_dir, answered=[...])        # FAQ + programme + materials + readiness + passages
match = index.answer("hvor mange gange skal jeg mødes med min makker?")
if match.confident:
    reply(match.reply)                                   # answer + "\\n\\nFra: <source>"
else:
    hand_off_to_instructors(question, match)             # match.entry is the best guess, or None
index.add(Entry("answered:42", question, (), answer_text, "Svar fra underviser", None, "answered"))
"""

from bot.qa.confidence import Thresholds
from bot.qa.entry import Candidate, Entry, Match
from bot.qa.index import QuestionIndex, build_index
from bot.qa.lazy import AnyIndex, LazyIndex
from bot.qa.loader import content_entries, load_faq, load_index, parse_faq

__all__ = [
    "AnyIndex",
    "Candidate",
    "Entry",
    "LazyIndex",
    "Match",
    "QuestionIndex",
    "Thresholds",
    "build_index",
    "content_entries",
    "load_faq",
    "load_index",
    "parse_faq",
]
