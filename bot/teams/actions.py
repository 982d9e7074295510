"""The card verb table: what each button on a 1:1 card does, and how its answer goes back to Teams."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.schema import AdaptiveCardInvokeResponse

from bot.domain.access import can_edit_plan
from bot.domain.text import clean_value
from bot.observe.context import note_route
from bot.services.errors import ActionError, Refused
from bot.services.reply import Reply, notice
from bot.teams.invoke import card_response, error_response
from bot.teams.turn import Turn

log = logging.getLogger(__name__)

Action = Callable[[Turn, dict[str, Any]], Awaitable[Reply]]


def card_data(raw: Any) -> dict[str, Any]:
    """The data of an Action.Execute invoke's value, with its verb (botbuilder leaves value.action a plain dict)."""
    raw = raw if isinstance(raw, dict) else {}
    action = raw.get("action") if isinstance(raw.get("action"), dict) else {}
    data = dict(action["data"]) if isinstance(action.get("data"), dict) else {}
    if isinstance(action.get("verb"), str) and "verb" not in data:
        data["verb"] = action["verb"]
    return clean_value(data)  # free text from a card is cleaned here, the one door it comes in by


def _own_plan(turn: Turn, data: dict[str, Any]) -> int:
    """The sender's id, when the card edits their own plan; a card naming someone else is crafted."""
    person_id = turn.person.person_id
    if not can_edit_plan(person_id, data.get("talent", person_id)):
        raise Refused("Du kan kun redigere din egen udviklingsplan.", target=f"plan of person {data.get('talent')!r:.40}")
    return person_id


async def _seen(turn: Turn, data: dict[str, Any]) -> Reply:
    activity_key, topic = data.get("activity"), data.get("topic")
    if not isinstance(activity_key, str) or not isinstance(topic, str):
        raise LookupError("seen without activity/topic")
    return (await turn.core.learning.mark_seen(turn.person.person_id, activity_key, topic)).reply


async def _done(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.nudging.done(turn.person.person_id, data.get("plan"))


async def _snooze(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.nudging.snooze(turn.person.person_id, data.get("plan"), data.get("days"))


async def _evaluate(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.nudging.evaluate(turn.person.person_id, data.get("plan"), data)


async def _plan_save(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.growth.save_plan(_own_plan(turn, data), data)


async def _plan_edit(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.growth.plan_form(_own_plan(turn, data))


async def _plan_view(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.growth.plan_view(turn.person.person_id, data.get("talent"), data.get("back"))


async def _nudge_show(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.growth.nudge_again(turn.person.person_id, data.get("plan"))


async def _readiness(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.growth.assess_readiness(turn.person.person_id, data.get("plan"), data)


def _question(data: dict[str, Any]) -> str:
    return str(data.get("question") or "")


async def _ask_form(turn: Turn, data: dict[str, Any]) -> Reply:
    return turn.core.desk.ask_form()


async def _ask(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.desk.ask(turn.person, _question(data), str(data.get("activity") or "") or None)


async def _answer_helped(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.desk.answer_helped(turn.person, data.get("entry"), _question(data))


async def _ask_instructor(turn: Turn, data: dict[str, Any]) -> Reply:
    return await turn.core.desk.ask_instructor(turn.person, data.get("entry"), _question(data))


# What each verb on a card in a 1:1 chat does; the reply replaces the card. The one table of card verbs.
VERBS: dict[str, Action] = {
    "seen": _seen,
    "done": _done,
    "snooze": _snooze,
    "evaluate": _evaluate,
    "plan-save": _plan_save,
    "plan-edit": _plan_edit,
    "plan-view": _plan_view,
    "nudge-show": _nudge_show,
    "readiness": _readiness,
    "ask-form": _ask_form,
    "ask": _ask,
    "answer-helped": _answer_helped,
    "ask-instructor": _ask_instructor,
}


async def act(turn: Turn, data: dict[str, Any]) -> Reply:
    """Carry out a card action (LookupError for an unknown verb); every refused attempt is audited first."""
    verb = data.get("verb")
    action = VERBS.get(verb) if isinstance(verb, str) else None
    note_route(f"card:{verb}" if action is not None else "card:unknown")  # only the table's verbs become labels
    if action is None:
        raise LookupError(f"unknown verb {verb!r}")
    try:
        return await action(turn, data)
    except Refused as exc:
        await turn.core.access.refused(turn.person.person_id, f"card.{str(verb)[:40]}", tenant_id=turn.tenant, target=exc.target)
        raise


async def on_invoke(turn: Turn, data: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    """Action.Execute in a 1:1 chat: act and answer with the refreshed card (Teams replaces it in place)."""
    if not turn.rostered:
        reply = turn.core.guide.not_rostered(turn.identity.name)
    else:
        try:
            reply = await act(turn, data)
        except ActionError as exc:
            return error_response(str(exc))
        except LookupError as exc:
            log.info("card action rejected: %s", exc)
            return error_response()
    return card_response(reply)


async def on_submit(turn: Turn, value: dict[str, Any]) -> None:
    """Action.Submit fallback (older clients): act, then update the card message in place."""
    try:
        reply = await act(turn, value)
    except ActionError as exc:
        await turn.send(notice("Det gik ikke", str(exc)))
        return
    except LookupError:
        await turn.send(turn.core.guide.fallback("(kortets knap)"))
        return
    await turn.update(reply)
