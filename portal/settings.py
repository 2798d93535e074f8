"""The one settings object, read once from ``ESP_*`` environment variables.

Everything configurable lives here so that a bad value is caught at start-up, with the variable
named, rather than at the first request that happens to need it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "ESP_"


class SettingsError(Exception):
    """A configuration value is wrong; the message names the environment variable."""


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("esp-portal", appauthor=False))


class WitnessSetting(BaseModel):
    """One witness the log submits its checkpoints to (C2SP tlog-witness)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    key: str

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("a witness url must be an absolute http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        from ledger.cosignature import CosignatureVerifier
        from ledger.note import NoteError

        try:
            CosignatureVerifier.from_key(value)
        except NoteError as exc:
            raise ValueError(str(exc)) from None
        return value


class Settings(BaseSettings):
    """Runtime configuration. Construct through :func:`load_settings` to get named errors."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = ""
    migration_database_url: str = ""
    base_url: str = "http://localhost:8000"

    ledger_origin: str = "esp-portal.local/ledger"
    ledger_key_name: str = ""
    ledger_signing_key_file: Path | None = None
    ledger_batch_max: int = Field(default=256, ge=1, le=10_000)
    #: ESP_WITNESSES, JSON: [{"url": "<submission prefix>", "key": "<cosignature/v1 vkey>"}].
    witnesses: tuple[WitnessSetting, ...] = ()
    witness_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    #: Longest a request waits for the ledger's append lock (seconds), then answers 503.
    ledger_lock_timeout_seconds: float = Field(default=5.0, ge=0.1, le=600)

    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    invitation_hours: int = Field(default=72, ge=1, le=24 * 30)
    password_reset_minutes: int = Field(default=30, ge=5, le=24 * 60)
    password_reset_per_hour: int = Field(default=3, ge=1, le=100)
    lockout_threshold: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_rate_limit_per_minute: int = Field(default=30, ge=1, le=10_000)

    password_hash_time_cost: int = Field(default=3, ge=1, le=20)
    password_hash_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    password_hash_parallelism: int = Field(default=4, ge=1, le=64)
    #: Hashes one worker process runs at once, each on its own thread (the rest wait their turn).
    password_hash_workers: int = Field(default=2, ge=1, le=64)

    suppression_threshold: int = Field(default=5, ge=2, le=1000)
    monthly_minimum_hours: float = Field(default=16.0, ge=0, le=744)

    # Messages (docs/MESSAGES.md): which transport delivers the outbox, and how it retries.
    messages_transport: Literal["file", "smtp", "notify"] = "file"
    messages_sender: str = "ESP Portal <no-reply@esp-portal.local>"
    messages_in_process: bool = False
    messages_max_attempts: int = Field(default=8, ge=1, le=100)
    messages_retry_base_seconds: float = Field(default=30.0, gt=0, le=3600)
    messages_poll_seconds: float = Field(default=2.0, gt=0, le=600)
    messages_lease_seconds: int = Field(default=300, ge=5, le=24 * 3600)
    messages_concurrency: int = Field(default=8, ge=1, le=100)
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_ca_file: Path | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # Periodic jobs run by the messages worker (docs/MESSAGES.md, "Periodic jobs").
    jobs_interval_seconds: int = Field(default=3600, ge=10, le=7 * 24 * 3600)
    withdrawal_reminder_days: int = Field(default=7, ge=1, le=365)
    #: Days before an agreement ends on which the DPO and coordinators are told (JSON list).
    agreement_ending_notice_days: tuple[int, ...] = (30, 7)
    # Volume alerts (docs/VOLUME_ALERTS.md): a day far above the recipient's usual level.
    volume_alert_multiplier: float = Field(default=3.0, ge=1, le=1000)
    volume_alert_floor: int = Field(default=20, ge=1, le=1_000_000)
    volume_alert_window_days: int = Field(default=28, ge=7, le=366)
    #: Days a sent or failed message's wording is kept for the contact log (0: emptied as soon
    #: as the worker next purges). Secret links are emptied as soon as they are sent.
    messages_body_retention_days: int = Field(default=30, ge=0, le=3650)
    #: A retention dry run once a day by the periodic jobs, emailing the DPO what it found
    #: (docs/RETENTION.md). It never erases: only a DPO's approval does.
    retention_scheduled_run: bool = False
    # GOV.UK Notify (messages_transport=notify): an API key and one template per channel, each
    # with ((subject)) / ((body)) placeholders the portal's own wording fills.
    notify_api_key: str = ""
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    notify_email_template_id: str = ""
    notify_sms_template_id: str = ""
    notify_email_reply_to_id: str = ""
    notify_timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("agreement_ending_notice_days")
    @classmethod
    def _check_notice_days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(day < 0 or day > 366 for day in value):
            raise ValueError("must be a JSON list of days from 0 to 366, e.g. [30, 7]")
        return tuple(sorted(set(value), reverse=True))

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("ledger_origin")
    @classmethod
    def _check_origin(cls, value: str) -> str:
        if not value or any(ch.isspace() for ch in value) or "+" in value:
            raise ValueError("must be non-empty, without spaces or '+'")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            object.__setattr__(
                self, "database_url", f"sqlite:///{self.data_dir / 'esp-portal.sqlite3'}"
            )
        if not self.migration_database_url:
            object.__setattr__(self, "migration_database_url", self.database_url)
        if not self.ledger_key_name:
            object.__setattr__(self, "ledger_key_name", self.ledger_origin)
        if self.messages_transport == "notify":
            missing = [
                f"ESP_{name.upper()}"
                for name in ("notify_api_key", "notify_email_template_id", "notify_sms_template_id")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"ESP_MESSAGES_TRANSPORT=notify needs {', '.join(missing)}")
        return self

    @property
    def engine_kind(self) -> Literal["sqlite", "postgres"]:
        return "sqlite" if self.database_url.startswith("sqlite") else "postgres"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def outbox_files_dir(self) -> Path:
        return self.data_dir / "outbox-files"

    @property
    def signing_key_path(self) -> Path:
        return self.ledger_signing_key_file or self.data_dir / "ledger-signing.key"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (and explicit overrides, used by tests)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
