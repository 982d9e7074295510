"""Build the Teams app zip: fill manifest.json.template from the environment and add the icons.

Usage (from the repo root):  MicrosoftAppId=<bot app id GUID> python -m manifest.package [--out DIR]

Environment:
  MicrosoftAppId  required; the bot's Entra app id (bots[0].botId and webApplicationInfo.id)
  TEAMS_APP_ID    optional; the Teams app's own id; default: a stable GUID derived from MicrosoftAppId
  BOT_DOMAIN      optional; host name of the bot endpoint, added to validDomains
  PUBLIC_URL      optional; https:// base URL of the bot's web server (the "Mit forløb" tab is PUBLIC_URL/tab);
                  default https://BOT_DOMAIN; without either the package has no tab
  TAB_APP_ID_URI  optional; the Application ID URI for the tab's SSO (webApplicationInfo.resource);
                  default api://<PUBLIC_URL's host>/<MicrosoftAppId>, or api://botid-<MicrosoftAppId> without a host
  APP_VERSION     optional; the app version, MAJOR.MINOR.PATCH; default 1.0.0
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
TEMPLATE = HERE / "manifest.json.template"
ICONS = ("color.png", "outline.png")
PACKAGE_NAME = "talent-nord-teams-app.zip"
DEFAULT_VERSION = "1.0.0"

# The same pattern as the schema's #/definitions/guid.
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# The schema only caps `version` at 256 chars, but Teams (and the schema's unused
# #/definitions/semver) want plain MAJOR.MINOR.PATCH without leading zeros.
SEMVER_RE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
# A bare host name, optionally with a leading wildcard label; validDomains takes no scheme or path.
DOMAIN_RE = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
PLACEHOLDER_RE = re.compile(r"\$\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")
# Derives the default TEAMS_APP_ID, so one bot always gets the same Teams app id and a
# rebuilt package updates the installed app instead of adding a second one.
APP_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:talent-nord:teams-app")
# A fixed timestamp for every zip entry, so the same inputs give a byte-identical zip.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


class PackageError(ValueError):
    """A packaging input is missing or wrong; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def _guid(env: Mapping[str, str], name: str) -> str | None:
    """The variable as a lower-case GUID, None when unset or blank; PackageError when malformed."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not GUID_RE.match(raw):
        raise PackageError(name, f"must be a GUID like 00000000-0000-0000-0000-000000000000; got {raw!r}")
    return raw.lower()


def resolve_values(env: Mapping[str, str]) -> dict[str, str]:
    """Check the environment and return the value for every template placeholder."""
    bot_id = _guid(env, "MicrosoftAppId")
    if bot_id is None:
        raise PackageError("MicrosoftAppId", "is required: set it to the bot's Microsoft Entra app id (a GUID)")
    teams_app_id = _guid(env, "TEAMS_APP_ID") or str(uuid.uuid5(APP_ID_NAMESPACE, bot_id))
    version = env.get("APP_VERSION", "").strip() or DEFAULT_VERSION
    if not SEMVER_RE.match(version):
        raise PackageError("APP_VERSION", f"must be MAJOR.MINOR.PATCH, e.g. 1.0.0; got {version!r}")
    public_url = tab_base_url(env)
    host = urlsplit(public_url).hostname if public_url else None
    app_id_uri = env.get("TAB_APP_ID_URI", "").strip() or (f"api://{host}/{bot_id}" if host else f"api://botid-{bot_id}")
    if not app_id_uri.startswith("api://"):
        raise PackageError("TAB_APP_ID_URI", f"must be an api:// URI like api://talentnord.example/<app id>; got {app_id_uri!r}")
    return {
        "MicrosoftAppId": bot_id,
        "TEAMS_APP_ID": teams_app_id,
        "APP_VERSION": version,
        "PUBLIC_URL": public_url,
        "APP_ID_URI": app_id_uri,
    }


def tab_base_url(env: Mapping[str, str]) -> str:
    """PUBLIC_URL (https, no trailing slash), else https://BOT_DOMAIN, else '' (no tab in the package)."""
    raw = env.get("PUBLIC_URL", "").strip().rstrip("/")
    if not raw:
        domain = bot_domain(env)
        return f"https://{domain}" if domain else ""
    parts = urlsplit(raw)
    if parts.scheme != "https" or not DOMAIN_RE.match(parts.hostname or "") or parts.query or parts.fragment or parts.username:
        raise PackageError("PUBLIC_URL", f"must be an https:// URL of a host name, e.g. https://talentnord.azurewebsites.net; got {raw!r}")
    return raw


