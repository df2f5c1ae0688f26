"""The engine's companion pools: the read pool's turns, the counters' pool's commits."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from rolodex.core.db import CounterPool, ReadPool, counter_pool, create_engine, dispose
from rolodex.settings import Settings

pytestmark = pytest.mark.postgres_only


async def test_requests_get_a_connection_in_the_order_they_asked(settings: Settings) -> None:
    # One connection, so statements finish in the order they got it. Sixteen clients ask again
    # after a random pause, so new requests keep arriving while others wait, as on a busy
    # server. asyncpg's pool alone let a newcomer take a connection just freed for a waiter,
    # which then queued again at the back: the slowest answers under load.
    pool = ReadPool(settings.database_url, settings.model_copy(update={"db_read_pool_size": 1}))
    asked: list[int] = []
    answered: list[int] = []
    rng = random.Random(5)

    def record(_sql: str, args: tuple[Any, ...]) -> None:
        asked.append(args[0])

    async def client(number: int) -> None:
        for turn in range(20):
            await asyncio.sleep(rng.random() / 1000)
            request = number * 100 + turn
            await pool.fetchrow("SELECT $1::int", request)
            answered.append(request)

    await pool.fetchrow("SELECT 0")  # connected before the race
    pool.listeners.append(record)
    try:
        await asyncio.gather(*(client(number) for number in range(16)))
    finally:
        await pool.close()
    assert len(answered) == 320
    assert answered == asked


def _one_connection(settings: Settings) -> ReadPool:
    return ReadPool(settings.database_url, settings.model_copy(update={"db_read_pool_size": 1}))


async def test_a_statement_the_server_refused_keeps_its_connection(settings: Settings) -> None:
    pool = _one_connection(settings)
    try:
        before = await pool.fetchrow("SELECT pg_backend_pid()")
        with pytest.raises(asyncpg.DivisionByZeroError):
            await pool.fetchrow("SELECT 1 / $1::int", 0)
        after = await pool.fetchrow("SELECT pg_backend_pid()")
    finally:
        await pool.close()
    assert before is not None and after is not None and before[0] == after[0]


async def test_a_statement_cancelled_halfway_drops_its_connection(settings: Settings) -> None:
    # Its answer may still be on the way: the next statement must not read it as its own.
    pool = _one_connection(settings)
    try:
        before = await pool.fetchrow("SELECT pg_backend_pid()")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(pool.fetchrow("SELECT pg_sleep(5)"), 0.2)
        after = await pool.fetchrow("SELECT pg_backend_pid()")
    finally:
        await pool.close()
    assert before is not None and after is not None and before[0] != after[0]


async def test_a_connection_the_server_closed_is_replaced(settings: Settings) -> None:
    pool = _one_connection(settings)
    try:
        before = await pool.fetchrow("SELECT pg_backend_pid()")
        assert before is not None
        await pool.fetch("SELECT 1")  # idle again
        killer = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", before[0])
        finally:
            await killer.close()
        for _ in range(50):  # until the pool's connection has seen its end
            await asyncio.sleep(0.02)
            if pool._idle and pool._idle[0].is_closed():
                break
        after = await pool.fetchrow("SELECT pg_backend_pid()")
    finally:
        await pool.close()
    assert after is not None and after[0] != before[0]


async def test_close_closes_a_connection_in_use_when_its_statement_ends(
    settings: Settings,
) -> None:
    pool = _one_connection(settings)
    running = asyncio.create_task(pool.fetchrow("SELECT pg_backend_pid(), pg_sleep(0.3)"))
    await asyncio.sleep(0.1)
    await pool.close()
    row = await running  # the statement under way still answers
    assert row is not None and pool._idle == []
    probe = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    try:
        for _ in range(50):  # its backend ends once the connection is closed
            if not await probe.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", row[0]
            ):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the connection is still open")
    finally:
        await probe.close()
    reopened = await pool.fetchrow("SELECT 1")  # a closed pool connects again when used
    await pool.close()
    assert reopened is not None and reopened[0] == 1


async def test_counter_bumps_do_not_wait_for_the_wal_flush(engine: AsyncEngine) -> None:
    # core/db.py: a bump's row lock is held until its commit; a create that uses the number
    # commits later and flushes the bump's WAL with its own.
    pool = counter_pool(engine)
    assert isinstance(pool, CounterPool)
    row = await pool.fetchrow("SHOW synchronous_commit")
    assert row is not None and row[0] == "off"


def _over_unix_socket(url: str, directory: str) -> str:
    """`url` with its host and port as parameters naming PostgreSQL's Unix socket."""
    parsed = make_url(url)
    return URL.create(
        parsed.drivername,
        username=parsed.username,
        password=parsed.password,
        database=parsed.database,
        query={"host": directory, "port": str(parsed.port or 5432)},
    ).render_as_string(hide_password=False)


async def test_every_pool_connects_over_the_unix_socket(settings: Settings) -> None:
    # README, Configuration: PostgreSQL on the same host is best reached over its socket (the
    # benchmark does, as pgbench does). The engine, the counters' pool and the read pool all
    # take the socket from the URL's `host` parameter.
    probe = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    try:
        directories = await probe.fetchval("SHOW unix_socket_directories")
    finally:
        await probe.close()
    directory = next(
        (d.strip() for d in directories.split(",") if d.strip() and Path(d.strip()).is_dir()),
        None,
    )
    if directory is None:
        pytest.skip("this PostgreSQL has no Unix socket on this machine")
    url = _over_unix_socket(settings.database_url, directory)
    engine = create_engine(settings.model_copy(update={"database_url": url}))
    pool = ReadPool(url, settings)
    try:
        async with engine.connect() as conn:
            over_engine = await conn.scalar(text("SELECT inet_client_addr() IS NULL"))
        counters = counter_pool(engine)
        assert counters is not None
        side = await counters.fetchrow("SELECT inet_client_addr() IS NULL")
        row = await pool.fetchrow("SELECT inet_client_addr() IS NULL")
    finally:
        await pool.close()
        await dispose(engine)
    # inet_client_addr() is NULL for a connection over a Unix socket.
    assert over_engine is True and side is not None and side[0] is True
    assert row is not None and row[0] is True
