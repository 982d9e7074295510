"""One incoming activity as the handlers see it: context, services, sender, and how to answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Attachment

import cards
from bot.domain.people import Profile, TeamsIdentity
from bot.domain.text import MAX_TURN_CHARS, clean, clean_value
from bot.observe.context import set_subject
from bot.services.core import Core
from bot.services.reply import Reply
from bot.teams.identity import Senders, identity_of, is_personal
from bot.teams.replies import DirectReplies


@dataclass(frozen=True)
class Turn:
    """The context of one turn: built once, handed to every message route and card verb."""

    ctx: TurnContext
    core: Core
    senders: Senders
    identity: TeamsIdentity  # the sender, with the tenant read once
    profile: Profile | None  # the tenant-scoped profile in a 1:1 chat; None for strangers and in channels
    replies: DirectReplies | None = None  # None: replies go through botbuilder's TurnContext.send_activity

    @classmethod
    async def begin(cls, ctx: TurnContext, core: Core, senders: Senders, replies: DirectReplies | None) -> Turn:
        """The turn for an activity; in a 1:1 chat the sender is found (and linked) at once."""
        identity = identity_of(ctx.activity)
        profile = await senders.sender(ctx, identity) if is_personal(ctx.activity) else None
        if profile is not None:
            # the turn's later log lines (and the sends it queues) name the person by id, and their cohort
            # when they have exactly one
            cohorts = {r.cohort_key for r in profile.roles}
            set_subject(person_id=profile.person_id, cohort=next(iter(cohorts)) if len(cohorts) == 1 else None)
        return cls(ctx, core, senders, identity, profile, replies)

    @property
    def tenant(self) -> str | None:
        """The tenant the activity comes from."""
        return self.identity.tenant_id

    @property
    def personal(self) -> bool:
        """Whether this is a 1:1 chat with the bot."""
        return is_personal(self.ctx.activity)

    @property
    def rostered(self) -> bool:
        """Whether the sender has a role the bot serves (in this tenant)."""
        return self.profile is not None and bool(self.profile.roles)

    @property
    def person(self) -> Profile:
        """The sender's profile, for the routes and card verbs behind the rostered guard (which sees it set)."""
        if self.profile is None:
            raise RuntimeError("a route for a known person was reached without one; the rostered guard was skipped")
        return self.profile

    @property
    def text(self) -> str:
        """The message text ('' for none): control characters removed, bounded before any parsing."""
        return clean(self.ctx.activity.text, MAX_TURN_CHARS)

    @property
    def value(self) -> dict[str, Any]:
        """The activity's value when it is an object (a card submit), else {}."""
        value = self.ctx.activity.value
        return clean_value(value) if isinstance(value, dict) else {}

    async def send(self, reply: Reply) -> None:
        """Render the reply and post it to the chat."""
        card = cards.render(reply.card, reply.data)
        if self.replies is not None and self.ctx.activity.id:
            await self.replies.send(self.ctx, {"contentType": cards.CARD_CONTENT_TYPE, "content": card})
            return
        await self.ctx.send_activity(MessageFactory.attachment(Attachment(content_type=cards.CARD_CONTENT_TYPE, content=card)))

    async def update(self, reply: Reply) -> None:
        """Render the reply in place of the card that was submitted (or as a new message when unknown)."""
        message = MessageFactory.attachment(Attachment(content_type=cards.CARD_CONTENT_TYPE, content=cards.render(reply.card, reply.data)))
        if self.ctx.activity.reply_to_id:
            message.id = self.ctx.activity.reply_to_id
            await self.ctx.update_activity(message)
        else:
            await self.ctx.send_activity(message)

    async def say(self, text: str) -> None:
        """Post a plain text message (the channel side answers instructors in text)."""
        await self.ctx.send_activity(text)
