"""Build the Teams app zip: fill manifest.json.template from the environment and add the icons.

Usage (from the repo root):  MicrosoftAppId=<bot app id GUID> python -m manifest.package [--out DIR]

Environment:
  MicrosoftAppId  required; the bot's Entra app id (bots[0].botId and webApplicationInfo.id)
  TEAMS_APP_ID    optional; the Teams app's own id; default: a stable GUID derived from MicrosoftAppId
  BOT_DOMAIN      optional; host name of the bot endpoint, added to validDomains
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
from pathlib import Path
from typing import Any, Mapping, Sequence

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
    return {"MicrosoftAppId": bot_id, "TEAMS_APP_ID": teams_app_id, "APP_VERSION": version}


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
    manifest = fill(json.loads(template.read_text(encoding="utf-8")), resolve_values(env))
    domain = bot_domain(env)
    if domain and domain not in manifest["validDomains"]:
        manifest["validDomains"].append(domain)
    return manifest


def placeholder_urls(manifest: Mapping[str, Any]) -> list[str]:
    """Developer URLs still pointing at the example.com placeholders, to remind before publishing."""
    return [
        f"developer.{key} = {url}"
        for key, url in manifest.get("developer", {}).items()
        if key.endswith("Url") and "example.com" in url
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
    for line in placeholder_urls(manifest):
        print(f"warning: placeholder URL, replace it in {TEMPLATE.name} before publishing: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
