"""Uploaded files on the web: the console's upload and remove, the signed download, and a Danish 413 for big bodies."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from bot.appkeys import CORE
from bot.services.files import FileDenied, FileRefused
from bot.web import security
from bot.web.console_routes import CONSOLE, admin_of, done, refusable, refused_status, render_console

log = logging.getLogger(__name__)
FIELD_LIMIT = 4096  # the form's text fields (csrf, title, attach) are short
TOO_LARGE_DA = "Det, du sendte, er for stort. En fil må højst fylde {mb} MB; en deltagerliste eller en besked meget mindre."
DENIED_DA = "Linket er ugyldigt eller udløbet. Åbn filen igen fra »Mit forløb« eller dit bibliotek i chatten."
GONE_DA = "Filen findes ikke længere."
# A download is never a page: no scripts, no frames, no sniffing into HTML, not kept in shared caches.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
}
REFUSAL_HEADERS = {**DOWNLOAD_HEADERS, "Cache-Control": "no-store"}


class _TooLarge(Exception):
    """The streamed file passed the size limit; carries the fields read before it (the csrf token among them)."""

    def __init__(self, fields: dict[str, str] | None = None) -> None:
        super().__init__("too large")
        self.fields = fields or {}


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            while await part.read_chunk(64 * 1024):  # drain the rest so the browser gets our answer, not a reset
                pass
            raise _TooLarge()
    return bytes(data)


async def _multipart(request: web.Request, max_bytes: int) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """The form's text fields and its file (declared name, bytes), streamed so the body limit is ours; _TooLarge."""
    fields: dict[str, str] = {}
    upload: tuple[str, bytes] | None = None
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.name == "file" and part.filename is not None and upload is None:
            try:
                upload = (part.filename, await _read_part(part, max_bytes))
            except _TooLarge:
                raise _TooLarge(fields) from None
        else:
            raw = await _read_part(part, FIELD_LIMIT)
            fields[part.name] = raw.decode("utf-8", errors="replace")
    return fields, upload if upload and upload[1] else None


@refusable
async def upload(request: web.Request) -> web.StreamResponse:
    """POST /console/files/upload?cohort=…: store one file for the cohort after the size and content checks."""
    profile, cohort = await admin_of(request, "files.add", read_form=False)
    files = request.app[CONSOLE].core.files
    if not request.content_type.startswith("multipart/"):
        security.check_csrf_token(request, profile, "")
        return await render_console(request, profile, cohort, file_error="Vælg en fil.", status=refused_status(request, 400))
    try:
        fields, chosen = await _multipart(request, files.max_bytes)
    except _TooLarge as big:
        security.check_csrf_token(request, profile, big.fields.get(security.CSRF_FIELD, ""))  # forged stays forged
        too_large = f"Filen er for stor: højst {files.max_bytes // (1024 * 1024)} MB."
        return await render_console(request, profile, cohort, file_error=too_large, status=refused_status(request, 413))
    security.check_csrf_token(request, profile, fields.get(security.CSRF_FIELD, ""))
    if chosen is None:
        return await render_console(request, profile, cohort, file_error="Vælg en fil.", status=refused_status(request, 400))
    try:
        info = await files.add(cohort, chosen[0], chosen[1], title=fields.get("title", ""), attach=fields.get("attach", ""))
    except FileRefused as exc:
        return await render_console(request, profile, cohort, file_error=str(exc), status=refused_status(request, 400))
    await request.app[CONSOLE].core.access.allowed(
        profile, "files.add", cohort_key=cohort, tenant_id=None, target=f"file {info.id} ({info.kind}, {info.size} bytes)"
    )
    return await done(request, profile, cohort, "filer", f"Filen »{info.title}« er gemt.")


@refusable
async def remove(request: web.Request) -> web.StreamResponse:
    """POST /console/files/remove: delete one of the cohort's files; its links stop working at once."""
    profile, cohort = await admin_of(request, "files.remove")
    await security.check_csrf(request, profile)
    raw = str((await request.post()).get("id", ""))
    core = request.app[CONSOLE].core
    try:
        if not raw.isdigit():
            raise FileRefused("Vælg den fil, der skal fjernes.")
        info = await core.files.remove(cohort, int(raw))
    except FileRefused as exc:
        return await render_console(request, profile, cohort, file_error=str(exc), status=refused_status(request, 400))
    await core.access.allowed(profile, "files.remove", cohort_key=cohort, tenant_id=None, target=f"file {info.id}")
    return await done(request, profile, cohort, "filer", f"Filen »{info.title}« er fjernet.")


def content_disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the UTF-8 name (RFC 6266/5987), so no browser renders it inline."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def download(request: web.Request) -> web.Response:
    """GET /files/{id}?p=…&exp=…&sig=…: the file for a person of its cohort while the link and the library are open."""
    files = request.app[CORE].files
    q = request.query
    try:
        info, data = await files.open(request.match_info["id"], q.get("p", ""), q.get("exp", ""), q.get("sig", ""))
    except FileDenied as exc:
        log.info("file download refused: %s", exc)
        return web.Response(status=403, text=DENIED_DA, headers=REFUSAL_HEADERS)
    except LookupError:
        return web.Response(status=404, text=GONE_DA, headers=REFUSAL_HEADERS)
    headers = {**DOWNLOAD_HEADERS, "Content-Disposition": content_disposition(info.filename)}
    return web.Response(body=data, content_type=info.content_type, headers=headers)


@web.middleware
async def danish_too_large(request: web.Request, handler: Any) -> web.StreamResponse:
    """aiohttp's 413 (a body over client_max_size) in Danish, with the same strict headers as a refusal."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        files = request.app[CORE].files
        text = TOO_LARGE_DA.format(mb=files.max_bytes // (1024 * 1024))
        return web.Response(status=413, text=text, charset="utf-8", headers=REFUSAL_HEADERS)


def setup_files(app: web.Application) -> None:
    """Register the console's file actions, the signed download and the Danish 413."""
    app.middlewares.append(danish_too_large)
    app.router.add_post("/console/files/upload", upload)
    app.router.add_post("/console/files/remove", remove)
    app.router.add_get("/files/{id}", download)
