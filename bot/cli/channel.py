"""`python -m bot channel instructors`: set a cohort's instructors' channel (the questions go there)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import CliError, with_core
from bot.config import Settings
from bot.domain.questions import thread_of
from bot.services.core import Core
from bot.services.questions.channel import ChannelPlace


class ChannelError(ValueError):
    """The channel given on the command line is not one the bot can post to (English, for the operator)."""


def channel_place(conversation_id: str, service_url: str, tenant_id: str | None, team_id: str | None) -> ChannelPlace:
    """A channel from its ids, checked; ChannelError naming the flag when one is wrong."""
    conversation_id = conversation_id.strip()
    if thread_of(conversation_id) is not None:
        raise ChannelError(f"--conversation-id must be the channel itself, without ';messageid=…'; got {conversation_id!r}")
    if not conversation_id.startswith("19:"):
        raise ChannelError(f"--conversation-id must be a Teams channel id like 19:…@thread.tacv2; got {conversation_id!r}")
    if not service_url.startswith(("https://", "http://")):
        raise ChannelError(f"--service-url must be an http(s):// URL (e.g. https://smba.trafficmanager.net/emea/); got {service_url!r}")
    reference = {
        "channelId": "msteams",
        "serviceUrl": service_url,
        "conversation": {"id": conversation_id, "isGroup": True, "conversationType": "channel", "tenantId": tenant_id},
    }
    return ChannelPlace(conversation_id, service_url, tenant_id, team_id, reference)


async def cmd_channel_instructors(args: argparse.Namespace, settings: Settings) -> int:
    """Make a channel the cohort's instructors' channel; open questions that waited are posted there."""
    try:
        place = channel_place(args.conversation_id, args.service_url or settings.bot_service_url, args.tenant or None, args.team_id or None)
    except ChannelError as exc:
        raise CliError(str(exc)) from None

    async def work(core: Core) -> int:
        pending = await core.desk.set_channel_for(args.cohort, place)
        print(f"instructors' channel for {args.cohort} set; {pending} waiting question(s) queued for it", file=sys.stderr)
        return 0

    return await with_core(settings, work)


def add_parser(sub: Any) -> None:
    """`channel instructors --cohort KEY --conversation-id 19:…@thread.tacv2 [--service-url URL]`."""
    channel = sub.add_parser("channel", help="Teams channels the bot posts to").add_subparsers(dest="action", required=True)
    p = channel.add_parser("instructors", help="make a channel the cohort's instructors' channel (questions go there)")
    p.add_argument("--cohort", required=True)
    p.add_argument("--conversation-id", required=True, help="the channel id, 19:…@thread.tacv2 (from the channel's link)")
    p.add_argument("--service-url", help="the Bot Connector serviceUrl (default: BOT_SERVICE_URL)")
    p.add_argument("--team-id", help="the team's id (optional, for the record)")
    p.add_argument("--tenant", help="the Entra tenant id of the team")
    p.set_defaults(func=cmd_channel_instructors)
