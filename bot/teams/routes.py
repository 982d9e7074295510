"""The message table: what a rostered person's chat text (by intent) is answered with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.commands import Intent, classify
from bot.observe.context import note_route
from bot.services.access import ADMIN_ONLY_DA
from bot.services.broadcasts import ROLE_WORDS, BroadcastError
from bot.services.errors import ActionError, Refused
from bot.services.file_links import CARD_TTL
from bot.services.link_guard import PlaceholderLinks
from bot.services.reply import Reply, notice
from bot.teams.actions import on_submit
from bot.teams.turn import Turn

NOT_HERE_DA = "Skriv »underviserkanal« i den kanal i Teams, hvor underviserne skal have spørgsmålene (botten skal være tilføjet teamet)."

Route = Callable[[Turn, Intent], Awaitable[Reply]]


def refusal(text: str = ADMIN_ONLY_DA) -> Reply:
    """The card for an admin command someone may not use (here, or for that hold)."""
    return notice("Det kan kun LEAD" if text == ADMIN_ONLY_DA else "Ikke dit hold", text)


async def _help(turn: Turn, intent: Intent) -> Reply:
    return turn.core.guide.help(turn.person)


async def _next(turn: Turn, intent: Intent) -> Reply:
    return await turn.core.guide.next(turn.person)


async def _welcome(turn: Turn, intent: Intent) -> Reply:
    return await turn.core.guide.welcome(turn.person)


async def _thanks(turn: Turn, intent: Intent) -> Reply:
    return notice("Selv tak!", "Skriv endelig, hvis der er mere, jeg kan hjælpe med.")


async def _fallback(turn: Turn, intent: Intent) -> Reply:
    return turn.core.guide.fallback(turn.text)


async def _question(turn: Turn, intent: Intent) -> Reply:
    """Answer from the question index when confident; otherwise hand the question to the instructors."""
    return await turn.core.desk.ask_text(turn.person, turn.text, explicit=intent.name == "ask")


async def _instructors_channel_here(turn: Turn, intent: Intent) -> Reply:
    return notice("Underviserkanal", NOT_HERE_DA)


async def _library(turn: Turn, intent: Intent) -> Reply:
    data = await turn.core.learning.library(turn.person.person_id)
    if not data["closed"]:  # the card stays in the chat: its file links live as long as a card's
        data["files"] = await turn.core.files.library(turn.person.person_id, ttl=CARD_TTL)
        link = turn.core.messages.library_link
        data["library_url"] = link(turn.person.email) if link is not None else None  # more files than the card shows
    return Reply("library", data)


async def _development_plan(turn: Turn, intent: Intent) -> Reply:
    return await turn.core.growth.plans_reply(turn.person)


async def _broadcast(turn: Turn, intent: Intent) -> Reply:
    """`udsend [hold] [talenter|ledere|alle] <tekst>`: only for admins of that hold (their only one when not named)."""
    access, profile = turn.core.access, turn.person
    first, _, rest = intent.arg.partition(" ")
    named = await access.cohort_named(first) if first else None
    arg = rest.strip() if named else intent.arg
    try:
        cohort_key = await access.admin_cohort(profile, "broadcast", tenant_id=turn.tenant, named=named, only_one=True)
    except Refused as exc:
        return refusal(str(exc))
    except ActionError as exc:
        return notice("Hvilket hold?", str(exc))
    word, _, text = arg.partition(" ")
    role = ROLE_WORDS.get(word.lower())
    if role is None:
        role, text = "all", arg
    try:
        result = await turn.core.broadcaster.broadcast(cohort_key, text, role, sender=profile.name)
    except (BroadcastError, ActionError) as exc:  # ActionError: the cohort went away between the checks
        return notice("Beskeden blev ikke sendt", str(exc))
    await access.allowed(
        profile, "broadcast", cohort_key=cohort_key, tenant_id=turn.tenant, target=f"role {role}, {result.queued} recipient(s)"
    )
    missing = f" {len(result.unreachable)} har endnu ikke åbnet chatten med mig og får den ikke." if result.unreachable else ""
    return notice("Besked sendt", f"Beskeden går ud til {result.queued} personer.{missing}")


async def _publish(turn: Turn, intent: Intent) -> Reply:
    # materials are shared by every cohort: any admin may publish them
    access = turn.core.access
    try:
        await access.require_admin(turn.person, None, "content.publish", tenant_id=turn.tenant)
    except Refused as exc:
        return refusal(str(exc))
    try:
        summary = await turn.core.learning.publish()
    except PlaceholderLinks as exc:
        return notice("Materialer ikke publiceret", str(exc))
    await access.allowed(turn.person, "content.publish", cohort_key=None, tenant_id=turn.tenant, target=str(summary))
    return notice(
        "Materialer publiceret",
        (
            f"{summary.new} nye, {summary.changed} ændrede, {summary.unchanged} uændrede. "
            f"{summary.update_notices} deltagere får besked om opdateret materiale."
        ),
    )


async def _status(turn: Turn, intent: Intent) -> Reply:
    # admins see the figures of the cohorts they administer, the steering group its own cohort's (aggregated only)
    access = turn.core.access
    named = await access.cohort_named(intent.arg) if intent.arg else None
    try:
        cohort_key = await access.report_cohort(turn.person, "report.status", tenant_id=turn.tenant, named=named)
    except Refused as exc:
        return refusal(str(exc))
    if access.is_admin(turn.person, cohort_key):
        data = await turn.core.status_cards.card_data(cohort_key)  # with what is new since the last daily card
    else:
        data = {**await turn.core.reports.status(cohort_key), "warnings": []}  # what LEAD must fix (with its commands) is LEAD's
    reply = Reply("status_summary", data)
    await access.allowed(turn.person, "report.status", cohort_key=cohort_key, tenant_id=turn.tenant)
    return reply


# How a recognised intent is answered for a rostered person. The one table of chat commands.
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


async def answer(turn: Turn) -> Reply:
    """The reply to a rostered person's chat message."""
    intent = classify(turn.text)
    note_route(intent.name if intent.name in ROUTES else "fallback")
    return await ROUTES.get(intent.name, _fallback)(turn, intent)


async def on_message(turn: Turn) -> None:
    """A message in a 1:1 chat: strangers get the polite card, a card submit acts, text goes by the table."""
    if not turn.rostered:
        note_route("stranger")
        await turn.send(turn.core.guide.not_rostered(turn.identity.name))
        return
    if turn.value.get("verb") and not turn.text.strip():
        await on_submit(turn, turn.value)
        return
    await turn.send(await answer(turn))


async def greet(turn: Turn) -> None:
    """The app was installed in a 1:1 chat: welcome the person (or tell a stranger why not)."""
    note_route("install")
    if not turn.rostered:
        await turn.send(turn.core.guide.not_rostered(turn.identity.name))
        return
    await turn.send(await turn.core.guide.welcome(turn.person))
