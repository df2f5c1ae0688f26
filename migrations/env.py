"""Alembic environment: async engine, SQLite batch mode, the project's metadata."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from rolodex.core.db import create_engine
from rolodex.core.models import Base
from rolodex.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


# A migration may rewrite a large table (0012 backfills every client): the server's 15 s
# statement timeout is for requests, not for this. Locks still time out after a minute.
MIGRATION_TIMEOUT_MS = 6 * 3600 * 1000
MIGRATION_LOCK_TIMEOUT = "60s"


def _settings() -> Settings:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    settings = Settings(database_url=url) if url else Settings()
    return settings.model_copy(update={"statement_timeout_ms": MIGRATION_TIMEOUT_MS})


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # PostgreSQL-only indexes (pg_trgm) do not exist on SQLite; don't report them missing there.
    if type_ == "index" and compare_to is None and not reflected:
        dialect = context.get_context().dialect.name
        ddl_if = getattr(obj, "_ddl_if", None)
        if ddl_if is not None and ddl_if.dialect and dialect not in (ddl_if.dialect,):
            return False
    return True


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def _foreign_keys_off(engine: AsyncEngine) -> None:
    """Batch mode copies a table and drops the old one; with foreign keys on, SQLite's DROP TABLE
    deletes every row first and fires ON DELETE CASCADE (altering `clients` would empty `orders`).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _off(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")  # after the engine's own `foreign_keys=ON`
        cursor.close()


async def _run_async() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        await connection.run_sync(_run)
        return
    engine = create_engine(_settings())
    if engine.dialect.name == "sqlite":
        _foreign_keys_off(engine)
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.exec_driver_sql(f"SET lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'")
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_settings().database_url, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(_run_async())
