"""The botbuilder overrides of the companion bot: each builds the turn and hands it to its table."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import AdaptiveCardInvokeResponse
from botbuilder.schema.teams import TeamInfo, TeamsChannelAccount

from bot.observe.context import note_route
from bot.services.core import Core
from bot.teams import actions, routes
from bot.teams.channel import on_channel_invoke, on_channel_message
from bot.teams.identity import Senders, is_personal
from bot.teams.invoke import error_response
from bot.teams.replies import DirectReplies
from bot.teams.turn import Turn

log = logging.getLogger(__name__)


class CompanionBot(TeamsActivityHandler):
    """The bot's reactive side: install, messages and card actions."""

    def __init__(self, services: Core, replies: DirectReplies | None = None) -> None:
        self.services = services
        self.senders = Senders(services)
        self.replies = replies  # None: replies go through botbuilder's TurnContext.send_activity

    async def _turn(self, ctx: TurnContext) -> Turn:
        return await Turn.begin(ctx, self.services, self.senders, self.replies)

    @staticmethod
    def _create_invoke_response(body: object = None) -> InvokeResponse:
        # botbuilder 4.17.1 serialises the invoke body here AND again in CloudAdapter.process,
        # which fails on the dict; hand the model over unserialised so it is serialised once.
        return InvokeResponse(status=200, body=body)

    def _create_adaptive_card_invoke_error_response(self, status_code: Any, code: str, message: str) -> AdaptiveCardInvokeResponse:
        # botbuilder puts an Exception in `value`, which it then cannot serialise (a 500 for a bad
        # card action); give Teams the error object it documents instead.
        return error_response(message, int(status_code), code)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        # botbuilder answers an invoke it has no handler for with 501; it is an invoke this app never
        # offered (a client's mistake, not ours), so say 400 and keep 5xx for real failures.
        response = await super().on_invoke_activity(turn_context)
        if response is not None and response.status == 501:
            log.info("unsupported invoke %r answered 400", (turn_context.activity.name or "")[:64])
            return InvokeResponse(status=400)
        return response

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turn = await self._turn(turn_context)
        if not turn.personal:
            note_route("channel")
        await (routes.on_message(turn) if turn.personal else on_channel_message(turn))

    async def on_teams_members_added(
        self, teams_members_added: list[TeamsChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        activity = turn_context.activity
        if not is_personal(activity):
            if any(m.id == activity.recipient.id for m in teams_members_added):
                turn = await self._turn(turn_context)
                await self.senders.remember_chat(turn_context, turn.tenant, None)
                log.info("installed in a team; channel conversation stored")
            return
        # In a 1:1 chat the event names the bot and/or the user; greet the user once.
        await routes.greet(await self._turn(turn_context))

    async def on_adaptive_card_invoke(self, turn_context: TurnContext, invoke_value: Any) -> AdaptiveCardInvokeResponse:
        """Action.Execute: act and answer with the refreshed card (Teams replaces it in place)."""
        turn = await self._turn(turn_context)
        data = actions.card_data(turn_context.activity.value)
        if not turn.personal:
            note_route("channel:card")
        return await (actions.on_invoke(turn, data) if turn.personal else on_channel_invoke(turn, data))

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self.services.directory.mark_unreachable(turn_context.activity.conversation.id, "app uninstalled")
