"""Team channels: `underviserkanal`, and instructors answering questions on the card or in its thread."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse

from bot.domain.commands import normalise
from bot.domain.people import Profile
from bot.domain.questions import plain_text, thread_of
from bot.services.errors import ActionError, Refused
from bot.services.questions import ANSWER_VERB, ChannelPlace, Outcome, reuse_flag

if TYPE_CHECKING:
    from bot.teams.handler import CompanionBot

log = logging.getLogger(__name__)
COMMAND = "underviserkanal"
NOT_HERE_DA = "Skriv »underviserkanal« i den kanal i Teams, hvor underviserne skal have spørgsmålene (botten skal være tilføjet teamet)."


class _MessageResponse(AdaptiveCardInvokeResponse):
    """An invoke answer whose value is a message text (botbuilder's model only serialises a dict there)."""

    _attribute_map = {**AdaptiveCardInvokeResponse._attribute_map, "value": {"key": "value", "type": "object"}}


def _tenant(activity: Activity) -> str | None:
    if activity.conversation is not None and activity.conversation.tenant_id:
        return activity.conversation.tenant_id
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    return (data.get("tenant") or {}).get("id")


def channel_place(activity: Activity) -> ChannelPlace:
    """Where the activity's channel is (the channel itself, not the thread it came from)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    thread = thread_of(activity.conversation.id)
    channel_id = (data.get("channel") or {}).get("id") or data.get("teamsChannelId") or (
        thread[0] if thread else activity.conversation.id)
    team_id = (data.get("team") or {}).get("id") or data.get("teamsTeamId")
    reference = TurnContext.get_conversation_reference(activity).serialize()
    reference.pop("activityId", None)
    reference["conversation"] = {**(reference.get("conversation") or {}), "id": channel_id}
    return ChannelPlace(channel_id, activity.service_url or "", _tenant(activity), team_id, reference)


async def _sender(bot: "CompanionBot", ctx: TurnContext) -> Profile | None:
    """The sender of a channel activity if they are on a roster; strangers are never enrolled here."""
    identity = await bot._identify(ctx)  # looks the member up (for the email) when the AAD id is new
    person_id = await bot.directory.find(identity)
    if person_id is None:
        return None
    if identity.email:
        await bot.directory.link(identity)  # remember the AAD id, so the next answer needs no lookup
    return await bot._profile(ctx, person_id)


async def _answer(bot: "CompanionBot", ctx: TurnContext, question_id: Any, text: Any, reuse: bool) -> Outcome:
    profile = await _sender(bot, ctx)
    outcome = await bot.services.desk.answer(question_id, profile, str(text or ""), reuse)
    if outcome.refused and profile is not None:
        await bot.services.access.refused(profile.person_id, "question.answer", tenant_id=_tenant(ctx.activity),
                                          target=f"question {str(question_id)[:20]}")
    return outcome


async def _make_instructors_channel(bot: "CompanionBot", ctx: TurnContext, named_text: str) -> str:
    profile = await _sender(bot, ctx)
    if profile is None:
        log.warning("instructors' channel refused: sender not on any roster")
        return "Tak, men kun programmets administratorer hos LEAD kan gøre en kanal til underviserkanal."
    access = bot.services.access
    tenant = _tenant(ctx.activity)
    named = await access.cohort_named(named_text) if named_text else None
    if named_text and named is None:
        return f"Jeg kender ikke et hold, der hedder »{named_text}«."
    try:
        cohort_key = await access.admin_cohort(profile, "instructors.channel", tenant_id=tenant, named=named, only_one=True)
    except Refused:
        return "Tak, men kun programmets administratorer hos LEAD kan gøre en kanal til underviserkanal."
    except ActionError as exc:
        return str(exc)
    text = await bot.services.desk.make_channel(cohort_key, channel_place(ctx.activity), profile.person_id)
    await access.allowed(profile, "instructors.channel", cohort_key=cohort_key, tenant_id=tenant)
    return text


async def on_channel_message(bot: "CompanionBot", ctx: TurnContext) -> None:
    """A message in a team channel: the bot reacts only to `underviserkanal` and to its question threads."""
    activity = ctx.activity
    value = activity.value if isinstance(activity.value, dict) else {}
    words = normalise(activity.text or "")
    if words == COMMAND or words.startswith(COMMAND + " "):
        await ctx.send_activity(await _make_instructors_channel(bot, ctx, words[len(COMMAND):].strip()))
        return
    if value.get("verb") == ANSWER_VERB:  # Action.Submit from a client without Universal Actions
        outcome = await _answer(bot, ctx, value.get("question"), value.get("answer"), reuse_flag(value.get("faq")))
        await ctx.send_activity(outcome.text)
        return
    # With channel-message consent the bot sees every post in the team; only its question threads concern it.
    question_id = await bot.services.desk.question_of_thread(activity.conversation.id)
    if question_id is None:
        return
    outcome = await _answer(bot, ctx, question_id, plain_text(activity.text or ""), True)
    await ctx.send_activity(outcome.text)


async def on_channel_invoke(bot: "CompanionBot", ctx: TurnContext, data: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    """Action.Execute on a card in a channel: "Svar" on a question card."""
    if data.get("verb") != ANSWER_VERB:
        return AdaptiveCardInvokeResponse(status_code=400, type="application/vnd.microsoft.error",
                                          value={"code": "BadRequest", "message": "Ukendt handling på kortet."})
    outcome = await _answer(bot, ctx, data.get("question"), data.get("answer"), reuse_flag(data.get("faq")))
    if outcome.ok and outcome.card is not None:
        return AdaptiveCardInvokeResponse(status_code=200, type="application/vnd.microsoft.card.adaptive", value=outcome.card)
    # a refusal, a second answer or an empty one: a message to the person who clicked; the card stays
    return _MessageResponse(status_code=200, type="application/vnd.microsoft.activity.message", value=outcome.text)
