"""LEAD-konsol's Deltagere: one person edited in place (role, level, leader, mentor), previewed, then confirmed."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.domain.people import Profile
from bot.domain.roster_edit import PersonEdit, person_edit
from bot.services.roster_edit import EditRefused, RosterEditor
from bot.services.roster_preview import RosterPreview
from bot.web import security, upload_token
from bot.web.console_routes import CONSOLE, admin_of, is_fetch, refusable, refused_status, render_console
from bot.web.identity import TAB_IDENTITY
from bot.web.people_view import people_filter

STALE_DA = "Holdet er ændret siden forhåndsvisningen. Se ændringen, som den ser ud nu, og bekræft igen."
EXPIRED_DA = "Forhåndsvisningen er udløbet eller ændret. Ret personen igen."
SAME_DA = "Der er intet at ændre: personen står allerede sådan."
ALREADY_DA = "Ændringen er allerede gemt."


def _edit_of(form: dict[str, str]) -> PersonEdit:
    return person_edit(
        form.get("email", "")[:254],
        form.get("role", "")[:32],
        new_role=form.get("new_role", "")[:32],
        level=form.get("level", "")[:32],
        leader=form.get("leader", "")[:254],
        mentor=form.get("mentor", "")[:254],
    )


def _values(edit: PersonEdit) -> dict[str, str]:
    return {"role": edit.new_role or edit.role, "level": edit.level or "", "leader": edit.leader or "", "mentor": edit.mentor or ""}


def _secret(request: web.Request) -> bytes:
    return request.app[TAB_IDENTITY].settings.report_secret.reveal().encode("utf-8")


def _editor(request: web.Request) -> RosterEditor:
    core = request.app[CONSOLE].core
    return RosterEditor(core.db, core.roster, core.planner)


async def _show(
    request: web.Request,
    profile: Profile,
    cohort: str,
    edit: PersonEdit,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    preview: RosterPreview | None = None,
    notice: str = "",
) -> web.Response:
    data: dict[str, Any] = {"email": edit.email, "role": edit.role, "fields": _values(edit), "errors": errors or {}, "preview": None}
    if preview is not None:
        fingerprint = preview.fingerprint()
        data["preview"] = {
            "changes": preview.changes,
            "plan": preview.plan,
            "fingerprint": fingerprint,
            "token": upload_token.seal(_secret(request), profile.person_id, cohort, edit.key(), fingerprint),
        }
    status = 400 if errors and not is_fetch(request) else 200
    return await render_console(request, profile, cohort, person_edit=data, notice=notice, status=status, people_filter=people_filter(form))


async def _form(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


@refusable
async def person_preview(request: web.Request) -> web.StreamResponse:
    """POST /console/people/preview: what the edit changes (people and plan rows), or the error at its field; nothing written."""
    profile, cohort = await admin_of(request, "roster.edit")
    await security.check_csrf(request, profile)
    form = await _form(request)
    edit = _edit_of(form)
    try:
        preview = await _editor(request).preview(cohort, edit)
    except EditRefused as exc:
        return await _show(request, profile, cohort, edit, form, errors=exc.fields)
    if not preview.changed:
        return await render_console(request, profile, cohort, notice=SAME_DA, people_filter=people_filter(form))
    return await _show(request, profile, cohort, edit, form, preview=preview)


@refusable
async def person_confirm(request: web.Request) -> web.StreamResponse:
    """POST /console/people/confirm: the sealed preview checked against a fresh one, then the edit written through the import."""
    profile, cohort = await admin_of(request, "roster.edit")
    await security.check_csrf(request, profile)
    form = await _form(request)
    edit = _edit_of(form)
    fingerprint = form.get("fingerprint", "")
    if not upload_token.unseal(_secret(request), form.get("token", ""), profile.person_id, cohort, edit.key(), fingerprint):
        return await render_console(
            request, profile, cohort, notice=EXPIRED_DA, status=refused_status(request), people_filter=people_filter(form)
        )
    editor = _editor(request)
    try:
        fresh = await editor.preview(cohort, edit)
    except EditRefused as exc:  # the cohort changed so that the edit no longer fits
        return await _show(request, profile, cohort, edit, form, errors=exc.fields)
    if not fresh.changed:  # confirmed twice (a double click, a reload): the first one wrote it
        return await render_console(request, profile, cohort, people_notice=ALREADY_DA, people_filter=people_filter(form))
    if fresh.fingerprint() != fingerprint:
        return await _show(request, profile, cohort, edit, form, preview=fresh, notice=STALE_DA)
    outcome = await editor.apply(cohort, edit)
    fields = ", ".join(outcome.fields) or "-"
    await request.app[CONSOLE].core.access.allowed(
        profile,
        "roster.edit",
        cohort_key=cohort,
        tenant_id=None,
        target=f"person:{outcome.person_id} ({edit.role}): {fields}; plan: {outcome.plan}",
    )
    return await render_console(
        request,
        profile,
        cohort,
        people_notice=f"Ændringen er gemt. Planen: {outcome.plan.added} tilføjet, {outcome.plan.moved} flyttet, {outcome.plan.dropped} udgået.",
        people_filter=people_filter(form),
    )


def setup_console_people(app: web.Application) -> None:
    """Register /console/people/preview and /console/people/confirm."""
    app.router.add_post("/console/people/preview", person_preview)
    app.router.add_post("/console/people/confirm", person_confirm)
