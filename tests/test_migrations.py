"""Alembic owns the schema: upgrade from empty works, and models and migrations agree."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy.engine import Connection
from tests.conftest import backends, create_pg_database, drop_pg_database

from rolodex.core import migrate
from rolodex.core.db import create_engine, dispose
from rolodex.core.models import Base
from rolodex.settings import Settings


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diffs = compare_metadata(context, Base.metadata)
    # SQLite cannot reflect expression indexes or PostgreSQL-only ones; those are not drift.
    return [d for d in diffs if not _unreflectable(d, connection.dialect.name)]


POSTGRES_ONLY = {
    index.name
    for table in Base.metadata.tables.values()
    for index in table.indexes
    if getattr(index, "_ddl_if", None) is not None and index._ddl_if.dialect == "postgresql"
}


def _unreflectable(diff: object, dialect: str) -> bool:
    if isinstance(diff, tuple) and diff and diff[0] in ("add_index", "remove_index"):
        index = diff[1]
        if dialect == "sqlite":
            if any(not isinstance(e, Column) for e in index.expressions):
                return True
            return index.name in POSTGRES_ONLY
    return False


@pytest.mark.parametrize("backend_name", backends())
async def test_upgrade_from_empty_matches_models(backend_name: str, tmp_path: Path) -> None:
    if backend_name == "sqlite":
        url, cleanup = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", None
    else:
        url = await create_pg_database("rolodex_migrations")
        cleanup = url
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        engine = create_engine(Settings(database_url=url))
        async with engine.connect() as conn:
            diffs = await conn.run_sync(_diff)
        await dispose(engine)
        assert diffs == []
        # Running it again is a no-op.
        await asyncio.to_thread(migrate.upgrade, url)
    finally:
        if cleanup:
            await drop_pg_database(cleanup)
