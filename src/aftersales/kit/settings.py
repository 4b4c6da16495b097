"""Typed, fail-fast settings read from AFTERSALES_* environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration. Every field maps to an ``AFTERSALES_<NAME>`` variable."""

    model_config = SettingsConfigDict(env_prefix="AFTERSALES_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/aftersales.db",
        description="SQLAlchemy URL; sqlite:///path or postgresql+psycopg://user@host/db",
    )
    data_dir: Path = Field(default=Path("var"), description="Where the SQLite file, secrets and uploads live")
    secret_key: str | None = Field(default=None, description="Signs customer links; use secret_key_file in prod")
    secret_key_file: Path | None = None
    industry_pack: str = "dairy"
    timezone: str = "Asia/Shanghai"
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    attachment_types: list[str] = Field(
        default=["image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf", "text/plain"]
    )
    customer_link_max_age_days: int = Field(default=90, gt=0)
    token_ttl_hours: int = Field(default=24 * 30, gt=0)
    auto_assign: bool = True
    intake_writers: int = Field(
        default=0, ge=0, le=32, description="Intake writer threads per process (group commit); 0 = one"
    )
    gil_switch_interval_ms: float = Field(
        default=0.5,
        gt=0,
        le=100,
        description="How long a server thread may hold Python's GIL before another runs (Python's default: 5)",
    )
    sla_sweep_interval_seconds: int = Field(
        default=30,
        ge=0,
        description="How often the server records SLA warnings/breaches/escalations; 0 = never",
    )
    bench_endpoints: bool = Field(default=False, description="Expose the bare baseline endpoint for benchmarks")
    log_level: str = "INFO"
    # ---- resolution loop: events, webhooks, notifications, callbacks and surveys
    public_base_url: str = Field(default="http://127.0.0.1:8000", description="Prefix of links sent to customers")
    dispatcher_in_server: bool | None = Field(
        default=None, description="Run one outbox dispatcher inside the server; default: on SQLite only"
    )
    dispatch_interval_seconds: float = Field(default=0.5, ge=0, description="Idle poll interval; 0 = no dispatcher")
    dispatch_lease_seconds: float = Field(
        default=60, gt=0, description="A claimed delivery returns to the queue this long after a sender died"
    )
    webhook_concurrency: int = Field(default=8, ge=1, le=64, description="Parallel webhook POSTs per dispatcher")
    webhook_max_attempts: int = Field(default=8, ge=1, description="Deliveries are dead-lettered after this many")
    webhook_backoff_seconds: float = Field(default=10, gt=0, description="First retry delay; doubles per attempt")
    webhook_backoff_max_seconds: float = Field(default=6 * 3600, gt=0)
    webhook_timeout_seconds: float = Field(default=10, gt=0)
    smtp_host: str | None = Field(default=None, description="Customer e-mail goes out through this SMTP server")
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "service@aftersales.invalid"
    sms_gateway_url: str | None = Field(default=None, description="HTTP gateway for SMS/WeChat messages")
    sms_gateway_secret: str | None = None
    notification_locale: str = Field(default="zh", pattern="^(zh|en)$")
    survey_low_csat_threshold: float = Field(default=4.0, gt=1, le=5, description="Overall CSAT below this is low")
    survey_reopen_on_low_score: bool = True
    survey_link_max_age_days: int = Field(default=30, gt=0)
    service_policies: Path | None = Field(default=None, description="YAML of return/approval/entitlement policies")
    session_cookie_secure: bool = Field(
        default=False, description="Send the workspace session cookie over HTTPS only; set true behind TLS"
    )
    portal_rate_limit: str = Field(
        default="60/minute", description="Requests one client address may make to the customer portal"
    )
    portal_open_rate_limit: str = Field(
        default="5/minute;20/hour", description="Tickets one client address may open through the portal"
    )
    login_rate_limit: str = Field(default="10/minute", description="Workspace login attempts per address")
    assistant_rate_limit: str = Field(
        default="30/minute;300/hour",
        description="Public web-chat requests (new conversations, messages over REST or WebSocket) per address",
    )
    assistant_answer_threshold: float = Field(
        default=0.35,
        gt=0,
        lt=1,
        description="Confidence the assistant needs to answer instead of handing over: lower answers more questions "
        "and gives more wrong answers (README's sweep)",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("only sqlite:// and postgresql+psycopg:// URLs are supported")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from exc
        return value

    @field_validator("portal_rate_limit", "portal_open_rate_limit", "login_rate_limit", "assistant_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit: {value!r}; write e.g. 5/minute;20/hour") from exc
        return value

    @model_validator(mode="after")
    def _read_secret_file(self) -> Settings:
        if self.secret_key is None and self.secret_key_file is not None:
            self.secret_key = self.secret_key_file.read_text(encoding="utf-8").strip()
        if self.secret_key is not None and len(self.secret_key) < 16:
            raise ValueError("AFTERSALES_SECRET_KEY must be at least 16 characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The signing key; on a developer machine one is generated once and kept in data_dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key, encoding="utf-8")
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
