"""Who sent an activity: their Teams identity (tenant read once), found and linked to a person, their chat stored."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity

from bot.domain.access import scope_to_tenant
from bot.domain.people import Profile, TeamsIdentity
from bot.services.core import Core

log = logging.getLogger(__name__)


def tenant_of(activity: Activity) -> str | None:
    """The tenant an activity comes from: the conversation's, else channelData's."""
    if activity.conversation is not None and activity.conversation.tenant_id:
        return activity.conversation.tenant_id
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    return (data.get("tenant") or {}).get("id")


def identity_of(activity: Activity) -> TeamsIdentity:
    """The sender of an activity as a TeamsIdentity."""
    who = activity.from_property
    return TeamsIdentity(
        aad_object_id=getattr(who, "aad_object_id", None) or None,
        user_id=who.id if who else "",
        name=(who.name or "") if who else "",
        tenant_id=tenant_of(activity),
    )


def is_personal(activity: Activity) -> bool:
    """Whether the activity comes from a 1:1 chat with the bot."""
    return bool(activity.conversation) and (activity.conversation.conversation_type or "personal") == "personal"


class Senders:
    """Finds the person behind an activity, links their Teams ids and stores their chat."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.directory = core.directory

    async def identify(self, ctx: TurnContext, identity: TeamsIdentity) -> TeamsIdentity:
        """The sender, with their email looked up from Teams when the AAD id is not known yet."""
        if await self.directory.find(identity) is not None:
            return identity
        try:
            member = await TeamsInfo.get_member(ctx, identity.user_id)
            email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
        except Exception as exc:  # the lookup is a nicety; a stranger is still answered
            log.info("member lookup failed: %s", type(exc).__name__)
            email = None
        if email:
            identity = TeamsIdentity(identity.aad_object_id, identity.user_id, identity.name, identity.tenant_id, email)
        return identity

    async def remember_chat(self, ctx: TurnContext, tenant_id: str | None, person_id: int | None) -> None:
        """Store the activity's conversation (a 1:1 chat or a team channel) so the bot can write to it later."""
        activity = ctx.activity
        reference = TurnContext.get_conversation_reference(activity)
        await self.directory.save_conversation(
            conversation_id=activity.conversation.id,
            kind="personal" if is_personal(activity) else "channel",
            service_url=activity.service_url or "",
            tenant_id=tenant_id,
            reference=reference.serialize(),
            person_id=person_id,
        )

    async def _person(self, ctx: TurnContext, identity: TeamsIdentity) -> int | None:
        """Find (and link) the sender; store their 1:1 chat the first time we see it."""
        personal = is_personal(ctx.activity)
        person_id = await self.directory.find(identity)
        if person_id is None:
            demo = self.directory.demo_cohort
            before = await self.core.planner.people_state(demo) if demo else None
            person_id = await self.directory.link(await self.identify(ctx, identity))
            if person_id is not None and personal:
                await self.remember_chat(ctx, identity.tenant_id, person_id)
            if person_id is not None and demo:
                # a demo newcomer gets their plan at once (theirs only); the next tick sends what is due
                await self.core.planner.replan_people(demo, before)
        elif personal and not await self.directory.has_conversation(ctx.activity.conversation.id):
            await self.directory.link(identity)
            await self.remember_chat(ctx, identity.tenant_id, person_id)
        return person_id

    async def _profile(self, person_id: int | None, tenant_id: str | None) -> Profile | None:
        """The person's profile with only the roles their activity's tenant may see."""
        profile = await self.directory.profile(person_id) if person_id is not None else None
        return scope_to_tenant(profile, tenant_id) if profile is not None else None

    async def sender(self, ctx: TurnContext, identity: TeamsIdentity) -> Profile | None:
        """The sender of a 1:1 activity, tenant-scoped: found, linked and their chat stored as needed."""
        if is_personal(ctx.activity):
            # the everyday case, a known person in a stored chat, costs one query
            profile, has_chat = await self.directory.known_profile(identity, ctx.activity.conversation.id)
            if profile is not None and has_chat:
                return scope_to_tenant(profile, identity.tenant_id)
        return await self._profile(await self._person(ctx, identity), identity.tenant_id)

    async def rostered(self, ctx: TurnContext, identity: TeamsIdentity) -> Profile | None:
        """The sender of a channel activity if they are on a roster; strangers are never enrolled here."""
        identity = await self.identify(ctx, identity)  # looks the member up (for the email) when the AAD id is new
        person_id = await self.directory.find(identity)
        if person_id is None:
            return None
        if identity.email:
            await self.directory.link(identity)  # remember the AAD id, so the next answer needs no lookup
        return await self._profile(person_id, identity.tenant_id)
