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

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, TextClause, bindparam, text, update
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
        async with _side(engine) as conn:
            last = await _bump(conn, organization_id, kind, count)
    else:
        last = await _bump(await session.connection(), organization_id, kind, count)
    return range(last - count + 1, last + 1)


async def reserve(
    session: AsyncSession, organization_id: UUID, counts: Mapping[str, int]
) -> dict[str, range]:
    """`next_numbers` for several kinds at once (a client and its new contact persons): on
    PostgreSQL one statement on the side pool, which locks the counters in kind order."""
    wanted = {kind: count for kind, count in counts.items() if count > 0}
    engine = session.bind
    if len(wanted) < 2 or not (
        isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql"
    ):
        return {
            kind: await next_numbers(session, organization_id, kind, n)
            for kind, n in wanted.items()
        }
    found = await _bump_on_side(engine, organization_id, wanted, _BUMP_MANY)
    return _ranges(wanted, found)


async def reserve_reading(
    session: AsyncSession, organization_id: UUID, counts: Mapping[str, int], rider: str
) -> tuple[dict[str, range], Any]:
    """`reserve`, and the value of `rider` read in the same round trip: on PostgreSQL a scalar
    query (it may use `:of_organization`) evaluated in the statement that bumps the counters;
    elsewhere None, for the caller to read what it needs itself.

    A create asks for its numbers before anything else; what it would otherwise read in a round
    trip of its own (the organization's custom-field definitions) rides along.
    """
    wanted = {kind: count for kind, count in counts.items() if count > 0}
    engine = session.bind
    if not (isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql"):
        return await reserve(session, organization_id, wanted), None
    found = await _bump_on_side(engine, organization_id, wanted, _bump_many_reading(rider))
    return _ranges(wanted, found), found[0][2]


async def _bump_on_side(
    engine: AsyncEngine, organization_id: UUID, wanted: Mapping[str, int], statement: TextClause
) -> list[Any]:
    """`statement` (_BUMP_MANY, or it with a rider) on the side pool: a row (kind, value, ...)
    per kind. The first number of some kind changes nothing: its counter is created, and the
    statement asked again."""
    kinds = sorted(wanted)
    params = {
        "of_organization": organization_id,
        "kinds": kinds,
        "counts": [wanted[k] for k in kinds],
    }
    async with _side(engine) as conn:
        found = list((await conn.execute(statement, params)).all())
        if len(found) < len(kinds):
            await _create_counters(conn, organization_id, kinds)
            found = list((await conn.execute(statement, params)).all())
    return found


def _ranges(wanted: Mapping[str, int], found: list[Any]) -> dict[str, range]:
    last = {row[0]: int(row[1]) for row in found}
    return {kind: range(last[kind] - n + 1, last[kind] + 1) for kind, n in wanted.items()}


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


# Every row is locked first, in kind order (the materialized CTE), so that two reservations of
# the same kinds never wait for each other crosswise; a kind without a row yet is left out, and
# then nothing is bumped (`reserve` creates the rows and asks again).
_BUMP_MANY = text(
    """
    WITH wanted AS MATERIALIZED (
        SELECT counters.kind, asked.count
        FROM counters
        JOIN unnest(CAST(:kinds AS varchar[]), CAST(:counts AS bigint[])) AS asked(kind, count)
            ON asked.kind = counters.kind
        WHERE counters.organization_id = :of_organization
        ORDER BY counters.kind
        FOR UPDATE OF counters
    )
    UPDATE counters SET value = counters.value + wanted.count
    FROM wanted
    WHERE counters.organization_id = :of_organization
        AND counters.kind = wanted.kind
        AND (SELECT count(*) FROM wanted) = cardinality(CAST(:kinds AS varchar[]))
    RETURNING counters.kind, counters.value
    """
)


@lru_cache(maxsize=8)
def _bump_many_reading(rider: str) -> TextClause:
    """_BUMP_MANY's statement, each row with the value of the scalar query `rider` as well."""
    return text(
        f"""
        WITH bumped AS ({_BUMP_MANY.text}),
        rider AS MATERIALIZED (SELECT ({rider}) AS value)
        SELECT bumped.kind, bumped.value, rider.value FROM bumped, rider
        """
    )


async def _bump(conn: AsyncConnection, organization_id: UUID, kind: str, count: int) -> int:
    params = {"of_organization": organization_id, "of_kind": kind, "by": count}
    value = (await conn.execute(_BUMP, params)).scalar_one_or_none()
    if value is None:  # the first number of this kind
        await _create_counters(conn, organization_id, [kind])
        value = (await conn.execute(_BUMP, params)).scalar_one()
    return int(value)


async def _create_counters(conn: AsyncConnection, organization_id: UUID, kinds: list[str]) -> None:
    """The counter rows of these kinds at 0, where missing; of two concurrent inserts one wins."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    rows = [{"organization_id": organization_id, "kind": kind, "value": 0} for kind in kinds]
    await conn.execute(insert(Counter).values(rows).on_conflict_do_nothing())


@asynccontextmanager
async def _side(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """An autocommit connection of the engine's side pool."""
    async with side_engine(engine).connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")
