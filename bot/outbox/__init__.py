"""The outbox, the one way proactive messages go out: writer, sender, pacing, status, in-place updates."""
from bot.outbox.pacing import ConversationWindows, PacedRate, SlidingLimit
from bot.outbox.sender import Sender, SenderStats
from bot.outbox.shared_rate import SharedRate
from bot.outbox.status import OutboxStatus, outbox_status
from bot.outbox.updates import deliver, replacing
from bot.outbox.writer import enqueue, reachable_chat, reachable_chats

__all__ = [
    "ConversationWindows",
    "OutboxStatus",
    "PacedRate",
    "Sender",
    "SenderStats",
    "SharedRate",
    "SlidingLimit",
    "deliver",
    "enqueue",
    "outbox_status",
    "reachable_chat",
    "reachable_chats",
    "replacing",
]
