"""Links that open the "Mit forløb" tab: a Teams deep link, or the local page with ?as= in local mode."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from bot.config import Settings

TAB_ENTITY_ID = "mit-forloeb"  # the staticTabs entityId in manifest/manifest.json.template
TAB_PATH = "/tab"
LIBRARY_SECTION = "bibliotek"  # the library's section id in the tab (talent.html.j2) and its subEntityId


def teams_tab_deep_link(teams_app_id: str, entity_id: str = TAB_ENTITY_ID) -> str:
    """The Teams deep link that opens the app's personal tab."""
    return f"https://teams.microsoft.com/l/entity/{quote(teams_app_id, safe='')}/{quote(entity_id, safe='')}"


def tab_link(settings: Settings, email: str | None = None) -> str | None:
    """Where a "Mit forløb" button points: the deep link in Azure mode; locally {base}/tab?as=EMAIL; None when unknown."""
    if settings.local_mode:
        base = f"{settings.base_url}{TAB_PATH}"
        return f"{base}?{urlencode({'as': email})}" if email else base
    return teams_tab_deep_link(settings.teams_app_id) if settings.teams_app_id else None


def library_link(settings: Settings, email: str | None = None) -> str | None:
    """Where "Se alle i biblioteket" points: the tab's library (a deep link with its subEntityId, or #bibliotek locally)."""
    if settings.local_mode:
        return f"{tab_link(settings, email)}#{LIBRARY_SECTION}"
    if not settings.teams_app_id:
        return None
    context = json.dumps({"subEntityId": LIBRARY_SECTION}, separators=(",", ":"))
    return f"{teams_tab_deep_link(settings.teams_app_id)}?{urlencode({'context': context})}"
