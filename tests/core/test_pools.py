"""The engine's companion pools: the read pool's turns, the side pool's commits."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rolodex.core.db import ReadPool, side_engine
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


async def test_counter_bumps_do_not_wait_for_the_wal_flush(engine: AsyncEngine) -> None:
    # core/db.py: a bump's row lock is held until its commit; a create that uses the number
    # commits later and flushes the bump's WAL with its own.
    side = side_engine(engine)
    assert side is not engine
    async with side.connect() as conn:
        assert (await conn.execute(text("SHOW synchronous_commit"))).scalar_one() == "off"
