"""The outbox, the one way proactive messages go out: writer, sender, pacing, status, in-place updates."""

from bot.outbox.pacing import ConversationWindows, PacedRate, SlidingLimit
from bot.outbox.sender import Sender, SenderStats
from bot.outbox.shared_rate import SharedRate
from bot.outbox.status import OutboxStatus, outbox_status
from bot.outbox.updates import deliver, replacing
from bot.outbox.writer import Outgoing, enqueue, enqueue_all, reachable_chat, reachable_chats

__all__ = [
    "ConversationWindows",
    "OutboxStatus",
    "Outgoing",
    "PacedRate",
    "Sender",
    "SenderStats",
    "SharedRate",
    "SlidingLimit",
    "deliver",
    "enqueue",
    "enqueue_all",
    "outbox_status",
    "reachable_chat",
    "reachable_chats",
    "replacing",
]
