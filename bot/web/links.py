"""Links that open the "Mit forløb" tab: a Teams deep link, or the local page with ?as= in local mode."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from bot.config import Settings

TAB_ENTITY_ID = "mit-forloeb"  # the staticTabs entityId in manifest/manifest.json.template
TAB_PATH = "/tab"


def teams_tab_deep_link(teams_app_id: str, entity_id: str = TAB_ENTITY_ID) -> str:
    """The Teams deep link that opens the app's personal tab."""
    return f"https://teams.microsoft.com/l/entity/{quote(teams_app_id, safe='')}/{quote(entity_id, safe='')}"


def tab_link(settings: Settings, email: str | None = None) -> str | None:
    """Where a "Mit forløb" button points: the deep link in Azure mode; locally {base}/tab?as=EMAIL; None when unknown."""
    if settings.local_mode:
        base = f"{settings.base_url}{TAB_PATH}"
        return f"{base}?{urlencode({'as': email})}" if email else base
    return teams_tab_deep_link(settings.teams_app_id) if settings.teams_app_id else None
