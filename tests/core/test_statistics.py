"""core/statistics.py: the planner's statistics kept current where autovacuum is off, on a real
database (PostgreSQL; SQLite keeps none, and `refresh` leaves it alone)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.ext.asyncio import AsyncSession as Session
from tests.conftest import Tenant
from tests.core.test_webhooks import Clock

from rolodex.core import statistics
from rolodex.core.webhooks.worker import Worker
from rolodex.settings import Settings

ANALYSED = text(
    "SELECT n_mod_since_analyze, last_analyze IS NOT NULL FROM pg_stat_user_tables "
    "WHERE relname = 'counters'"
)


async def _counters_written(engine: AsyncEngine, tenant: Tenant, rows: int) -> None:
    """`rows` new counters, their changes flushed to the statistics views at once (they are
    otherwise reported when the connection has been idle for a second)."""
    async with engine.connect() as conn:
        await conn.execute(
            text(
                "INSERT INTO counters (organization_id, kind, value) "
                "SELECT CAST(:org AS uuid), gen_random_uuid()::text, g "
                "FROM generate_series(1, :rows) AS g"
            ),
            {"org": tenant.id, "rows": rows},
        )
        await conn.commit()
        await conn.execute(text("SELECT pg_stat_force_next_flush()"))


async def test_sqlite_is_left_alone(sessions: async_sessionmaker[Session], backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's case; PostgreSQL's are the tests below")
    async with sessions() as session:
        assert await statistics.refresh(session, beside_autovacuum=True) == []


@pytest.mark.postgres_only
async def test_refresh_analyses_what_autovacuum_would(
    engine: AsyncEngine, sessions: async_sessionmaker[Session], tenant: Tenant
) -> None:
    async with sessions() as session:
        await statistics.refresh(session, beside_autovacuum=True)  # earlier tests' rows
    await _counters_written(engine, tenant, 20)  # under the threshold (50 by default)
    async with sessions() as session:
        assert "counters" not in await statistics.refresh(session, beside_autovacuum=True)
    await _counters_written(engine, tenant, 100)
    async with sessions() as session:
        assert "counters" in await statistics.refresh(session, beside_autovacuum=True)
    async with engine.connect() as conn:
        assert tuple((await conn.execute(ANALYSED)).one()) == (0, True)
    async with sessions() as session:
        assert "counters" not in await statistics.refresh(session, beside_autovacuum=True)


@pytest.mark.postgres_only
async def test_refresh_leaves_autovacuum_its_work(
    engine: AsyncEngine, sessions: async_sessionmaker[Session], tenant: Tenant
) -> None:
    """By default only where the server's autovacuum is off (as on this project's CI)."""
    await _counters_written(engine, tenant, 100)
    async with engine.connect() as conn:
        autovacuum = await conn.scalar(text("SHOW autovacuum"))
    async with sessions() as session:
        analysed = await statistics.refresh(session)
    assert ("counters" in analysed) == (autovacuum == "off")


@pytest.mark.postgres_only
async def test_one_process_at_a_time(
    engine: AsyncEngine, sessions: async_sessionmaker[Session], tenant: Tenant
) -> None:
    await _counters_written(engine, tenant, 100)
    lock = {"key": statistics.LOCK}
    async with engine.connect() as other:  # another backend, holding the lock
        await other.execute(text("SELECT pg_advisory_lock(:key)"), lock)
        async with sessions() as session:
            assert await statistics.refresh(session, beside_autovacuum=True) == []
        await other.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
    async with sessions() as session:
        assert "counters" in await statistics.refresh(session, beside_autovacuum=True)


@pytest.mark.postgres_only
async def test_the_worker_refreshes_every_so_often(
    engine: AsyncEngine,
    sessions: async_sessionmaker[Session],
    settings: Settings,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with engine.connect() as conn:
        if await conn.scalar(text("SHOW autovacuum")) == "on":
            pytest.skip("autovacuum is on here: the worker leaves the statistics to it")
    caplog.set_level(logging.INFO, logger="rolodex.webhooks")
    clock = Clock()
    async with Worker(sessions, settings, now=clock) as worker:
        await worker.maybe_refresh_statistics()
        await _counters_written(engine, tenant, 100)
        assert await worker.maybe_refresh_statistics() == []  # too soon
        clock.advance(statistics.STATS_EVERY + timedelta(seconds=1))
        off = settings.model_copy(update={"analyze_without_autovacuum": False})
        assert await Worker(sessions, off, now=clock).maybe_refresh_statistics() == []
        assert "counters" in await worker.maybe_refresh_statistics()
        await _counters_written(engine, tenant, 100)
        clock.advance(statistics.STATS_EVERY + timedelta(seconds=1))
        assert "counters" in await worker.maybe_refresh_statistics()
    # Said once per worker, not on every pass that analyses (every 10 s under steady writes).
    said = [r for r in caplog.records if "autovacuum is off" in r.getMessage()]
    assert len(said) == 1
