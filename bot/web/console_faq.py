"""LEAD-konsol's Spørgsmål actions: edit or withdraw a learned answer (the question index follows at once)."""
from __future__ import annotations

from typing import Awaitable, Callable

from aiohttp import web

from bot.services.questions.faq import AskedRow, FaqRefused
from bot.services.core import Core
from bot.web import security
from bot.web.console_routes import CONSOLE, _admin, _is_fetch, _page, _refusable
from bot.web.routes import NO_STORE, Links

Change = Callable[[Core, str, int, dict[str, str]], Awaitable[AskedRow]]


def _action(name: str, change: Change, done_da: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @_refusable
    async def handler(request: web.Request) -> web.StreamResponse:
        profile, cohort = await _admin(request, name)
        await security.check_csrf(request, profile)
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        core = request.app[CONSOLE].core
        try:
            if not form.get("id", "").isdigit():
                raise FaqRefused("Vælg det svar, du vil ændre.")
            row = await change(core, cohort, int(form["id"]), form)
        except FaqRefused as exc:
            return await _page(request, profile, cohort, faq_error=str(exc), status=200 if _is_fetch(request) else 400)
        await core.access.allowed(profile, name, cohort_key=cohort, tenant_id=None, target=f"question {row.id}")
        if _is_fetch(request):
            return await _page(request, profile, cohort, imported=done_da)
        raise web.HTTPSeeOther(Links(request)("/console", "spoergsmaal", cohort=cohort), headers=NO_STORE)
    return handler


async def _edit(core: Core, cohort: str, question_id: int, form: dict[str, str]) -> AskedRow:
    return await core.desk.edit_learned(cohort, question_id, form.get("answer", ""), core.growth.clock())


async def _withdraw(core: Core, cohort: str, question_id: int, form: dict[str, str]) -> AskedRow:
    return await core.desk.withdraw_learned(cohort, question_id, core.growth.clock())


def setup_console_faq(app: web.Application) -> None:
    """Register /console/faq/edit and /console/faq/withdraw."""
    app.router.add_post("/console/faq/edit", _action("faq.edit", _edit, "Svaret er rettet. Botten svarer sådan fra nu af."))
    app.router.add_post("/console/faq/withdraw", _action("faq.withdraw", _withdraw, "Svaret er trukket tilbage fra FAQ."))
