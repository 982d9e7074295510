"""Settings: one frozen object read once from the environment."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from manifest.package import GUID_RE, resolve_values

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{REPO_ROOT / 'data' / 'talentnord.db'}"
APP_TYPES = ("SingleTenant", "MultiTenant", "UserAssignedMSI")
DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"
# Teams' Bot Connector for the EMEA region: the serviceUrl proactive sends use for chats we
# learned about through Graph rather than from an incoming activity (which carries its own).
DEFAULT_BOT_SERVICE_URL = "https://smba.trafficmanager.net/emea/"
# An open question to the instructors older than this many working hours gets one reminder in its channel.
DEFAULT_QUESTION_REMINDER_WORKING_HOURS = 24
DEFAULT_TIMEZONE = "Europe/Copenhagen"  # BOT_TIMEZONE: the services' time zone where a cohort has none


class ConfigError(ValueError):
    """A setting has a wrong value; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class Secret:
    """A string that never shows itself in repr, str or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value, for the one place that needs it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def normalise_database_url(url: str) -> str:
    """Give plain sqlite:// and postgresql:// URLs their async driver."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    return url


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(name, f"expected 1/0, true/false, yes/no; got {raw!r}")


def _http_url(env: Mapping[str, str], name: str, default: str) -> str:
    """An http(s) URL setting, or its default."""
    raw = env.get(name, "").strip() or default
    if not raw.startswith(("https://", "http://")):
        raise ConfigError(name, f"must be an http(s):// URL; got {raw!r}")
    return raw


def _storage_dir(env: Mapping[str, str]) -> Path | None:
    raw = env.get("FILE_STORAGE_DIR", "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_dir():
        raise ConfigError("FILE_STORAGE_DIR", f"{path} is not a directory")
    return path


def _report_secret(env: Mapping[str, str]) -> Secret:
    """REPORT_SECRET (at least 16 characters), else a random secret for this process."""
    raw = env.get("REPORT_SECRET", "").strip()
    if not raw:
        return Secret(secrets.token_urlsafe(32))
    if len(raw) < 16:
        raise ConfigError("REPORT_SECRET", "must be at least 16 characters")
    return Secret(raw)


def _teams_app_id(env: Mapping[str, str], app_id: str) -> str:
    """TEAMS_APP_ID, else the id manifest/package.py derives from the bot's app id ('' when neither)."""
    explicit = env.get("TEAMS_APP_ID", "").strip()
    if explicit:
        if not GUID_RE.match(explicit):
            raise ConfigError("TEAMS_APP_ID", f"must be a GUID like 00000000-0000-0000-0000-000000000000; got {explicit!r}")
        return explicit.lower()
    if not GUID_RE.match(app_id):
        return ""  # local mode (or an app id that is no GUID): nothing to derive it from
    # The packager's own derivation, so the catalog lookup finds exactly the app `make package` built.
    return resolve_values({"MicrosoftAppId": app_id})["TEAMS_APP_ID"]


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number; got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}; got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"expected a number; got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}; got {value}")
    return value


def _tab_app_id_uri(env: Mapping[str, str], app_id: str, public_url: str) -> str:
    """TAB_APP_ID_URI, else api://<PUBLIC_URL's host>/<app id> (Teams' form for tab SSO), else ''."""
    explicit = env.get("TAB_APP_ID_URI", "").strip()
    if explicit:
        if not explicit.startswith("api://"):
            raise ConfigError("TAB_APP_ID_URI", f"must be an api:// URI like api://talentnord.example/<app id>; got {explicit!r}")
        return explicit
    host = urlsplit(public_url).hostname if public_url else None
    return f"api://{host}/{app_id}" if app_id and host else ""


