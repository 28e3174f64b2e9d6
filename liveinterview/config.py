"""One frozen Settings object, read from LIVEINTERVIEW_* environment variables once."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "LIVEINTERVIEW_"
MAX_MEDIA_WORKERS = 64


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


class MailBackend(enum.StrEnum):
    OUTBOX = "outbox"
    SMTP = "smtp"


class SmtpSecurity(enum.StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with; see the README table."""

    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    trust_proxy: bool = False
    max_body_bytes: int = 2 * 1024 * 1024
    log_level: str = "INFO"
    log_format: str = "json"
    session_hours: int = 12
    invite_hours: int = 72
    reset_minutes: int = 60
    setup_minutes: int = 60
    signin_window_minutes: int = 15
    signin_max_failures_account: int = 5
    signin_max_failures_address: int = 20
    mail_backend: MailBackend = MailBackend.OUTBOX
    mail_from: str = "LiveInterview <no-reply@localhost>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_timeout_seconds: float = 10.0
    feed_refresh_minutes: int = 30
    feed_timeout_seconds: float = 10.0
    feed_max_bytes: int = 5_000_000
    feed_allow_private_addresses: bool = False
    candidate_change_cutoff_hours: int = 24
    candidate_max_reschedules: int = 2
    reminder_offsets_minutes: tuple[int, ...] = (1440, 15)
    room_opens_minutes_before: int = 10
    room_closes_minutes_after: int = 60
    room_auto_admit: bool = False
    media_host_addresses: tuple[str, ...] = ()
    media_announced_address: str = ""
    media_workers: int | None = None  # None: one per CPU core (see media_worker_count)
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    turn_ttl_hours: int = 12
    recordings_dir: Path | None = None  # None: DATA_DIR/recordings (see recordings_root)
    recording_retention_days: int = 90
    recording_min_free_mb: int = 500
    review_by_interviewers: bool = False
    share_link_days: int = 7

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def recordings_root(self) -> Path:
        """Where recordings go: the setting, or DATA_DIR/recordings, never the working dir."""
        if self.recordings_dir is not None:
            return self.recordings_dir
        return self.data_dir / "recordings"

    @property
    def media_worker_count(self) -> int:
        """Media worker processes to run; 0: the media engine runs in the web process."""
        if self.media_workers is None:
            return min(MAX_MEDIA_WORKERS, os.cpu_count() or 1)
        return self.media_workers

    @property
    def secure_cookies(self) -> bool:
        """Cookies are marked Secure whenever the public address is HTTPS."""
        return self.base_url.startswith("https://")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class _Spec:
    field: str
    parse: Callable[[str], Any]
    help: str


def _int(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low} to {high}, got {value}")
        return value

    return parse


def _float(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low} to {high}, got {value}")
        return value

    return parse


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _choice(enum_type: type[enum.StrEnum]) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        try:
            return enum_type(raw.strip().lower())
        except ValueError:
            allowed = ", ".join(member.value for member in enum_type)
            raise ValueError(f"expected one of {allowed}, got {raw!r}") from None

    return parse


