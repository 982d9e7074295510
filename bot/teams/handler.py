"""The Teams activity handler: turns activities into service calls and replies into cards."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.core import InvokeResponse
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, Attachment, ChannelAccount


import cards
from bot.domain.commands import Intent, classify, normalise
from bot.domain.people import Profile, TeamsIdentity
from bot.services.broadcasts import BroadcastError
from bot.services.core import Core
from bot.services.guide import Reply
from bot.services.nudging import ActionError

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
    """Answer from the question index when confident; otherwise say so kindly."""
    text = (ctx.activity.text or "").strip()
    question = intent.arg if intent.name == "ask" and intent.arg else text
    match = bot.services.questions.answer(question)
    if match.confident and match.entry is not None:
        return Reply("answer", {"question": question, "answer": match.entry.answer, "source": match.entry.source})
    return bot.guide.fallback(text)


async def _library(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return Reply("library", await bot.services.learning.library(profile.person_id))


def _refusal() -> Reply:
    return Reply("notice", {"title": "Det kan kun LEAD", "text": "Den kommando er forbeholdt programmets administratorer hos LEAD.", "sender": None})


async def _broadcast(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    if not profile.has_role("admin"):
        log.warning("refused broadcast from person %d (not admin)", profile.person_id)
        return _refusal()
    role, _, text = intent.arg.partition(" ")
    if role not in ("talent", "leader", "all"):
        role, text = "all", intent.arg
    cohort_key = next(r.cohort_key for r in profile.roles if r.role == "admin")
    try:
        result = await bot.services.broadcaster.broadcast(cohort_key, text, role, sender=profile.name)
    except BroadcastError as exc:
        return Reply("notice", {"title": "Beskeden blev ikke sendt", "text": str(exc), "sender": None})
    missing = f" {len(result.unreachable)} har endnu ikke åbnet chatten med mig og får den ikke." if result.unreachable else ""
    return Reply("notice", {"title": "Besked sendt", "text": f"Beskeden går ud til {result.queued} personer.{missing}", "sender": None})


async def _publish(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    if not profile.has_role("admin"):
        log.warning("refused publish from person %d (not admin)", profile.person_id)
        return _refusal()
    summary = await bot.services.learning.publish()
    return Reply("notice", {"title": "Materialer publiceret", "text": (
        f"{summary.new} nye, {summary.changed} ændrede, {summary.unchanged} uændrede. "
        f"{summary.update_notices} deltagere får besked om opdateret materiale."), "sender": None})


async def _development_plan(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    return await bot.services.growth.plans_reply(profile)


async def _status(bot: "CompanionBot", ctx: TurnContext, profile: Profile, intent: Intent) -> Reply:
    if not profile.has_role("admin"):
        log.warning("refused status from person %d (not admin)", profile.person_id)
        return _refusal()
    # admins see the figures of the cohorts they administer: the one named, else their first
    own = [r.cohort_key for r in profile.roles if r.role == "admin"]
    cohort_key = next((key for key in own if intent.arg and normalise(key) == intent.arg), own[0])
    return Reply("status_summary", await bot.services.reports.status(cohort_key))


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

    def __init__(self, services: Core) -> None:
        self.services = services
        self.directory = services.directory
        self.guide = services.guide

    async def _send(self, ctx: TurnContext, reply: Reply) -> None:
        card = cards.render(reply.card, reply.data)
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
        if account is None and is_personal(ctx.activity):
            # the everyday case, a known person in a stored chat, costs one query
            known, has_chat = await self.directory.find_known(identity, ctx.activity.conversation.id)
            if known is not None and has_chat:
                return known
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

    async def _greet(self, ctx: TurnContext, account: ChannelAccount | None = None) -> None:
        person_id = await self._person(ctx, account)
        profile = await self.directory.profile(person_id) if person_id is not None else None
        if profile is None or not profile.roles:
            await self._send(ctx, self.guide.not_rostered(identity_of(ctx.activity, account).name))
            return
        await self._send(ctx, await self.guide.welcome(profile))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        if not is_personal(turn_context.activity):
            log.info("message in a %s conversation ignored for now", turn_context.activity.conversation.conversation_type)
            return
        person_id = await self._person(turn_context)
        profile = await self.directory.profile(person_id) if person_id is not None else None
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
        raise LookupError(f"unknown verb {verb!r}")

    async def on_adaptive_card_invoke(self, turn_context: TurnContext, invoke_value: Any) -> AdaptiveCardInvokeResponse:
        """Action.Execute: act and answer with the refreshed card (Teams replaces it in place)."""
        # botbuilder leaves value.action as a plain dict; read the raw payload to be sure.
        raw = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        action = raw.get("action") if isinstance(raw.get("action"), dict) else {}
        data = dict(action["data"]) if isinstance(action.get("data"), dict) else {}
        if isinstance(action.get("verb"), str) and "verb" not in data:
            data["verb"] = action["verb"]
        person_id = await self._person(turn_context)
        profile = await self.directory.profile(person_id) if person_id is not None else None
        if profile is None or not profile.roles:
            return _card_response(cards.render("not_rostered", {"name": turn_context.activity.from_property.name or ""}))
        try:
            card = await self._act(profile, data)
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
            card = await self._act(profile, value)
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