def _tab_metadata_url(env: Mapping[str, str]) -> str:
    """TAB_SSO_METADATA_URL: an http(s) URL template containing {tenant}, or '' for login.microsoftonline.com's."""
    raw = env.get("TAB_SSO_METADATA_URL", "").strip()
    if not raw:
        return ""
    if not raw.startswith(("https://", "http://")) or "{tenant}" not in raw:
        raise ConfigError("TAB_SSO_METADATA_URL", f"must be an http(s):// URL containing {{tenant}}; got {raw!r}")
    return raw


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment, cast and checked."""

    app_id: str = ""
    app_password: Secret = field(default_factory=lambda: Secret(""))
    app_type: str = "SingleTenant"
    app_tenant_id: str = ""
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 3978
    content_dir: Path = REPO_ROOT / "content"
    timezone: str = DEFAULT_TIMEZONE
    allow_anonymous: bool = False
    demo_cohort: str = ""
    openid_metadata_url: str = ""
    token_issuer: str = ""
    max_body_bytes: int = 256 * 1024
    tick_seconds: float = 5.0
    global_rate_per_second: float = 50.0
    login_authority: str = "https://login.microsoftonline.com"
    sender_concurrency: int = 16
    send_max_attempts: int = 6
    send_lease_seconds: float = 60.0  # a claimed outbox row is retaken by any replica after this
    log_level: str = "INFO"
    log_format: str = "text"  # LOG_FORMAT: text for a terminal, json for a log collector (one object per line)
    # GET /metrics: with METRICS_TOKEN only for `Authorization: Bearer <token>`; without it, loopback only
    metrics_token: Secret = field(default_factory=lambda: Secret(""))
    graph_enabled: bool = False
    graph_base_url: str = DEFAULT_GRAPH_BASE_URL
    teams_app_id: str = ""  # the manifest id = externalId of the app in the org catalog
    bot_service_url: str = DEFAULT_BOT_SERVICE_URL
    # signs the report links sent to admins; without REPORT_SECRET a random one, so links die on restart
    report_secret: Secret = field(default_factory=lambda: Secret(secrets.token_urlsafe(32)))
    public_url: str = ""  # where people reach the bot's web server (for report links); default http://host:port
    question_reminder_working_hours: int = DEFAULT_QUESTION_REMINDER_WORKING_HOURS
    retention_days: int = 365  # a cohort's personal data is erased this long after its last activity; 0 = never
    retention_grace_days: int = 30  # ... and never sooner than this after its calendar or roster was last imported
    retention_notice_days: int = 14  # ... and only this long after its admins were told the date
    # The "Mit forløb" tab's Teams SSO: the Application ID URI its tokens are for (also accepted: the app id),
    # and where each tenant's signing keys are published ({tenant} is filled in).
    tab_app_id_uri: str = ""
    tab_sso_metadata_url: str = ""
    # uploaded files (templates, slides): in the database unless a directory is set (shared by every replica)
    file_storage_dir: Path | None = None
    file_max_bytes: int = 20 * 1024 * 1024
    # hosts the material link check may reach although they are internal addresses (tests, a local demo); none by default
    link_check_allow_hosts: tuple[str, ...] = ()

    @property
    def base_url(self) -> str:
        """The public base URL of the web server, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def tab_metadata_url(self) -> str:
        """The OpenID metadata URL template for the tab's SSO tokens ({tenant} to fill in)."""
        return self.tab_sso_metadata_url or f"{self.login_authority.rstrip('/')}/{{tenant}}/v2.0/.well-known/openid-configuration"

    @property
    def local_mode(self) -> bool:
        """No app id: requests are accepted without a token."""
        return not self.app_id

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting; raise ConfigError naming the first bad one."""
        env = os.environ if env is None else env
        app_id = env.get("MicrosoftAppId", "").strip()
        password = env.get("MicrosoftAppPassword", "")
        app_type = env.get("MicrosoftAppType", "").strip() or "SingleTenant"
        if app_type not in APP_TYPES:
            raise ConfigError("MicrosoftAppType", f"must be one of {', '.join(APP_TYPES)}; got {app_type!r}")
        tenant_id = env.get("MicrosoftAppTenantId", "").strip()
        if app_id and app_type == "SingleTenant" and not tenant_id:
            raise ConfigError("MicrosoftAppTenantId", "is required for a SingleTenant bot")
        if app_id and app_type != "UserAssignedMSI" and not password:
            raise ConfigError("MicrosoftAppPassword", "is required when MicrosoftAppId is set")

        database_url = normalise_database_url(env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL)
        if not (database_url.startswith("sqlite+aiosqlite://") or database_url.startswith("postgresql+asyncpg://")):
            raise ConfigError("DATABASE_URL", "must be a sqlite:// or postgresql:// URL")
        # imported here: `python -m bot --help` and the CLI's usage errors need no SQLAlchemy (0.3 s of start-up)
        from sqlalchemy.engine import make_url

        if database_url.startswith("sqlite") and make_url(database_url).database in (None, "", ":memory:"):
            # an in-memory database forgets everything at restart and is never shared: never what is meant
            raise ConfigError("DATABASE_URL", "names no SQLite file; use sqlite:///path/to/talentnord.db")

        host = env.get("HOST", "").strip() or "127.0.0.1"
        port = _int(env, "PORT", 3978, 1, 65535)
        allow_anonymous = _flag(env, "ALLOW_ANONYMOUS")
        if not app_id and not is_loopback(host) and not allow_anonymous:
            raise ConfigError(
                "HOST",
                f"local mode (no MicrosoftAppId) accepts requests without a token, so it only listens on "
                f"loopback; got {host!r}. Set MicrosoftAppId, or ALLOW_ANONYMOUS=1 if you really mean it",
            )

        content_dir = Path(env.get("CONTENT_DIR", "").strip() or REPO_ROOT / "content")
        if not content_dir.is_dir():
            raise ConfigError("CONTENT_DIR", f"{content_dir} is not a directory")

        timezone = env.get("BOT_TIMEZONE", "").strip() or DEFAULT_TIMEZONE
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError("BOT_TIMEZONE", f"unknown time zone {timezone!r}") from None

        metadata_url = env.get("ToBotFromChannelOpenIdMetadataUrl", "").strip()
        issuer = env.get("ToBotFromChannelTokenIssuer", "").strip()
        if bool(metadata_url) != bool(issuer):
            missing = "ToBotFromChannelTokenIssuer" if metadata_url else "ToBotFromChannelOpenIdMetadataUrl"
            raise ConfigError(missing, "must be set together with its partner, or neither")

        log_level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError("LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR; got {log_level!r}")

        log_format = (env.get("LOG_FORMAT", "").strip() or "text").lower()
        if log_format not in ("text", "json"):
            raise ConfigError("LOG_FORMAT", f"must be text or json; got {log_format!r}")
        metrics_token = env.get("METRICS_TOKEN", "").strip()
        if metrics_token and len(metrics_token) < 16:
            raise ConfigError("METRICS_TOKEN", "must be at least 16 characters")

        public_url = _http_url(env, "PUBLIC_URL", "http://unset") if env.get("PUBLIC_URL", "").strip() else ""
        return cls(
            app_id=app_id,
            app_password=Secret(password),
            app_type=app_type,
            app_tenant_id=tenant_id,
            database_url=database_url,
            host=host,
            port=port,
            content_dir=content_dir,
            timezone=timezone,
            allow_anonymous=allow_anonymous,
            demo_cohort=env.get("DEMO_COHORT", "").strip(),
            openid_metadata_url=metadata_url,
            token_issuer=issuer,
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 256 * 1024, 1024, 10 * 1024 * 1024),
            tick_seconds=_float(env, "TICK_SECONDS", 5.0, 0.1, 3600.0),
            global_rate_per_second=_float(env, "TEAMS_RATE_PER_SECOND", 50.0, 0.1, 10000.0),
            login_authority=env.get("LOGIN_AUTHORITY", "").strip() or "https://login.microsoftonline.com",
            sender_concurrency=_int(env, "SENDER_CONCURRENCY", 16, 1, 256),
            send_max_attempts=_int(env, "SEND_MAX_ATTEMPTS", 6, 1, 50),
            send_lease_seconds=_float(env, "SEND_LEASE_SECONDS", 60.0, 2.0, 3600.0),
            log_level=log_level,
            log_format=log_format,
            metrics_token=Secret(metrics_token),
            graph_enabled=_flag(env, "GRAPH_ENABLED"),
            graph_base_url=_http_url(env, "GRAPH_BASE_URL", DEFAULT_GRAPH_BASE_URL).rstrip("/"),
            teams_app_id=_teams_app_id(env, app_id),
            bot_service_url=_http_url(env, "BOT_SERVICE_URL", DEFAULT_BOT_SERVICE_URL),
            report_secret=_report_secret(env),
            question_reminder_working_hours=_int(
                env, "QUESTION_REMINDER_WORKING_HOURS", DEFAULT_QUESTION_REMINDER_WORKING_HOURS, 1, 24 * 30
            ),
            retention_days=_int(env, "RETENTION_DAYS", 365, 0, 3650),
            retention_grace_days=_int(env, "RETENTION_GRACE_DAYS", 30, 0, 3650),
            retention_notice_days=_int(env, "RETENTION_NOTICE_DAYS", 14, 0, 365),
            public_url=public_url,
            tab_app_id_uri=_tab_app_id_uri(env, app_id, public_url),
            tab_sso_metadata_url=_tab_metadata_url(env),
            file_storage_dir=_storage_dir(env),
            file_max_bytes=_int(env, "FILE_MAX_MB", 20, 1, 200) * 1024 * 1024,
            link_check_allow_hosts=tuple(h.strip().lower() for h in env.get("LINK_CHECK_ALLOW_HOSTS", "").split(",") if h.strip()),
        )
