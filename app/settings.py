"""Configuration: one validated settings object, read from the environment and an optional .env."""

from __future__ import annotations

import json
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.domain.webhooks import DEFAULT_RETRY_SCHEDULE, parse_schedule
from app.security import hashing_threads

MIN_SECRET_BYTES = 32
# A random key of 32+ bytes has far more distinct characters (hex has 16); "changeme"*4 has 6.
MIN_SECRET_DISTINCT_CHARACTERS = 12
MIN_METRICS_TOKEN_LENGTH = 16
SECRET_FILE_NAME = ".secret_key"  # noqa: S105 - a file name, not a secret
LOOPBACK_ORIGINS = r"http://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?"


class Settings(BaseSettings):
    """Every knob of the service; names match the environment variables of the contract."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    app_env: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./referrals.db"
    redis_url: str | None = None
    secret_key: str | None = Field(default=None, repr=False)
    data_dir: Path = Path()

    access_token_ttl: int = Field(default=900, gt=0)
    refresh_token_ttl: int = Field(default=2_592_000, gt=0)
    jwt_issuer: str = "referral-service"
    jwt_audience: str = "referral-service:access"
    auth_cookie_name: str = "fastapiusersauth"
    auth_cookie_secure: bool | None = None  # Secure by default in production

    # Seconds between checks that a subscription's token is not revoked (contract: within 60).
    subscription_check_interval: float = Field(default=30.0, gt=0, le=60)
    # Prefix of the Redis pub/sub channels: deployments sharing a Redis need different ones.
    redis_channel_prefix: str = "referrals"

    code_max_ttl_days: int = Field(default=365, gt=0)
    code_cache_ttl: int = Field(default=300, gt=0)
    cache_timeout: float = Field(default=0.25, gt=0)

    hunter_api_key: str | None = Field(default=None, repr=False)
    hunter_api_url: str = "https://api.hunter.io/v2"
    clearbit_api_key: str | None = Field(default=None, repr=False)
    clearbit_api_url: str = "https://person.clearbit.com"
    email_check_fail_open: bool = True
    email_check_budget: float = Field(default=4.0, gt=0)
    enrichment_enabled: bool = True

    rate_limits: Literal["on", "off"] = "on"
    graphiql: bool | None = None
    introspection: bool | None = None
    # Comma-separated (or a JSON list); never "*", since cookies authenticate too.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=65_536, gt=0)
    # The bearer token GET /metrics requires; unset, production answers 404 there.
    metrics_token: str | None = Field(default=None, repr=False)

    # Seconds before each webhook retry; FAILED after the last.
    webhook_retry_schedule: Annotated[tuple[float, ...], NoDecode] = DEFAULT_RETRY_SCHEDULE
    webhook_allow_private: bool = False
    webhook_timeout: float = Field(default=10.0, gt=0)
    webhook_disable_after: int = Field(default=5, gt=0)

    host: str = "127.0.0.1"
    port: int = 8000
    # The service's public origin (share links) and where share links land; None: derived.
    public_url_setting: str | None = Field(default=None, alias="public_url")
    landing_url_setting: str | None = Field(default=None, alias="landing_url")
    log_level: str = "INFO"
    log_format: Literal["json", "text"] | None = None  # json by default in production
    db_pool_size: int = Field(default=10, gt=0)
    db_timeout: float = Field(default=5.0, gt=0)
    # The number of worker processes sharing the machine (`serve` sets it, as gunicorn does).
    web_concurrency: int = 1

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        return value

    @field_validator("web_concurrency", mode="before")
    @classmethod
    def _worker_count(cls, value: Any) -> Any:
        """Platforms set WEB_CONCURRENCY for many servers; anything but a count means one."""
        text = str(value).strip()
        return int(text) if text.isdigit() and int(text) > 0 else 1

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: Any) -> Any:
        return parse_schedule(value) if isinstance(value, str) else value

    @field_validator("metrics_token")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        """METRICS_TOKEN= (empty) means no token, not an empty one."""
        if value is None:
            return None
        return value.strip() or None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        exact = [origin.rstrip("/") for origin in origins]
        for origin in exact:
            parts = urlsplit(origin)
            bare = not (parts.path or parts.query or parts.fragment or "*" in origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or not bare:
                raise ValueError(
                    f"CORS_ORIGINS lists origins like https://app.example.com, not {origin!r}"
                )
        return exact

    @model_validator(mode="after")
    def _production_guards(self) -> Settings:
        if self.is_production:
            if not self.secret_key:
                raise ValueError("SECRET_KEY is required when APP_ENV=production")
            if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes when APP_ENV=production"
                )
            if len(set(self.secret_key)) < MIN_SECRET_DISTINCT_CHARACTERS:
                raise ValueError(
                    "SECRET_KEY looks like a placeholder; use a random one, e.g. the output of "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
            if self.metrics_token and len(self.metrics_token) < MIN_METRICS_TOKEN_LENGTH:
                raise ValueError(
                    f"METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters "
                    "when APP_ENV=production"
                )
        return self

    @field_validator("public_url_setting", "landing_url_setting")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"expected an http(s) URL like https://example.com, not {value!r}")
        return value.strip()

    @cached_property
    def public_url(self) -> str:
        """PUBLIC_URL without a trailing slash; by default http://HOST:PORT."""
        if self.public_url_setting:
            return self.public_url_setting.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @cached_property
    def landing_url(self) -> str:
        """LANDING_URL, where share links send visitors; by default the root page."""
        return self.landing_url_setting or f"{self.public_url}/"

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def cookie_secure(self) -> bool:
        """Whether the auth cookie is `Secure`: AUTH_COOKIE_SECURE, else only in production."""
        return (
            self.auth_cookie_secure if self.auth_cookie_secure is not None else self.is_production
        )

    @property
    def rate_limits_enabled(self) -> bool:
        return self.rate_limits == "on"

    @property
    def cors_origin_pattern(self) -> str | None:
        """In development with no CORS_ORIGINS, any loopback origin, so that a front end's dev
        server works at once; never otherwise."""
        if self.app_env != "development" or self.cors_origins:
            return None
        return LOOPBACK_ORIGINS

    @property
    def hashing_threads(self) -> int:
        """Password-hashing threads for this worker: the cores shared among the workers."""
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2
        return hashing_threads(cores=cores, workers=self.web_concurrency)

    @property
    def webhook_lease(self) -> float:
        """Seconds a worker holds a claimed delivery: its attempt, and time to record it."""
        return self.webhook_timeout * 3

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" if self.log_format else self.is_production

    @property
    def secret_values(self) -> list[str]:
        """Every configured secret (the fields kept out of repr), for log redaction."""
        return [
            value
            for name, field in type(self).model_fields.items()
            if not field.repr and isinstance(value := getattr(self, name), str) and value
        ]

    @cached_property
    def signing_key(self) -> str:
        """The JWT key: SECRET_KEY, or in development one generated once and kept in DATA_DIR."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / SECRET_FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        key = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings once; raises a ValueError that names the bad variable."""
    return Settings(**overrides)  # type: ignore[arg-type]
