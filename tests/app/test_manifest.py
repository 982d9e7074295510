"""The Teams app package: manifest valid against schema v1.30, ids filled in, icons as Teams wants them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.config import Settings
from bot.web import links
from manifest import make_icons, package
from tests.support import SCHEMAS, require_shared

BOT_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
ENV = {"MicrosoftAppId": BOT_ID}
SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json"

Built = tuple[dict[str, Any], zipfile.ZipFile]


decode_png = make_icons.decode_png  # Pillow's reader


# --- fixtures -----------------------------------------------------------------------------------


def _build(tmp_path: Path, env: dict[str, str]) -> Built:
    """Build into tmp_path and return the parsed manifest and the open zip."""
    archive = zipfile.ZipFile(package.build_package(tmp_path, env))
    return json.loads(archive.read("manifest.json").decode("utf-8")), archive


@pytest.fixture
def built(tmp_path: Path) -> Iterator[Built]:
    manifest, archive = _build(tmp_path, ENV)
    yield manifest, archive
    archive.close()


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    path = require_shared(SCHEMAS / "teams-manifest-1.30.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _schema_errors(schema: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    validator_cls = jsonschema.validators.validator_for(schema)
    # format_checker=None: one pattern (extensions' function names) uses ECMAScript's \p{L},
    # which Python's re cannot compile; it sits in a part of the schema this manifest never uses.
    validator_cls.check_schema(schema, format_checker=None)
    errors = validator_cls(schema).iter_errors(manifest)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


# --- the package --------------------------------------------------------------------------------


def test_zip_has_manifest_and_icons_at_the_root(built: Built) -> None:
    manifest, archive = built
    assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    assert archive.testzip() is None
    assert {manifest["icons"]["color"], manifest["icons"]["outline"]} == {"color.png", "outline.png"}


def test_manifest_is_valid_against_schema_v1_30(built: Built, schema: dict[str, Any]) -> None:
    manifest, _ = built
    assert _schema_errors(schema, manifest) == []
    # The schema declares draft-04, which has no `const`, so the validator ignores its
    # manifestVersion const; check it by hand.
    assert manifest["manifestVersion"] == schema["properties"]["manifestVersion"]["const"] == "1.30"
    assert manifest["$schema"] == SCHEMA_URL


def test_schema_check_is_not_vacuous(built: Built, schema: dict[str, Any]) -> None:
    manifest, _ = built
    broken = json.loads(json.dumps(manifest))
    broken["description"]["short"] = "x" * 81
    broken["bots"][0]["botId"] = "not-a-guid"
    errors = _schema_errors(schema, broken)
    assert any(e.startswith("description/short") for e in errors), errors
    assert any(e.startswith("bots/0/botId") for e in errors), errors


def test_danish_texts_within_teams_limits(built: Built) -> None:
    manifest, _ = built
    assert manifest["localizationInfo"]["defaultLanguageTag"] == "da-dk"
    assert manifest["name"] == {"short": "Talent Nord", "full": "Talent Nord 2.0 – ledertalentprogram"}
    assert 0 < len(manifest["description"]["short"]) <= 80
    assert 0 < len(manifest["description"]["full"]) <= 4000
    assert manifest["developer"]["name"] == "LEAD"
    assert all(manifest["developer"][k].startswith("https://") for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))


def test_ids_come_from_the_bot_app_id(built: Built) -> None:
    manifest, _ = built
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["webApplicationInfo"] == {"id": BOT_ID, "resource": f"api://botid-{BOT_ID}"}
    assert manifest["version"] == "1.0.0"
    # The default Teams app id is a GUID, not the bot id, and stable across builds.
    assert uuid.UUID(manifest["id"]).version == 5
    assert manifest["id"] != BOT_ID
    assert package.resolve_values(ENV)["TEAMS_APP_ID"] == manifest["id"]


def test_teams_app_id_version_and_domain_from_env(tmp_path: Path) -> None:
    app_id = "11111111-2222-3333-4444-555555555555"
    env = {"MicrosoftAppId": BOT_ID.upper(), "TEAMS_APP_ID": app_id, "APP_VERSION": "2.3.10", "BOT_DOMAIN": "talentnord.azurewebsites.net"}
    manifest, archive = _build(tmp_path, env)
    archive.close()
    assert manifest["id"] == app_id
    assert manifest["version"] == "2.3.10"
    assert manifest["validDomains"] == ["talentnord.azurewebsites.net"]
    assert manifest["bots"][0]["botId"] == BOT_ID  # normalised to lower case


def test_valid_domains_empty_without_bot_domain(built: Built) -> None:
    manifest, _ = built
    assert manifest["validDomains"] == []


def test_mit_forloeb_tab_with_public_url(tmp_path: Path, schema: dict[str, Any]) -> None:
    env = {**ENV, "PUBLIC_URL": "https://talentnord.example.dk/"}
    manifest, archive = _build(tmp_path, env)
    archive.close()
    assert _schema_errors(schema, manifest) == []
    entity_ids = [tab["entityId"] for tab in manifest["staticTabs"]]
    assert entity_ids == ["conversations", links.TAB_ENTITY_ID, "lead-konsol", "about"]  # the chat stays first
    (tab,) = [tab for tab in manifest["staticTabs"] if tab["entityId"] == links.TAB_ENTITY_ID]
    assert tab == {
        "entityId": "mit-forloeb",
        "name": "Mit forløb",
        "contentUrl": "https://talentnord.example.dk/tab",
        "websiteUrl": "https://talentnord.example.dk/tab",
        "scopes": ["personal"],
    }
    assert manifest["validDomains"] == ["talentnord.example.dk"]
    # Teams SSO: the tab asks Entra for a token for this resource; the server expects it as the audience
    assert manifest["webApplicationInfo"] == {"id": BOT_ID, "resource": f"api://talentnord.example.dk/{BOT_ID}"}
    settings = Settings.from_env({**env, "MicrosoftAppPassword": "x", "MicrosoftAppTenantId": str(uuid.uuid4())})
    assert settings.tab_app_id_uri == manifest["webApplicationInfo"]["resource"]
    assert links.tab_link(settings) == f"https://teams.microsoft.com/l/entity/{manifest['id']}/mit-forloeb"


def test_tab_from_bot_domain_and_an_explicit_app_id_uri(tmp_path: Path, schema: dict[str, Any]) -> None:
    env = {**ENV, "BOT_DOMAIN": "talentnord.azurewebsites.net", "TAB_APP_ID_URI": f"api://talentnord.azurewebsites.net/botid-{BOT_ID}"}
    manifest, archive = _build(tmp_path, env)
    archive.close()
    assert _schema_errors(schema, manifest) == []
    (tab,) = [tab for tab in manifest["staticTabs"] if tab["entityId"] == links.TAB_ENTITY_ID]
    assert tab["contentUrl"] == "https://talentnord.azurewebsites.net/tab"
    assert manifest["validDomains"] == ["talentnord.azurewebsites.net"]
    assert manifest["webApplicationInfo"]["resource"] == env["TAB_APP_ID_URI"]


def test_no_web_tab_without_a_public_url(built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, _ = built
    assert [tab["entityId"] for tab in manifest["staticTabs"]] == ["conversations", "about"]
    assert manifest["webApplicationInfo"] == {"id": BOT_ID, "resource": f"api://botid-{BOT_ID}"}
    assert package.main(["--out", str(tmp_path)], env=ENV) == 0
    assert "Mit forløb" in capsys.readouterr().err


def test_bot_scopes_and_personal_commands(built: Built) -> None:
    manifest, _ = built
    (bot,) = manifest["bots"]
    assert bot["scopes"] == ["personal", "team"]
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    commands, team = bot["commandLists"]
    assert commands["scopes"] == ["personal"]
    assert team["scopes"] == ["team"] and [c["title"] for c in team["commands"]] == ["underviserkanal"]
    assert [c["title"] for c in commands["commands"]] == ["hjælp", "næste", "materialer", "spørg"]
    assert all(c["description"].strip() for c in commands["commands"])


def test_rsc_permission_lets_the_bot_read_channel_replies(built: Built) -> None:
    manifest, _ = built
    rsc = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in rsc


def test_no_placeholders_remain(built: Built) -> None:
    _manifest, archive = built
    text = archive.read("manifest.json").decode("utf-8")
    assert "${{" not in text and not package.PLACEHOLDER_RE.search(text)
    # Every placeholder in the template has a value, so a new one cannot slip through unfilled.
    used = set(package.PLACEHOLDER_RE.findall(package.TEMPLATE.read_text(encoding="utf-8")))
    assert used == set(package.resolve_values(ENV))


def test_build_is_reproducible(tmp_path: Path) -> None:
    first = package.build_package(tmp_path / "a", ENV).read_bytes()
    second = package.build_package(tmp_path / "b", ENV).read_bytes()
    assert first == second


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "MicrosoftAppId"),
        ({"MicrosoftAppId": "  "}, "MicrosoftAppId"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId"),
        ({"MicrosoftAppId": BOT_ID + "0"}, "MicrosoftAppId"),
        ({**ENV, "TEAMS_APP_ID": "1234"}, "TEAMS_APP_ID"),
        ({**ENV, "APP_VERSION": "1.0"}, "APP_VERSION"),
        ({**ENV, "APP_VERSION": "v1.0.0"}, "APP_VERSION"),
        ({**ENV, "BOT_DOMAIN": "https://talentnord.azurewebsites.net/api/messages"}, "BOT_DOMAIN"),
        ({**ENV, "PUBLIC_URL": "http://talentnord.example.dk"}, "PUBLIC_URL"),
        ({**ENV, "PUBLIC_URL": "https://talentnord.example.dk/?x=1"}, "PUBLIC_URL"),
        ({**ENV, "PUBLIC_URL": "https://127.0.0.1:3978"}, "PUBLIC_URL"),
        ({**ENV, "TAB_APP_ID_URI": "https://talentnord.example.dk"}, "TAB_APP_ID_URI"),
    ],
)
def test_bad_input_is_an_error_naming_the_variable(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    with pytest.raises(package.PackageError, match=variable) as info:
        package.build_package(tmp_path, env)
    assert info.value.variable == variable
    assert not list(tmp_path.iterdir()), "a failed build must not leave files behind"


def test_cli_exits_non_zero_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert package.main(["--out", str(tmp_path)], env={}) != 0
    assert "MicrosoftAppId" in capsys.readouterr().err
    assert package.main(["--out", str(tmp_path)], env=ENV) == 0
    assert (tmp_path / package.PACKAGE_NAME).is_file()


def test_script_entry_point_runs(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MicrosoftAppId", "TEAMS_APP_ID", "BOT_DOMAIN", "APP_VERSION", "PUBLIC_URL", "TAB_APP_ID_URI")
    }
    script = package.HERE / "package.py"
    done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "MicrosoftAppId" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "manifest.package", "--out", str(tmp_path)],
        env={**env, **ENV},
        cwd=package.REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / package.PACKAGE_NAME).is_file()


# --- icons --------------------------------------------------------------------------------------


def test_colour_icon_is_192_full_colour(built: Built) -> None:
    _, archive = built
    width, height, pixels = decode_png(archive.read("color.png"))
    assert (width, height) == (192, 192)
    assert all(a == 255 for *_, a in pixels), "the colour icon should be opaque"
    assert len({px[:3] for px in pixels}) > 16, "expected a full-colour image, not a flat one"


def test_outline_icon_is_32_white_on_transparent(built: Built) -> None:
    _, archive = built
    width, height, pixels = decode_png(archive.read("outline.png"))
    assert (width, height) == (32, 32)
    coloured = [px for px in pixels if px[3] > 0]
    assert coloured, "the outline icon is empty"
    assert all(px[:3] == (255, 255, 255) for px in coloured), "outline icon pixels must be white"
    assert sum(1 for px in pixels if px[3] == 0) > len(pixels) // 4, "needs a transparent background"
    assert any(px[3] == 255 for px in pixels), "needs some solid white"


def test_committed_icons_match_the_generator() -> None:
    # pixels, not bytes: the PNGs were written by an earlier encoder, and another Pillow may compress differently
    assert decode_png((package.HERE / "color.png").read_bytes()) == (192, 192, make_icons.color_pixels()), (
        "run python manifest/make_icons.py"
    )
    assert decode_png((package.HERE / "outline.png").read_bytes()) == (32, 32, make_icons.outline_pixels()), (
        "run python manifest/make_icons.py"
    )


def test_png_writer_is_lossless_and_deterministic() -> None:
    width, height = 7, 10
    pixels = [
        ((x * 37 + y * 11) % 256, (x * y * 5) % 256, (255 - y * 23) % 256, (x * 40 + 3) % 256) for y in range(height) for x in range(width)
    ]
    png = make_icons.encode_png(width, height, pixels)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png == make_icons.encode_png(width, height, pixels)
    assert decode_png(png) == (width, height, pixels)
    with pytest.raises(ValueError, match="expected 70 pixels"):
        make_icons.encode_png(width, height, pixels[:-1])
