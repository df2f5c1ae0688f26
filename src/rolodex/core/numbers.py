"""Per-organization `number` sequences for every record kind.

On PostgreSQL the counter is bumped in its own short autocommit transaction, on a connection of
the engine's side pool (db.side_engine: never the request's own pool, which would deadlock when
every pooled connection is held by a request waiting for one more), so creates for one
organization never queue behind each other on a row lock held until the request commits (a
rolled-back create leaves a gap, as sequences do). On SQLite there is one writer at a time anyway,
and a second connection would wait for the request's own write lock, so the counter is bumped
inside the request's transaction. The unique (organization_id, number) index on every table is
the final guarantee.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import BigInteger, bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from rolodex.core.db import side_engine
from rolodex.core.orgs.models import Counter


async def next_numbers(
    session: AsyncSession, organization_id: UUID, kind: str, count: int = 1
) -> range:
    """Reserve `count` consecutive numbers of `kind` for the organization."""
    engine = session.bind
    if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
        async with side_engine(engine).connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            last = await _bump(conn, organization_id, kind, count)
    else:
        last = await _bump(await session.connection(), organization_id, kind, count)
    return range(last - count + 1, last + 1)


async def next_number(session: AsyncSession, organization_id: UUID, kind: str) -> int:
    """Reserve the next number of `kind` for the organization."""
    return (await next_numbers(session, organization_id, kind))[0]


# Built once: every create runs it, and building it costs more than the round trip it saves.
_BUMP = (
    update(Counter)
    .where(
        Counter.organization_id == bindparam("of_organization"),
        Counter.kind == bindparam("of_kind"),
    )
    .values(value=Counter.value + bindparam("by", type_=BigInteger()))
    .returning(Counter.value)
)


async def _bump(conn: AsyncConnection, organization_id: UUID, kind: str, count: int) -> int:
    params = {"of_organization": organization_id, "of_kind": kind, "by": count}
    value = (await conn.execute(_BUMP, params)).scalar_one_or_none()
    if value is None:
        # The first number of this kind: create the row; of two concurrent inserts one wins.
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        row = {"organization_id": organization_id, "kind": kind, "value": 0}
        await conn.execute(insert(Counter).values(row).on_conflict_do_nothing())
        value = (await conn.execute(_BUMP, params)).scalar_one()
    return int(value)
