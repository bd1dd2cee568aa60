"""Settings: one class, environment prefix ``CWSYNC_``, secrets as ``SecretStr``."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./cwsync.db"
# Development-only defaults: `check_production()` refuses to run with them in production.
DEV_ADMIN_TOKEN = "dev-admin-token"  # noqa: S105 - a documented development default
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzJieXRlcyE="


class InsecureSettingsError(RuntimeError):
    """Production was asked to start with a development secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CWSYNC_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    admin_token: SecretStr = SecretStr(DEV_ADMIN_TOKEN)
    # Comma-separated Fernet keys, newest first (MultiFernet rotation).
    encryption_keys: SecretStr = SecretStr(DEV_ENCRYPTION_KEY)

    cw_allowed_hosts: str = "*.myconnectwise.net,*.connectwisedev.com"
    cw_scheme: Literal["https", "http"] = "https"
    cw_allow_private: bool = False
    cw_concurrency: int = Field(default=4, ge=1, le=64)
    cw_rate_per_minute: int = Field(default=600, ge=1)
    cw_global_concurrency: int = Field(default=200, ge=1)
    cw_timeout_seconds: float = Field(default=30.0, gt=0)
    cw_lookup_timeout_seconds: float = Field(default=10.0, gt=0)
    # Retries of the nightly sync's calls (look-ups get one). 8 attempts ride out a bad night
    # (15 % of requests failing) for 10,000 clients; the total wait stays capped at 120 s.
    cw_max_attempts: int = Field(default=8, ge=1, le=20)
    cw_retry_base_seconds: float = Field(default=0.5, gt=0, le=30)

    scheduler_tick_seconds: int = Field(default=60, ge=1)
    scheduler_timezone: str = "UTC"
    scheduler_misfire_grace_seconds: int = Field(default=30, ge=1)
    lease_seconds: int = Field(default=60, ge=5)
    worker_poll_seconds: float = Field(default=2.0, gt=0)
    max_concurrent_runs: int = Field(default=50, ge=1)
    batch_size: int = Field(default=200, ge=1)
    # Prometheus exposition of the scheduler process (0: off; the API serves /metrics).
    scheduler_metrics_port: int = Field(default=0, ge=0, le=65535)
    scheduler_metrics_host: str = "127.0.0.1"
    # On SIGTERM, in-flight runs get this long to finish before they are released.
    scheduler_shutdown_grace_seconds: float = Field(default=10.0, ge=0)

    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def allowed_host_patterns(self) -> list[str]:
        return [p.strip().lower() for p in self.cw_allowed_hosts.split(",") if p.strip()]

    @property
    def fernet_keys(self) -> list[str]:
        raw = self.encryption_keys.get_secret_value()
        return [k.strip() for k in raw.split(",") if k.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_production(self) -> None:
        """Refuse to start in production with a default secret; name the variable."""
        if self.env != "production":
            return
        missing = []
        if self.admin_token.get_secret_value() == DEV_ADMIN_TOKEN:
            missing.append("CWSYNC_ADMIN_TOKEN")
        if DEV_ENCRYPTION_KEY in self.fernet_keys:
            missing.append("CWSYNC_ENCRYPTION_KEYS")
        if missing:
            raise InsecureSettingsError(
                "refusing to start in production with development defaults; set "
                + ", ".join(missing)
            )
        if self.cw_scheme != "https":
            raise InsecureSettingsError("CWSYNC_CW_SCHEME must be https in production")


@lru_cache
def get_settings() -> Settings:
    return Settings()
