"""The tab's static files (bot/web/static): read once, served by exact name with fixed types and versioned URLs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).resolve().parent / "static"
URL_PREFIX = "/tab/static/"
# Only these kinds are served; anything else in the folder stays private.
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
VERSIONED_CACHE = "public, max-age=31536000, immutable"  # ?v=<hash> changes with the content
UNVERSIONED_CACHE = "public, max-age=300"


@dataclass(frozen=True)
class StaticFile:
    """One file's bytes, type and content hash."""

    body: bytes
    content_type: str
    version: str


def load_static(folder: Path = STATIC_DIR) -> dict[str, StaticFile]:
    """Every servable file directly in the folder by name (no subfolders, no dotfiles, no symlinks)."""
    files: dict[str, StaticFile] = {}
    if not folder.is_dir():
        return files
    for path in sorted(folder.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or path.name.startswith(".") or path.is_symlink() or not path.is_file():
            continue
        body = path.read_bytes()
        files[path.name] = StaticFile(body, content_type, hashlib.sha256(body).hexdigest()[:16])
    return files


class StaticFiles:
    """Serves /tab/static/{name}: a dictionary lookup by name, so no path can reach outside the folder."""

    def __init__(self, files: dict[str, StaticFile]) -> None:
        self.files = files

    async def handle(self, request: web.Request) -> web.Response:
        """The file, or 404."""
        found = self.files.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound(text="Ikke fundet.")
        if request.headers.get("If-None-Match") == f'"{found.version}"':
            return web.Response(status=304, headers=self._headers(request, found))
        return web.Response(body=found.body, headers={**self._headers(request, found), "Content-Type": found.content_type})

    @staticmethod
    def _headers(request: web.Request, found: StaticFile) -> dict[str, str]:
        versioned = request.query.get("v") == found.version
        return {"ETag": f'"{found.version}"', "Cache-Control": VERSIONED_CACHE if versioned else UNVERSIONED_CACHE}

    def url(self, name: str) -> str:
        """The versioned URL of a file (KeyError for a name that is not served)."""
        return f"{URL_PREFIX}{name}?v={self.files[name].version}"
