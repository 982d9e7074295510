"""LEAD-konsol's Materialer actions: a step's edit (or revert) previewed, then confirmed through the same publish as the CLI."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.domain.material_edits import FIELDS, Change, EditInvalid
from bot.domain.people import Profile
from bot.services.audit import person_actor
from bot.services.link_guard import PlaceholderLinks
from bot.web import security
from bot.web.console_routes import CONSOLE, admin_of, refusable, refused_status, render_console
from bot.web.materials_view import editor

SECTION = "materialer"


def _done_da(summary_notices: int, revert: bool) -> str:
    what = "Trinnet følger igen materials.yaml, og det er publiceret." if revert else "Rettelsen er gemt og publiceret."
    if summary_notices == 0:
        return f"{what} Ingen skulle have besked om opdateret materiale."
    who = "person får" if summary_notices == 1 else "personer får"
    return f"{what} {summary_notices} {who} besked om opdateret materiale."


async def _change(request: web.Request, profile: Profile, form: dict[str, Any]) -> Change:
    """The checked change the form describes (EditInvalid with the Danish message per field)."""
    step = str(form.get("step", ""))
    activity_key, _, topic = step.partition(".")
    materials = editor(request.app[CONSOLE].core)
    if form.get("revert"):
        return await materials.revert(activity_key, topic, person_actor(profile.person_id))
    values = {name: form.get(name, "") for name in FIELDS}
    return await materials.edit(activity_key, topic, values, person_actor(profile.person_id))


async def _read(request: web.Request, action: str) -> tuple[Profile, str, dict[str, Any]]:
    profile, cohort = await admin_of(request, action)
    await security.check_csrf(request, profile)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    return profile, cohort, form


async def _invalid(request: web.Request, profile: Profile, cohort: str, form: dict[str, Any], exc: EditInvalid) -> web.Response:
    status = refused_status(request)
    return await render_console(
        request, profile, cohort, material_step=form.get("step", ""), material_form=form, material_errors=exc.errors, status=status
    )


@refusable
async def preview(request: web.Request) -> web.StreamResponse:
    """POST /console/materials/preview: what the edit changes and who gets an 'opdateret materiale' notice; nothing written."""
    profile, cohort, form = await _read(request, "materials.edit")
    try:
        change = await _change(request, profile, form)
    except EditInvalid as exc:
        return await _invalid(request, profile, cohort, form, exc)
    shown = await editor(request.app[CONSOLE].core).preview(change)
    return await render_console(request, profile, cohort, material_step=form.get("step", ""), material_form=form, material_preview=shown)


@refusable
async def confirm(request: web.Request) -> web.StreamResponse:
    """POST /console/materials/confirm: check the change again, store it and publish, audited; the same again changes nothing."""
    profile, cohort, form = await _read(request, "materials.edit")
    core = request.app[CONSOLE].core
    try:
        change = await _change(request, profile, form)
        summary = await editor(core).confirm(change)
    except EditInvalid as exc:
        return await _invalid(request, profile, cohort, form, exc)
    except PlaceholderLinks as exc:
        errors = {"url": str(exc)}
        return await _invalid(request, profile, cohort, form, EditInvalid(errors))
    action = "materials.revert" if change.values is None else "materials.edit"
    fields = ", ".join(sorted(change.values or {})) or "the file's version"
    target = f"{change.activity_key}/{change.topic}: {fields}; {summary}"
    await core.access.allowed(profile, action, cohort_key=cohort, tenant_id=None, target=target[:300])
    return await render_console(
        request, profile, cohort, material_step=form.get("step", ""), material_done=_done_da(summary.update_notices, change.values is None)
    )


def setup_console_materials(app: web.Application) -> None:
    """Register /console/materials/preview and /console/materials/confirm."""
    app.router.add_post("/console/materials/preview", preview)
    app.router.add_post("/console/materials/confirm", confirm)
