"""Team channels: `underviserkanal`, and instructors answering questions on the card or in its thread."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import AdaptiveCardInvokeResponse

from bot.domain.commands import normalise
from bot.domain.questions import plain_text, thread_of
from bot.services.errors import ActionError, Refused
from bot.services.questions.channel import ChannelPlace
from bot.services.questions.desk import ANSWER_VERB, Outcome, reuse_flag
from bot.teams.invoke import card_response, error_response, message_response
from bot.teams.turn import Turn

log = logging.getLogger(__name__)
COMMAND = "underviserkanal"
ADMINS_ONLY_DA = "Tak, men kun programmets administratorer hos LEAD kan gøre en kanal til underviserkanal."


def channel_place(turn: Turn) -> ChannelPlace:
    """Where the activity's channel is (the channel itself, not the thread it came from)."""
    activity = turn.ctx.activity
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    thread = thread_of(activity.conversation.id)
    channel_id = (data.get("channel") or {}).get("id") or data.get("teamsChannelId") or (thread[0] if thread else activity.conversation.id)
    team_id = (data.get("team") or {}).get("id") or data.get("teamsTeamId")
    reference = TurnContext.get_conversation_reference(activity).serialize()
    reference.pop("activityId", None)
    reference["conversation"] = {**(reference.get("conversation") or {}), "id": channel_id}
    return ChannelPlace(channel_id, activity.service_url or "", turn.tenant, team_id, reference)


async def _answer(turn: Turn, question_id: Any, text: Any, reuse: bool) -> Outcome:
    profile = await turn.senders.rostered(turn.ctx, turn.identity)
    outcome = await turn.core.desk.answer(question_id, profile, str(text or ""), reuse)
    if outcome.refused and profile is not None:
        await turn.core.access.refused(
            profile.person_id, "question.answer", tenant_id=turn.tenant, target=f"question {str(question_id)[:20]}"
        )
    return outcome


async def _make_instructors_channel(turn: Turn, named_text: str) -> str:
    profile = await turn.senders.rostered(turn.ctx, turn.identity)
    if profile is None:
        log.warning("instructors' channel refused: sender not on any roster")
        return ADMINS_ONLY_DA
    access = turn.core.access
    named = await access.cohort_named(named_text) if named_text else None
    if named_text and named is None:
        return f"Jeg kender ikke et hold, der hedder »{named_text}«."
    try:
        cohort_key = await access.admin_cohort(profile, "instructors.channel", tenant_id=turn.tenant, named=named, only_one=True)
    except Refused:
        return ADMINS_ONLY_DA
    except ActionError as exc:
        return str(exc)
    text = await turn.core.desk.make_channel(cohort_key, channel_place(turn), profile.person_id)
    await access.allowed(profile, "instructors.channel", cohort_key=cohort_key, tenant_id=turn.tenant)
    return text


async def on_channel_message(turn: Turn) -> None:
    """A message in a team channel: the bot reacts only to `underviserkanal` and to its question threads."""
    value = turn.value
    words = normalise(turn.text)
    if words == COMMAND or words.startswith(COMMAND + " "):
        await turn.say(await _make_instructors_channel(turn, words[len(COMMAND) :].strip()))
        return
    if value.get("verb") == ANSWER_VERB:  # Action.Submit from a client without Universal Actions
        outcome = await _answer(turn, value.get("question"), value.get("answer"), reuse_flag(value.get("faq")))
        await turn.say(outcome.text)
        return
    # With channel-message consent the bot sees every post in the team; only its question threads concern it.
    question_id = await turn.core.desk.question_of_thread(turn.ctx.activity.conversation.id)
    if question_id is None:
        return
    outcome = await _answer(turn, question_id, plain_text(turn.text), True)
    await turn.say(outcome.text)


async def on_channel_invoke(turn: Turn, data: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    """Action.Execute on a card in a channel: "Svar" on a question card."""
    if data.get("verb") != ANSWER_VERB:
        return error_response()
    outcome = await _answer(turn, data.get("question"), data.get("answer"), reuse_flag(data.get("faq")))
    if outcome.ok and outcome.card is not None:
        return card_response(outcome.card)
    # a refusal, a second answer or an empty one: a message to the person who clicked; the card stays
    return message_response(outcome.text)
