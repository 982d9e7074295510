"""The Teams activity handler: turns activities into service calls and replies into cards."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.core import InvokeResponse
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, Attachment, ChannelAccount


import cards
from bot.domain.access import scope_to_tenant
from bot.domain.commands import Intent, classify
from bot.domain.people import Profile, TeamsIdentity
from bot.services.broadcasts import ROLE_WORDS, BroadcastError
from bot.services.core import Core
from bot.services.guide import Reply
from bot.services.questions import QUESTION_VERBS
from bot.teams.channel import NOT_HERE_DA, on_channel_invoke, on_channel_message
from bot.teams.replies import DirectReplies
from bot.services.access import ADMIN_ONLY_DA
from bot.services.errors import ActionError, Refused

log = logging.getLogger(__name__)



# How a recognised intent is answered for a rostered person. One visible table.
Route = Callable[["CompanionBot", TurnContext, Profile, Intent], Awaitable[Reply]]


async def _help(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return bot.guide.help()


async def _next(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return await bot.guide.next(profile)


async def _welcome(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return await bot.guide.welcome(profile)


async def _thanks(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return Reply("notice", {"title": "Selv tak!", "text": "Skriv endelig, hvis der er mere, jeg kan hjælpe med.", "sender": None})


async def _fallback(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return bot.guide.fallback(ctx.activity.text or "")


async def _question(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    """Answer from the question index when confident; otherwise hand the question to the instructors."""
    return await bot.services.desk.ask_text(profile, ctx.activity.text or "", explicit=intent.name == "ask")


async def _instructors_channel_here(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return Reply("notice", {"title": "Underviserkanal", "text": NOT_HERE_DA, "sender": None})


async def _library(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return Reply("library", await bot.services.learning.library(profile.person_id))


def _refusal(text: str = ADMIN_ONLY_DA) -> Reply:
    title = "Det kan kun LEAD" if text == ADMIN_ONLY_DA else "Ikke dit hold"
    return Reply("notice", {"title": title, "text": text, "sender": None})


def _tenant(ctx: TurnContext) -> str | None:
    return identity_of(ctx.activity).tenant_id


async def _broadcast(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    """`udsend [hold] [talenter|ledere|alle] <tekst>`: only for admins of that hold (their only one when not named)."""
    access = bot.services.access
    first, _, rest = intent.arg.partition(" ")
    named = await access.cohort_named(first) if first else None
    arg = rest.strip() if named else intent.arg
    try:
        cohort_key = await access.admin_cohort(profile, "broadcast", tenant_id=_tenant(ctx), named=named, only_one=True)
    except Refused as exc:
        return _refusal(str(exc))
    except ActionError as exc:
        return Reply("notice", {"title": "Hvilket hold?", "text": str(exc), "sender": None})
    word, _, text = arg.partition(" ")
    role = ROLE_WORDS.get(word.lower())
    if role is None:
        role, text = "all", arg
    try:
        result = await bot.services.broadcaster.broadcast(cohort_key, text, role, sender=profile.name)
    except BroadcastError as exc:
        return Reply("notice", {"title": "Beskeden blev ikke sendt", "text": str(exc), "sender": None})
    await access.allowed(profile, "broadcast", cohort_key=cohort_key, tenant_id=_tenant(ctx),
                         target=f"role {role}, {result.queued} recipient(s)")
    missing = f" {len(result.unreachable)} har endnu ikke åbnet chatten med mig og får den ikke." if result.unreachable else ""
    return Reply("notice", {"title": "Besked sendt", "text": f"Beskeden går ud til {result.queued} personer.{missing}", "sender": None})


async def _publish(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    # materials are shared by every cohort: any admin may publish them
    try:
        await bot.services.access.require_admin(profile, None, "content.publish", tenant_id=_tenant(ctx))
    except Refused as exc:
        return _refusal(str(exc))
    summary = await bot.services.learning.publish()
    await bot.services.access.allowed(profile, "content.publish", cohort_key=None, tenant_id=_tenant(ctx), target=str(summary))
    return Reply("notice", {"title": "Materialer publiceret", "text": (
        f"{summary.new} nye, {summary.changed} ændrede, {summary.unchanged} uændrede. "
        f"{summary.update_notices} deltagere får besked om opdateret materiale."), "sender": None})


async def _development_plan(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return await bot.services.growth.plans_reply(profile)


async def _status(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    # admins see the figures of the cohorts they administer: the one named, else their first
    access = bot.services.access
    named = await access.cohort_named(intent.arg) if intent.arg else None
    try:
        cohort_key = await access.admin_cohort(profile, "report.status", tenant_id=_tenant(ctx), named=named)
    except Refused as exc:
        return _refusal(str(exc))
    reply = Reply("status_summary", await bot.services.reports.status(cohort_key))
    await access.allowed(profile, "report.status", cohort_key=cohort_key, tenant_id=_tenant(ctx))
    return reply


ROUTES: dict[str, Route] = {
    "help": _help,
    "development_plan": _development_plan,
    "status": _status,
    "next": _next,
    "greeting": _welcome,
    "thanks": _thanks,
    "library": _library,
    "broadcast": _broadcast,
    "publish": _publish,
    "ask": _question,
    "empty": _help,
    "unknown": _question,
    "instructors_channel": _instructors_channel_here,
}


def identity_of(activity: Activity, account: ChannelAccount | None = None) -> TeamsIdentity:
    """The sender (or a given member) of an activity as a TeamsIdentity."""
    who = account or activity.from_property
    tenant = None
    if activity.conversation is not None and activity.conversation.tenant_id:
        tenant = activity.conversation.tenant_id
    elif isinstance(activity.channel_data, dict):
        tenant = (activity.channel_data.get("tenant") or {}).get("id")
    return TeamsIdentity(
        aad_object_id=getattr(who, "aad_object_id", None) or None,
        user_id=who.id if who else "",
        name=(who.name or "") if who else "",
        tenant_id=tenant,
    )


def is_personal(activity: Activity) -> bool:
    """Whether the activity comes from a 1:1 chat with the bot."""
    return bool(activity.conversation) and (activity.conversation.conversation_type or "personal") == "personal"


class CompanionBot(TeamsActivityHandler):
    """The bot's reactive side: install, messages and card actions."""

    @staticmethod
    def _create_invoke_response(body: object = None) -> InvokeResponse:
        # botbuilder 4.17.1 serialises the invoke body here AND again in CloudAdapter.process,
        # which fails on the dict; hand the model over unserialised so it is serialised once.
        return InvokeResponse(status=200, body=body)

    def _create_adaptive_card_invoke_error_response(self, status_code: Any, code: str, message: str) -> AdaptiveCardInvokeResponse:
        # botbuilder puts an Exception in `value`, which it then cannot serialise (a 500 for a bad
        # card action); give Teams the error object it documents instead.
        return AdaptiveCardInvokeResponse(
            status_code=int(status_code), type="application/vnd.microsoft.error", value={"code": code, "message": message}
        )

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        # botbuilder answers an invoke it has no handler for with 501; it is an invoke this app never
        # offered (a client's mistake, not ours), so say 400 and keep 5xx for real failures.
        response = await super().on_invoke_activity(turn_context)
        if response is not None and response.status == 501:
            log.info("unsupported invoke %r answered 400", (turn_context.activity.name or "")[:64])
            return InvokeResponse(status=400)
        return response

    def __init__(self, services: Core, replies: DirectReplies | None = None) -> None:
        self.services = services
        self.directory = services.directory
        self.guide = services.guide
        self.replies = replies  # None: replies go through botbuilder's TurnContext.send_activity

    async def _send(self, ctx: TurnContext, reply: Reply) -> None:
        card = cards.render(reply.card, reply.data)
        if self.replies is not None and ctx.activity.id:
            await self.replies.send(ctx, {"contentType": cards.CARD_CONTENT_TYPE, "content": card})
            return
        await ctx.send_activity(
            MessageFactory.attachment(Attachment(content_type=cards.CARD_CONTENT_TYPE, content=card))
        )

    async def _identify(self, ctx: TurnContext, account: ChannelAccount | None = None) -> TeamsIdentity:
        """The sender, with their email looked up from Teams when the AAD id is not known yet."""
        identity = identity_of(ctx.activity, account)
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

    async def _remember_chat(self, ctx: TurnContext, person_id: int | None) -> None:
        activity = ctx.activity
        reference = TurnContext.get_conversation_reference(activity)
        await self.directory.save_conversation(
            conversation_id=activity.conversation.id,
            kind="personal" if is_personal(activity) else "channel",
            service_url=activity.service_url or "",
            tenant_id=identity_of(activity).tenant_id,
            reference=reference.serialize(),
            person_id=person_id,
        )

    async def _person(self, ctx: TurnContext, account: ChannelAccount | None = None) -> int | None:
        """Find (and link) the sender; store their 1:1 chat the first time we see it."""
        identity = identity_of(ctx.activity, account)
        person_id = await self.directory.find(identity)
        if person_id is None:
            person_id = await self.directory.link(await self._identify(ctx, account))
            if person_id is not None and is_personal(ctx.activity):
                await self._remember_chat(ctx, person_id)
            if person_id is not None and self.directory.demo_cohort:
                # a demo newcomer gets the demo cohort's plan at once; the next tick sends what is due
                await self.services.planner.replan(self.directory.demo_cohort)
        elif is_personal(ctx.activity) and not await self.directory.has_conversation(ctx.activity.conversation.id):
            await self.directory.link(identity)
            await self._remember_chat(ctx, person_id)
        return person_id

    async def _profile(self, ctx: TurnContext, person_id: int | None) -> Profile | None:
        """The sender's profile with only the roles their activity's tenant may see."""
        profile = await self.directory.profile(person_id) if person_id is not None else None
        return scope_to_tenant(profile, identity_of(ctx.activity).tenant_id) if profile is not None else None

    async def _sender(self, ctx: TurnContext, account: ChannelAccount | None = None) -> Profile | None:
        """The sender's tenant-scoped profile, found (and linked, their chat stored) as _person does."""
        if account is None and is_personal(ctx.activity):
            # the everyday case, a known person in a stored chat, costs one query
            identity = identity_of(ctx.activity)
            profile, has_chat = await self.directory.known_profile(identity, ctx.activity.conversation.id)
            if profile is not None and has_chat:
                return scope_to_tenant(profile, identity.tenant_id)
        return await self._profile(ctx, await self._person(ctx, account))

    async def _greet(self, ctx: TurnContext, account: ChannelAccount | None = None) -> None:
        profile = await self._sender(ctx, account)
        if profile is None or not profile.roles:
            await self._send(ctx, self.guide.not_rostered(identity_of(ctx.activity, account).name))
            return
        await self._send(ctx, await self.guide.welcome(profile))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        if not is_personal(turn_context.activity):
            await on_channel_message(self, turn_context)
            return
        profile = await self._sender(turn_context)
        if profile is None or not profile.roles:
            await self._send(turn_context, self.guide.not_rostered(turn_context.activity.from_property.name or ""))
            return
        value = turn_context.activity.value
        if isinstance(value, dict) and value.get("verb") and not (turn_context.activity.text or "").strip():
            await self._submit(turn_context, profile, value)
            return
        intent = classify(turn_context.activity.text or "")
        route = ROUTES.get(intent.name, _fallback)
        await self._send(turn_context, await route(self, turn_context, profile, intent))

    async def on_teams_members_added(self, teams_members_added, team_info, turn_context: TurnContext) -> None:  # type: ignore[override]
        activity = turn_context.activity
        if not is_personal(activity):
            if any(m.id == activity.recipient.id for m in teams_members_added):
                await self._remember_chat(turn_context, None)
                log.info("installed in a team; channel conversation stored")
            return
        # In a 1:1 chat the event names the bot and/or the user; greet the user once.
        await self._greet(turn_context)

    async def _act(self, profile: Profile, data: dict[str, Any]) -> dict[str, Any]:
        """Carry out a card action; the refreshed card to show in its place."""
        verb = data.get("verb")
        if verb == "seen":
            activity_key, topic = data.get("activity"), data.get("topic")
            if not isinstance(activity_key, str) or not isinstance(topic, str):
                raise LookupError("seen without activity/topic")
            result = await self.services.learning.mark_seen(profile.person_id, activity_key, topic)
            return result.card
        if verb == "done":
            return await self.services.nudging.done(profile.person_id, data.get("plan"))
        if verb == "snooze":
            return await self.services.nudging.snooze(profile.person_id, data.get("plan"), data.get("days"))
        if verb == "evaluate":
            return await self.services.nudging.evaluate(profile.person_id, data.get("plan"), data)
        if verb in ("plan-save", "plan-edit") and data.get("talent", profile.person_id) != profile.person_id:
            # the form only ever edits the sender's own plan; a card naming someone else is crafted
            raise Refused("Du kan kun redigere din egen udviklingsplan.", target=f"plan of person {data.get('talent')!r:.40}")
        if verb == "plan-save":
            return await self.services.growth.save_plan(profile.person_id, data)
        if verb == "plan-edit":
            return await self.services.growth.plan_form(profile.person_id)
        if verb == "plan-view":
            return await self.services.growth.plan_view(profile.person_id, data.get("talent"), data.get("back"))
        if verb == "nudge-show":
            return await self.services.growth.nudge_again(profile.person_id, data.get("plan"))
        if verb == "readiness":
            return await self.services.growth.assess_readiness(profile.person_id, data.get("plan"), data)
        if verb in QUESTION_VERBS:
            return await self.services.desk.act(profile, data)
        raise LookupError(f"unknown verb {verb!r}")

    async def _act_recorded(self, ctx: TurnContext, profile: Profile, data: dict[str, Any]) -> dict[str, Any]:
        """_act, with every refused attempt logged and audited before it is answered."""
        try:
            return await self._act(profile, data)
        except Refused as exc:
            await self.services.access.refused(
                profile.person_id, f"card.{str(data.get('verb'))[:40]}", tenant_id=_tenant(ctx), target=exc.target
            )
            raise

    async def on_adaptive_card_invoke(self, turn_context: TurnContext, invoke_value: Any) -> AdaptiveCardInvokeResponse:
        """Action.Execute: act and answer with the refreshed card (Teams replaces it in place)."""
        # botbuilder leaves value.action as a plain dict; read the raw payload to be sure.
        raw = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        action = raw.get("action") if isinstance(raw.get("action"), dict) else {}
        data = dict(action["data"]) if isinstance(action.get("data"), dict) else {}
        if isinstance(action.get("verb"), str) and "verb" not in data:
            data["verb"] = action["verb"]
        if not is_personal(turn_context.activity):
            return await on_channel_invoke(self, turn_context, data)
        profile = await self._sender(turn_context)
        if profile is None or not profile.roles:
            return _card_response(cards.render("not_rostered", {"name": turn_context.activity.from_property.name or ""}))
        try:
            card = await self._act_recorded(turn_context, profile, data)
        except ActionError as exc:
            return AdaptiveCardInvokeResponse(
                status_code=400, type="application/vnd.microsoft.error", value={"code": "BadRequest", "message": str(exc)}
            )
        except LookupError as exc:
            log.info("card action rejected: %s", exc)
            return AdaptiveCardInvokeResponse(
                status_code=400,
                type="application/vnd.microsoft.error",
                value={"code": "BadRequest", "message": "Ukendt handling på kortet."},
            )
        return _card_response(card)

    async def _submit(self, ctx: TurnContext, profile: Profile, value: dict[str, Any]) -> None:
        """Action.Submit fallback (older clients): act, then update the card message in place."""
        try:
            card = await self._act_recorded(ctx, profile, value)
        except ActionError as exc:
            await self._send(ctx, Reply("notice", {"title": "Det gik ikke", "text": str(exc), "sender": None}))
            return
        except LookupError:
            await self._send(ctx, self.guide.fallback("(kortets knap)"))
            return
        reply = MessageFactory.attachment(Attachment(content_type=cards.CARD_CONTENT_TYPE, content=card))
        if ctx.activity.reply_to_id:
            reply.id = ctx.activity.reply_to_id
            await ctx.update_activity(reply)
        else:
            await ctx.send_activity(reply)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self.directory.mark_unreachable(turn_context.activity.conversation.id, "app uninstalled")


def _card_response(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    return AdaptiveCardInvokeResponse(
        status_code=200, type="application/vnd.microsoft.card.adaptive", value=card
    )
