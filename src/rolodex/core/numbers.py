"""Per-organization `number` sequences for every record kind.

On PostgreSQL the counter is bumped in its own short autocommit transaction, on a connection
pool of its own, so creates for one organization never queue behind each other on a row lock held
until the request commits (a rolled-back create leaves a gap, as sequences do). On SQLite there
is one writer at a time anyway, and a second connection would wait for the request's own write
lock, so the counter is bumped inside the request's transaction. The unique
(organization_id, number) index on every table is the final guarantee.
"""

from __future__ import annotations

from uuid import UUID
from weakref import WeakKeyDictionary

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from rolodex.core.orgs.models import Counter

_COUNTER_ENGINES: WeakKeyDictionary[Engine, AsyncEngine] = WeakKeyDictionary()


async def next_numbers(
    session: AsyncSession, organization_id: UUID, kind: str, count: int = 1
) -> range:
    """Reserve `count` consecutive numbers of `kind` for the organization."""
    engine = session.bind
    if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
        async with _counter_engine(engine).connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            last = await _bump(conn, organization_id, kind, count)
    else:
        last = await _bump(await session.connection(), organization_id, kind, count)
    return range(last - count + 1, last + 1)


def _counter_engine(engine: AsyncEngine) -> AsyncEngine:
    """An engine on a pool of its own (same settings) for the counter bumps.

    The request asking for a number already holds a connection of the main pool; taking a second
    one from that same pool deadlocks as soon as every connection is held by such a request (30
    concurrent creates on a pool of 10 + 10). Counter connections are held for one statement.
    """
    found = _COUNTER_ENGINES.get(engine.sync_engine)
    if found is None:
        found = create_async_engine(engine.url, pool=engine.sync_engine.pool.recreate())
        _COUNTER_ENGINES[engine.sync_engine] = found
    return found


async def next_number(session: AsyncSession, organization_id: UUID, kind: str) -> int:
    """Reserve the next number of `kind` for the organization."""
    return (await next_numbers(session, organization_id, kind))[0]


async def _bump(conn: AsyncConnection, organization_id: UUID, kind: str, count: int) -> int:
    stmt = (
        update(Counter)
        .where(Counter.organization_id == organization_id, Counter.kind == kind)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    )
    value = (await conn.execute(stmt)).scalar_one_or_none()
    if value is None:
        # The first number of this kind: create the row; of two concurrent inserts one wins.
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        row = {"organization_id": organization_id, "kind": kind, "value": 0}
        await conn.execute(insert(Counter).values(row).on_conflict_do_nothing())
        value = (await conn.execute(stmt)).scalar_one()
    return int(value)