def bot_domain(env: Mapping[str, str]) -> str | None:
    """BOT_DOMAIN as a bare host name, None when unset; PackageError when it has a scheme, path or junk."""
    raw = env.get("BOT_DOMAIN", "").strip()
    if not raw:
        return None
    if not DOMAIN_RE.match(raw):
        raise PackageError(
            "BOT_DOMAIN", f"must be a host name without scheme, port or path, e.g. talentnord.azurewebsites.net; got {raw!r}"
        )
    return raw.lower()


def fill(node: Any, values: Mapping[str, str]) -> Any:
    """Replace ${{NAME}} in every string of a parsed JSON tree (so values can never break the JSON)."""
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(item, values) for item in node]
    if isinstance(node, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                # A template bug, not a user error: say which placeholder has no source.
                raise KeyError(f"manifest template uses ${{{{{name}}}}}, which the packager does not fill")
            return values[name]

        return PLACEHOLDER_RE.sub(lookup, node)
    return node


def render_manifest(env: Mapping[str, str], template: Path = TEMPLATE) -> dict[str, Any]:
    """The manifest as a dict, filled from the environment."""
    values = resolve_values(env)
    manifest = fill(json.loads(template.read_text(encoding="utf-8")), values)
    tab_host = urlsplit(values["PUBLIC_URL"]).hostname if values["PUBLIC_URL"] else None
    for domain in (bot_domain(env), tab_host):
        if domain and domain not in manifest["validDomains"]:
            manifest["validDomains"].append(domain)
    if not values["PUBLIC_URL"]:
        # No public address, no page to show: leave the web tab out rather than point Teams at nothing.
        manifest["staticTabs"] = [tab for tab in manifest["staticTabs"] if "contentUrl" not in tab]
    return manifest


def placeholder_urls(manifest: Mapping[str, Any]) -> list[str]:
    """Developer URLs still pointing at the example.com placeholders, to remind before publishing."""
    return [
        f"developer.{key} = {url}" for key, url in manifest.get("developer", {}).items() if key.endswith("Url") and "example.com" in url
    ]


def build_package(out_dir: Path, env: Mapping[str, str]) -> Path:
    """Write out_dir/talent-nord-teams-app.zip (manifest.json, color.png, outline.png at the root)."""
    return write_package(out_dir, render_manifest(env))


def write_package(out_dir: Path, manifest: Mapping[str, Any]) -> Path:
    """Zip a rendered manifest with the icons into out_dir/talent-nord-teams-app.zip."""
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / PACKAGE_NAME
    partial = target.with_name(target.name + ".partial")
    # Write beside the target and rename, so a failed build never leaves a half zip to upload.
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [("manifest.json", data)] + [(name, (HERE / name).read_bytes()) for name in ICONS]
        for name, payload in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, payload)
    os.replace(partial, target)
    return target


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Command-line entry: build the package, print where it went; exit 2 on a bad input."""
    parser = argparse.ArgumentParser(description="Build the Talent Nord Teams app package (zip).")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "dist", help="output folder (default: dist/)")
    args = parser.parse_args(argv)
    env = os.environ if env is None else env
    try:
        manifest = render_manifest(env)
    except PackageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {write_package(args.out, manifest)}")
    if not any("contentUrl" in tab for tab in manifest.get("staticTabs", [])):
        print('warning: no PUBLIC_URL or BOT_DOMAIN, so the package has no "Mit forløb" tab', file=sys.stderr)
    for line in placeholder_urls(manifest):
        print(f"warning: placeholder URL, replace it in {TEMPLATE.name} before publishing: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