def _one_of(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if value.upper() in allowed:
            return value.upper()
        if value.lower() in allowed:
            return value.lower()
        raise ValueError(f"expected one of {', '.join(allowed)}, got {raw!r}")

    return parse


def _minutes_list(raw: str) -> tuple[int, ...]:
    if raw.strip().lower() == "none":
        return ()
    values: list[int] = []
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 60 * 24 * 30:
            raise ValueError(f"expected minutes from 1 to 43200 separated by commas, got {part!r}")
        values.append(int(part))
    return tuple(sorted(set(values), reverse=True))


def _addresses(raw: str) -> tuple[str, ...]:
    values = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            values.append(str(ipaddress.ip_address(part)))
        except ValueError:
            raise ValueError(f"expected IP addresses separated by commas, got {part!r}") from None
    return tuple(values)


def _address(raw: str) -> str:
    values = _addresses(raw)
    if len(values) != 1:
        raise ValueError(f"expected one IP address, got {raw!r}")
    return values[0]


def _ice_urls(*schemes: str) -> Callable[[str], tuple[str, ...]]:
    def parse(raw: str) -> tuple[str, ...]:
        urls = tuple(u.strip() for u in raw.split(",") if u.strip())
        for url in urls:
            if not url.startswith(tuple(f"{s}:" for s in schemes)) or " " in url:
                allowed = " or ".join(f"{s}:host:port" for s in schemes)
                raise ValueError(f"expected URLs like {allowed}, got {url!r}")
        return urls

    return parse


def _workers(raw: str) -> int | None:
    value = raw.strip().lower()
    if value == "auto":
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_MEDIA_WORKERS:
        raise ValueError(f"expected auto or a number from 0 to {MAX_MEDIA_WORKERS}, got {raw!r}")
    return int(value)


def _text(raw: str) -> str:
    return raw.strip()


def _url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// address, got {raw!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"expected an address without query or fragment, got {raw!r}")
    return value


def _database_url(raw: str) -> str:
    value = raw.strip()
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(
            "expected sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db, "
            f"got {value.split('://')[0]!r}"
        )
    return value


def _secret(raw: str) -> str:
    value = raw.strip()
    if len(value) < 32:
        raise ValueError("expected at least 32 characters of random text")
    return value


SPECS: tuple[_Spec, ...] = (
    _Spec("host", _text, "Address the web server listens on."),
    _Spec("port", _int(1, 65535), "Port the web server listens on."),
    _Spec(
        "base_url",
        _url,
        "Public address used in emailed links, e.g. `https://interviews.example.com`. "
        "Default: `http://HOST:PORT`. An `https://` address makes cookies Secure.",
    ),
    _Spec("data_dir", Path, "Directory for the SQLite file, outbox, recordings and secret key."),
    _Spec(
        "database_url",
        _database_url,
        "SQLAlchemy URL. Default: `sqlite+aiosqlite:///DATA_DIR/liveinterview.db`; "
        "production: `postgresql+asyncpg://user:pass@host/db`.",
    ),
    _Spec(
        "secret_key",
        _secret,
        "Key for signing CSRF tokens (32+ characters). Default: generated once into "
        "`DATA_DIR/secret_key`.",
    ),
    _Spec(
        "trust_proxy",
        _bool,
        "Trust `X-Forwarded-For`/`X-Forwarded-Proto` from a TLS-terminating reverse proxy.",
    ),
    _Spec("max_body_bytes", _int(1024, 1024**3), "Largest request body accepted (413 above)."),
    _Spec("log_level", _one_of("DEBUG", "INFO", "WARNING", "ERROR"), "Log level."),
    _Spec("log_format", _one_of("json", "text"), "`json` (one object per line) or `text`."),
    _Spec("session_hours", _int(1, 24 * 90), "How long a staff sign-in lasts."),
    _Spec("invite_hours", _int(1, 24 * 30), "How long a staff invitation link is valid."),
    _Spec("reset_minutes", _int(5, 24 * 60), "How long a password-reset link is valid."),
    _Spec("setup_minutes", _int(5, 24 * 60), "How long the first-admin setup link is valid."),
    _Spec("signin_window_minutes", _int(1, 24 * 60), "Window for counting failed sign-ins."),
    _Spec(
        "signin_max_failures_account",
        _int(1, 1000),
        "Failed sign-ins per account within the window before it is throttled.",
    ),
    _Spec(
        "signin_max_failures_address",
        _int(1, 100000),
        "Failed sign-ins per client address within the window before it is throttled.",
    ),
    _Spec(
        "mail_backend",
        _choice(MailBackend),
        "`outbox` writes `.eml` files to `DATA_DIR/outbox/`; `smtp` sends through SMTP.",
    ),
    _Spec("mail_from", _text, "From header of every email."),
    _Spec("smtp_host", _text, "SMTP server host."),
    _Spec("smtp_port", _int(1, 65535), "SMTP server port."),
    _Spec("smtp_username", _text, "SMTP user name (empty: no authentication)."),
    _Spec("smtp_password", _text, "SMTP password."),
    _Spec(
        "smtp_security",
        _choice(SmtpSecurity),
        "`none`, `starttls` (upgrade on connect, usually port 587) or `tls` (port 465).",
    ),
    _Spec("smtp_timeout_seconds", _float(0.5, 300), "SMTP connect/send timeout."),
    _Spec(
        "feed_refresh_minutes",
        _int(5, 24 * 60),
        "How often each interviewer's calendar feed is fetched again.",
    ),
    _Spec("feed_timeout_seconds", _float(1, 120), "Time limit for fetching one calendar feed."),
    _Spec(
        "feed_max_bytes",
        _int(10_000, 100_000_000),
        "Largest calendar feed or uploaded `.ics` file imported (uploads are also limited by "
        "`MAX_BODY_BYTES`).",
    ),
    _Spec(
        "feed_allow_private_addresses",
        _bool,
        "Let calendar feed addresses point at loopback, private and link-local networks. "
        "Off by default against server-side request forgery (SSRF): interviewers type feed "
        "addresses, and the server would fetch them from inside your network.",
    ),
    _Spec(
        "candidate_change_cutoff_hours",
        _int(0, 24 * 14),
        "Candidates may reschedule or cancel until this many hours before the start.",
    ),
    _Spec(
        "candidate_max_reschedules",
        _int(0, 20),
        "How many times a candidate may reschedule one interview themselves.",
    ),
    _Spec(
        "reminder_offsets_minutes",
        _minutes_list,
        "Reminders before each interview, in minutes, comma-separated (`none`: no reminders).",
    ),
    _Spec("room_opens_minutes_before", _int(0, 24 * 60), "The room opens this long before."),
    _Spec("room_closes_minutes_after", _int(0, 24 * 60), "The room closes this long after."),
    _Spec("room_auto_admit", _bool, "New interviews admit the candidate without a click."),
    _Spec("media_host_addresses", _addresses, "Local addresses for media (ICE)."),
    _Spec("media_announced_address", _address, "Public address announced for media."),
    _Spec(
        "media_workers",
        _workers,
        "Media worker processes: `auto` (one per CPU core), 1-64, or 0 (media in the web process).",
    ),
    _Spec("stun_urls", _ice_urls("stun"), "STUN servers handed to browsers."),
    _Spec("turn_urls", _ice_urls("turn", "turns"), "TURN servers handed to browsers."),
    _Spec("turn_secret", _text, "coturn's static-auth-secret (use-auth-secret)."),
    _Spec("turn_ttl_hours", _int(1, 72), "How long handed-out TURN credentials stay valid."),
    _Spec("recordings_dir", Path, "Where recordings are written (default DATA_DIR/recordings)."),
    _Spec("recording_retention_days", _int(1, 3650), "Recordings are deleted after this."),
    _Spec("recording_min_free_mb", _int(0, 10**7), "Recording stops below this free space."),
    _Spec("review_by_interviewers", _bool, "Panel interviewers may review recordings too."),
    _Spec("share_link_days", _int(1, 90), "How long a recording share link works."),
)


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every LIVEINTERVIEW_* variable; raise SettingsError naming the bad one."""
    env = os.environ if environ is None else environ
    known = {env_name(spec.field) for spec in SPECS}
    unknown = sorted(k for k in env if k.startswith(PREFIX) and k not in known)
    unknown = [k for k in unknown if not k.startswith(PREFIX + "TEST_")]
    if unknown:
        raise SettingsError(f"{unknown[0]}: unknown setting (see the README's configuration table)")
    values: dict[str, Any] = {}
    for spec in SPECS:
        name = env_name(spec.field)
        raw = env.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            values[spec.field] = spec.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{name}: {exc}") from None
    settings = Settings(**values)
    if settings.turn_urls and not settings.turn_secret:
        raise SettingsError(
            f"{env_name('turn_secret')}: required when {env_name('turn_urls')} is set "
            "(browsers get credentials computed from it)"
        )
    return _with_derived_defaults(settings)


def _with_derived_defaults(settings: Settings) -> Settings:
    changes: dict[str, Any] = {}
    if not settings.base_url:
        host = settings.host if ":" not in settings.host else f"[{settings.host}]"
        if host in {"0.0.0.0", "[::]"}:  # noqa: S104 - the link needs a reachable name
            host = "127.0.0.1"
        changes["base_url"] = f"http://{host}:{settings.port}"
    if not settings.database_url:
        changes["database_url"] = f"sqlite+aiosqlite:///{settings.data_dir / 'liveinterview.db'}"
    return settings.replace(**changes) if changes else settings


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key, generating one into DATA_DIR the first time."""
    if settings.secret_key:
        return settings
    path = settings.data_dir / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if len(key) < 32:
            raise SettingsError(f"{path}: the stored secret key is too short; delete the file")
        return settings.replace(secret_key=key)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return settings.replace(secret_key=key)
