"""Configuration from the environment (prefix ROLODEX_); fails fast on bad values."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def async_database_url(url: str) -> str:
    """Give a plain postgresql:// or sqlite:/// URL its async driver."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class Settings(BaseSettings):
    """Every setting Rolodex reads; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="ROLODEX_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./rolodex.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: str = "info"
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_json_depth: int = Field(default=32, ge=2, le=1000)
    statement_timeout_ms: int = Field(default=15000, ge=100)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Two per worker: more statements at once than cores only make each wait for a core longer
    # (GET p99 at 32 connections, 2 workers on 2 cores: 23 to 34 ms with 5, 16 to 18 with 2).
    db_read_pool_size: int = Field(
        default=2, ge=1, le=200, description="PostgreSQL connections for the hottest reads"
    )
    key_cache_seconds: float = Field(
        default=5.0, ge=0, le=60, description="how long a process trusts a key it has seen"
    )
    document_cache_mb: float = Field(
        default=16, ge=0, le=4096, description="MiB of client documents kept per process"
    )
    search_cache_entries: int = Field(
        default=1024, ge=0, le=1_000_000, description="search pages kept per process (0: none)"
    )
    count_cache_seconds: float = Field(
        default=10.0, ge=0, le=300, description="how long a list total of 10,000+ rows is reused"
    )
    rate_limit: str = Field(default="6000/minute", description="per API key, `limits` syntax")
    rate_limit_enabled: bool = True
    redis_url: str | None = None
    cors_origins: list[str] = Field(default_factory=list)
    otel_enabled: bool = Field(
        default=False,
        description="FastAPI's own OpenTelemetry, to the providers OpenTelemetry is set up with",
    )
    webhook_deny_private: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    event_retention_days: int | None = Field(default=None, ge=1, description="None: forever")
    run_worker: bool = Field(default=True, description="deliver webhooks inside `serve`")
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    analyze_without_autovacuum: bool = Field(
        default=True,
        description="where PostgreSQL's autovacuum is off, the worker keeps the planner's "
        "statistics itself (core/statistics.py)",
    )
    idempotency_wait_seconds: float = Field(
        default=3.0, ge=0, le=60, description="how long a retry waits for its first request"
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
