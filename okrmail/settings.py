"""Settings: `settings.toml` defaults, overridden by `OKRMAIL_<SECTION>__<KEY>` variables.

A secret may come from a file: `OKRMAIL_SMTP__PASSWORD_FILE=/run/secrets/smtp` reads the
file's content (trailing newline stripped). Unknown keys and bad values stop start-up with
a `SettingsError` that names the key and says what is allowed.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

ENV_PREFIX = "OKRMAIL_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "settings.toml"
# One object, not a new one per call: a Path caches its hash, and the question sets are
# looked up by templates path for every reply read.
DEFAULT_TEMPLATES = PROJECT_ROOT / "templates"
_CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class SettingsError(Exception):
    """Start-up must stop: the message names the key and what is allowed."""


def parse_clock(value: str) -> time:
    """'09:30' -> time(9, 30); raises ValueError for anything else."""
    if not _CLOCK_RE.match(value):
        raise ValueError(f"expected a 24-hour time HH:MM, got {value!r}")
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def parse_window(value: str) -> tuple[time, time]:
    """'09:00-17:00' -> (09:00, 17:00); the end must come after the start."""
    start_text, sep, end_text = value.partition("-")
    if not sep:
        raise ValueError(f"expected a window HH:MM-HH:MM, got {value!r}")
    start, end = parse_clock(start_text.strip()), parse_clock(end_text.strip())
    if end <= start:
        raise ValueError(f"the window {value!r} ends before it starts")
    return start, end


def _valid_clock(value: str) -> str:
    parse_clock(value)
    return value


# A local time of day written "HH:MM", checked when the settings load.
ClockText = Annotated[str, AfterValidator(_valid_clock)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppSettings(_Section):
    data_dir: Path = Path("data")
    templates_dir: str = ""
    organisation: str = "Example Org"
    base_url: str = ""
    # Told when a calendar account breaks (empty: mail.from_address), and of bounces and
    # quarantined mail (empty: nobody).
    admin_email: str = ""


class DatabaseSettings(_Section):
    url: str = "sqlite:///okrmail.db"
    echo: bool = False


class JobsSettings(_Section):
    dispatcher: Literal["inline", "rq"] = "inline"
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue: str = "okrmail"


class TickSettings(_Section):
    interval_seconds: float = Field(5, gt=0)
    batch_size: int = Field(500, ge=1)
    claim_lease_seconds: int = Field(300, ge=1)


class CalendarSettings(_Section):
    provider: str = "local"
    ics_dir: Path = Path("ics")


class BookingSettings(_Section):
    duration_minutes: int = Field(30, ge=5, le=480)
    search_days: int = Field(21, ge=1, le=365)
    slot_step_minutes: int = Field(30, ge=5, le=240)
    horizon_days: int = Field(35, ge=1, le=400)
    check_occurrences: int = Field(6, ge=1, le=52)


class CadenceWindow(_Section):
    window: str = "09:00-17:00"
    days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if not value or any(day < 1 or day > 7 for day in value):
            raise ValueError("days are ISO weekday numbers 1 (Monday) to 7 (Sunday)")
        return value

    @property
    def bounds(self) -> tuple[time, time]:
        return parse_window(self.window)


class CadenceSettings(_Section):
    weekly: CadenceWindow = CadenceWindow()
    biweekly: CadenceWindow = CadenceWindow()
    monthly: CadenceWindow = CadenceWindow(window="10:00-16:00", days=[2, 3, 4])
    quarterly: CadenceWindow = CadenceWindow(window="10:00-16:00", days=[2, 3, 4])


class PromptSettings(_Section):
    lead_hours: float = Field(24, gt=0)
    earliest_hours: float = Field(72, gt=0)
    waking_start: ClockText = "08:00"
    waking_end: ClockText = "20:00"


class ChaseSettings(_Section):
    first_after_hours: float = Field(24, gt=0)
    last_before_hours: float = Field(4, gt=0)
    max_per_prompt: int = Field(2, ge=0, le=5)
    min_gap_hours: float = Field(4, ge=0)
    quiet_start: ClockText = "18:30"
    quiet_end: ClockText = "08:30"
    notify_manager: bool = False


class DigestSettings(_Section):
    mode: Literal["before_meeting", "morning"] = "before_meeting"
    lead_hours: float = Field(2, gt=0)
    morning_time: ClockText = "08:00"
    trend_length: int = Field(5, ge=2, le=12)


class MailSettings(_Section):
    outbound: str = "maildir"
    maildir: Path = Path("maildir")
    from_address: str = "checkins@example.com"
    from_name: str = "okrmail"
    reply_address: str = "checkins+{token}@example.com"
    message_id_domain: str = "okrmail.example.com"
    max_attempts: int = Field(8, ge=1, le=50)
    retry_base_seconds: float = Field(60, gt=0)

    @field_validator("reply_address")
    @classmethod
    def _has_token(cls, value: str) -> str:
        if value.count("{token}") != 1 or "@" not in value:
            raise ValueError("must be an address holding {token} once, e.g. checkins+{token}@x")
        return value


class SmtpSettings(_Section):
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password: str = Field("", repr=False)
    timeout_seconds: float = Field(30, gt=0)


class ImapSettings(_Section):
    host: str = "localhost"
    port: int = Field(993, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str = ""
    password: SecretStr = SecretStr("")  # masked wherever settings are shown
    folder: str = "INBOX"
    processed_folder: str = "okrmail-processed"  # empty: leave mail in place, flag it seen
    timeout_seconds: float = Field(30, gt=0)


class InboundSettings(_Section):
    """Replies coming in: where they are read from and the defences applied to them."""

    provider: str = "maildir"
    maildir: Path = Path("inbox")
    fetch_interval_seconds: float = Field(60, gt=0)
    fetch_batch: int = Field(200, ge=1, le=10000)
    max_prompt_age_days: float = Field(30, gt=0)
    trusted_authserv_id: str = ""
    away_default_days: int = Field(7, ge=1, le=365)
    confirm: bool = True
    quarantine_report_hours: float = Field(24, gt=0)
    imap: ImapSettings = ImapSettings()

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        from connectors.mail.inbound import mail_receivers

        if value not in mail_receivers.names():
            raise ValueError(f"unknown provider; allowed: {', '.join(mail_receivers.names())}")
        return value


class SecuritySettings(_Section):
    # Fernet keys (urlsafe base64, 32 bytes) encrypting stored credentials, comma-separated,
    # newest first: the first encrypts, all decrypt, so a key can be rotated.
    secret_key: str = Field("", repr=False)


class GoogleSettings(_Section):
    """Google Calendar: every endpoint is a setting, so tests and proxies can stand in."""

    api_endpoint: str = "https://www.googleapis.com/"
    token_uri: str = "https://oauth2.googleapis.com/token"
    auth_uri: str = "https://accounts.google.com/o/oauth2/v2/auth"
    batch_url: str = ""  # empty: <api_endpoint>batch/calendar/v3
    client_id: str = ""
    client_secret: str = Field("", repr=False)
    redirect_uri: str = ""  # empty: <app.base_url>/oauth/google/callback
    send_updates: Literal["all", "externalOnly", "none"] = "all"
    timeout_seconds: float = Field(30, gt=0)
    max_retries: int = Field(6, ge=0, le=20)
    backoff_base_seconds: float = Field(1, ge=0)
    backoff_max_seconds: float = Field(64, ge=0)
    batch_size: int = Field(50, ge=1, le=50)
    freebusy_max_days: int = Field(90, ge=1, le=366)
    push: bool = True
    channel_ttl_hours: float = Field(168, gt=0)
    renew_before_hours: float = Field(24, gt=0)
    poll_minutes: float = Field(5, gt=0)
    push_poll_hours: float = Field(6, gt=0)


class Settings(_Section):
    app: AppSettings = AppSettings()
    database: DatabaseSettings = DatabaseSettings()
    jobs: JobsSettings = JobsSettings()
    tick: TickSettings = TickSettings()
    calendar: CalendarSettings = CalendarSettings()
    booking: BookingSettings = BookingSettings()
    cadences: CadenceSettings = CadenceSettings()
    prompts: PromptSettings = PromptSettings()
    chase: ChaseSettings = ChaseSettings()
    digest: DigestSettings = DigestSettings()
    mail: MailSettings = MailSettings()
    smtp: SmtpSettings = SmtpSettings()
    security: SecuritySettings = SecuritySettings()
    google: GoogleSettings = GoogleSettings()
    inbound: InboundSettings = InboundSettings()

    def data_path(self, path: Path) -> Path:
        """A path from the settings, anchored under app.data_dir when relative."""
        return path if path.is_absolute() else self.app.data_dir / path

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path anchored under app.data_dir."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            relative = url[len(prefix) :]
            if relative and relative != ":memory:":
                return prefix + str(self.app.data_dir.resolve() / relative)
        return url

    @property
    def templates_path(self) -> Path:
        if self.app.templates_dir:
            return Path(self.app.templates_dir)
        return DEFAULT_TEMPLATES

    def cadence_window(self, cadence: str) -> CadenceWindow:
        return getattr(self.cadences, cadence)


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Nested dict of the OKRMAIL_SECTION__KEY variables (keys lower-cased)."""
    overrides: dict[str, dict[str, Any]] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        path = name[len(ENV_PREFIX) :].lower()
        section, _, key = path.partition("__")
        if key.endswith("_file"):
            key = key[: -len("_file")]
            try:
                value = Path(value).read_text(encoding="utf-8").rstrip("\n")
            except OSError as error:
                raise SettingsError(f"{name}: cannot read {value!r}: {error.strerror}") from None
        if value.startswith("["):
            # Lists (e.g. cadence days) are written as JSON: OKRMAIL_CADENCES__WEEKLY__DAYS=[1,2]
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise SettingsError(f"{name}: not a JSON list: {value!r}") from None
        if "__" in key:
            # OKRMAIL_CADENCES__WEEKLY__WINDOW: one level deeper.
            inner, _, leaf = key.partition("__")
            overrides.setdefault(section, {}).setdefault(inner, {})[leaf] = value
        else:
            overrides.setdefault(section, {})[key] = value
    return overrides


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        section = error["loc"][:-1]
        model: type[BaseModel] = Settings
        for part in section:
            model = model.model_fields[str(part)].annotation  # type: ignore[assignment]
        allowed = ", ".join(model.model_fields)
        return f"unknown setting {key!r}; allowed here: {allowed}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{key}: {message} (got {error.get('input')!r})"


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file (default: the shipped settings.toml), then the environment.

    OKRMAIL_SETTINGS names another settings file. Raises SettingsError on any problem.
    """
    environ = os.environ if environ is None else environ
    path = path or Path(environ.get("OKRMAIL_SETTINGS", DEFAULT_SETTINGS_FILE))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(f"cannot read settings file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    merged = _merge(raw, _env_overrides(environ))
    try:
        return Settings.model_validate(merged)
    except ValidationError as error:
        problems = "; ".join(_describe(item) for item in error.errors())
        raise SettingsError(f"bad settings: {problems}") from None


def check_timezone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or ValueError naming the bad zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)"
        ) from None
