"""Settings are read once, checked, and never show secrets."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings

AZURE = {
    "MicrosoftAppId": "11111111-2222-3333-4444-555555555555",
    "MicrosoftAppPassword": "super-secret-value",
    "MicrosoftAppTenantId": "66666666-7777-8888-9999-000000000000",
}


def test_defaults_are_local_mode_on_loopback_with_sqlite() -> None:
    s = Settings.from_env({})
    assert s.local_mode and s.host == "127.0.0.1" and s.port == 3978
    assert s.database_url.startswith("sqlite+aiosqlite:///") and s.database_url.endswith("data/talentnord.db")
    assert s.app_type == "SingleTenant" and s.timezone == "Europe/Copenhagen"


def test_secret_never_appears_in_repr_or_str() -> None:
    s = Settings.from_env(AZURE)
    assert not s.local_mode
    assert "super-secret-value" not in repr(s) and "super-secret-value" not in str(s)
    assert s.app_password.reveal() == "super-secret-value"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"BOT_TIMEZONE": "Europe/Aalborg"}, "BOT_TIMEZONE"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"MicrosoftAppType": "Whatever"}, "MicrosoftAppType"),
        ({"MicrosoftAppId": "abc", "MicrosoftAppPassword": "p"}, "MicrosoftAppTenantId"),
        ({"MicrosoftAppId": "abc", "MicrosoftAppTenantId": "t"}, "MicrosoftAppPassword"),
        ({"HOST": "0.0.0.0"}, "HOST"),
        ({"CONTENT_DIR": "/no/such/dir"}, "CONTENT_DIR"),
        ({"ALLOW_ANONYMOUS": "maybe"}, "ALLOW_ANONYMOUS"),
        ({"ToBotFromChannelOpenIdMetadataUrl": "http://127.0.0.1:1/x"}, "ToBotFromChannelTokenIssuer"),
    ],
)
def test_a_wrong_value_names_its_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert info.value.variable == variable
    assert str(info.value).startswith(variable)


def test_password_is_not_echoed_in_errors() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**AZURE, "MicrosoftAppType": "Bogus"})
    assert "super-secret-value" not in str(info.value)


def test_local_mode_on_public_host_needs_explicit_consent() -> None:
    s = Settings.from_env({"HOST": "0.0.0.0", "ALLOW_ANONYMOUS": "1"})
    assert s.local_mode and s.allow_anonymous


def test_azure_mode_may_listen_anywhere() -> None:
    assert Settings.from_env({**AZURE, "HOST": "0.0.0.0"}).host == "0.0.0.0"


def test_plain_database_urls_get_async_drivers() -> None:
    assert Settings.from_env({"DATABASE_URL": "postgresql://u:p@127.0.0.1/db"}).database_url.startswith("postgresql+asyncpg://")
    assert Settings.from_env({"DATABASE_URL": "sqlite:////tmp/x.db"}).database_url == "sqlite+aiosqlite:////tmp/x.db"


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///", "sqlite:///", "sqlite://", "sqlite:///:memory:"])
def test_an_empty_sqlite_path_is_a_start_up_error(url: str) -> None:
    with pytest.raises(ConfigError, match=r"DATABASE_URL.*names no SQLite file"):
        Settings.from_env({"DATABASE_URL": url})


def test_link_check_allows_no_internal_host_unless_named() -> None:
    assert Settings.from_env({}).link_check_allow_hosts == ()
    named = Settings.from_env({"LINK_CHECK_ALLOW_HOSTS": " 127.0.0.1, Materialer.Intern ,,"})
    assert named.link_check_allow_hosts == ("127.0.0.1", "materialer.intern")
