"""LEAD-konsol's Spørgsmål and Buddygrupper actions: a learned answer edited or withdrawn, the groups set."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.services.buddies import BuddyError
from bot.services.core import Core
from bot.services.questions.faq import AskedRow, FaqRefused
from bot.web import security
from bot.web.console_routes import CONSOLE, admin_of, done, refusable, refused_status, render_console

Change = Callable[[Core, str, int, dict[str, str]], Awaitable[AskedRow]]


def _action(name: str, change: Change, done_da: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @refusable
    async def handler(request: web.Request) -> web.StreamResponse:
        profile, cohort = await admin_of(request, name)
        await security.check_csrf(request, profile)
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        core = request.app[CONSOLE].core
        try:
            if not form.get("id", "").isdigit():
                raise FaqRefused("Vælg det svar, du vil ændre.")
            row = await change(core, cohort, int(form["id"]), form)
        except FaqRefused as exc:
            return await render_console(request, profile, cohort, faq_error=str(exc), status=refused_status(request))
        await core.access.allowed(profile, name, cohort_key=cohort, tenant_id=None, target=f"question {row.id}")
        return await done(request, profile, cohort, "spoergsmaal", done_da)

    return handler


async def _edit(core: Core, cohort: str, question_id: int, form: dict[str, str]) -> AskedRow:
    return await core.desk.edit_learned(cohort, question_id, form.get("answer", ""), core.growth.clock())


async def _withdraw(core: Core, cohort: str, question_id: int, form: dict[str, str]) -> AskedRow:
    return await core.desk.withdraw_learned(cohort, question_id, core.growth.clock())


@refusable
async def buddies_set(request: web.Request) -> web.StreamResponse:
    """POST /console/buddies/set: the groups as the admin moved people, through `buddies set`'s service."""
    profile, cohort = await admin_of(request, "buddies.set")
    await security.check_csrf(request, profile)
    groups: dict[int, list[str]] = {}
    for key, value in (await request.post()).items():
        if key.startswith("g:") and isinstance(value, str) and value.isdigit():
            groups.setdefault(int(value), []).append(key[2:])
    core = request.app[CONSOLE].core
    try:
        stored = await core.buddies.set(cohort, [groups[n] for n in sorted(groups)])
    except BuddyError as exc:
        return await render_console(request, profile, cohort, buddy_error=str(exc), status=refused_status(request))
    await core.access.allowed(profile, "buddies.set", cohort_key=cohort, tenant_id=None, target=f"{len(stored)} group(s)")
    return await done(request, profile, cohort, "buddies", "Buddygrupperne er gemt. Talenterne får besked.")


def setup_console_faq(app: web.Application) -> None:
    """Register /console/faq/edit, /console/faq/withdraw and /console/buddies/set."""
    app.router.add_post("/console/buddies/set", buddies_set)
    app.router.add_post("/console/faq/edit", _action("faq.edit", _edit, "Svaret er rettet. Botten svarer sådan fra nu af."))
    app.router.add_post("/console/faq/withdraw", _action("faq.withdraw", _withdraw, "Svaret er trukket tilbage fra FAQ."))
