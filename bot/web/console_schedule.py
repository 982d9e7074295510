"""LEAD-konsol's Beskeder at a time: a previewed broadcast scheduled for a local time, and a waiting one cancelled."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.domain.people import Profile
from bot.domain.send_time import SendTimeError, local_label, parse_send_time
from bot.services.broadcast_view import preview_broadcast
from bot.services.broadcasts import BroadcastError
from bot.web import security
from bot.web.console_routes import CONSOLE, admin_of, done, refusable, refused_status, render_console


def _zone(profile: Profile, cohort: str) -> ZoneInfo:
    role = next(r for r in profile.roles if r.cohort_key == cohort and r.role == "admin")
    return ZoneInfo(role.timezone)  # the cohort's zone: Europe/Copenhagen unless its file says otherwise


@refusable
async def broadcast_schedule(request: web.Request) -> web.StreamResponse:
    """POST /console/broadcast/schedule: store the previewed message for a local time; a past or skipped time is refused."""
    profile, cohort = await admin_of(request, "broadcast.schedule")
    await security.check_csrf(request, profile)
    form = await request.post()
    text, role, at_text = str(form.get("text", "")), str(form.get("role", "all")), str(form.get("at", ""))[:40]
    core = request.app[CONSOLE].core
    tz = _zone(profile, cohort)
    draft = {"text": text, "role": role, "error": "", "texts": [], "recipients": 0, "unreachable": []}
    try:
        at = parse_send_time(at_text, tz, core.growth.clock())
        broadcast_id = await core.broadcaster.schedule(cohort, text, role, at, sender="LEAD")
    except (SendTimeError, BroadcastError) as exc:
        try:  # show the card again, so the time can be fixed without writing the message anew
            preview = await preview_broadcast(core.db, cohort, text, role, "LEAD")
            draft.update(texts=preview.texts, recipients=preview.recipients, unreachable=preview.unreachable)
        except BroadcastError as bad:
            draft["error"] = str(bad)
        status = refused_status(request)
        return await render_console(request, profile, cohort, draft=draft, schedule_error=str(exc), schedule_at=at_text, status=status)
    await core.access.allowed(
        profile, "broadcast.schedule", cohort_key=cohort, tenant_id=None, target=f"broadcast {broadcast_id} to {role} at {at.isoformat()}"
    )
    return await done(request, profile, cohort, "beskeder", f"Beskeden er planlagt til {local_label(at, tz)}.")


@refusable
async def broadcast_cancel(request: web.Request) -> web.StreamResponse:
    """POST /console/broadcast/cancel: a scheduled broadcast that has not gone is cancelled (Fortryd)."""
    profile, cohort = await admin_of(request, "broadcast.cancel")
    await security.check_csrf(request, profile)
    raw = str((await request.post()).get("id", ""))
    core = request.app[CONSOLE].core
    try:
        if not raw.isdigit():
            raise BroadcastError("Vælg den planlagte besked, du vil fortryde.")
        await core.broadcaster.cancel(cohort, int(raw))
    except BroadcastError as exc:
        return await render_console(request, profile, cohort, schedule_error=str(exc), status=refused_status(request))
    await core.access.allowed(profile, "broadcast.cancel", cohort_key=cohort, tenant_id=None, target=f"broadcast {raw}")
    return await done(request, profile, cohort, "beskeder", "Den planlagte besked er fortrudt. Den bliver ikke sendt.")


def setup_console_schedule(app: web.Application) -> None:
    """Register /console/broadcast/schedule and /console/broadcast/cancel."""
    app.router.add_post("/console/broadcast/schedule", broadcast_schedule)
    app.router.add_post("/console/broadcast/cancel", broadcast_cancel)
