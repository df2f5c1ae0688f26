"""Per-organization `number` sequences for every record kind.

On PostgreSQL the counter is bumped in its own short autocommit transaction, on a connection of
the counters' pool (db.CounterPool: never the request's own pool, which would deadlock when
every pooled connection is held by a request waiting for one more), so creates for one
organization never queue behind each other on a row lock held until the request commits (a
rolled-back create leaves a gap, as sequences do). On SQLite there is one writer at a time anyway,
and a second connection would wait for the request's own write lock, so the counter is bumped
inside the request's transaction. The unique (organization_id, number) index on every table is
the final guarantee.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, bindparam, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from rolodex.core.db import CounterPool, counter_pool, loads
from rolodex.core.orgs.models import Counter


async def next_numbers(
    session: AsyncSession, organization_id: UUID, kind: str, count: int = 1
) -> range:
    """Reserve `count` consecutive numbers of `kind` for the organization."""
    pool = _pool(session)
    if pool is not None:
        rows = await _bump_on_side(pool, organization_id, {kind: count}, _BUMP_MANY)
        return _ranges({kind: count}, rows)[kind]
    last = await _bump(await session.connection(), organization_id, kind, count)
    return range(last - count + 1, last + 1)


async def reserve(
    session: AsyncSession, organization_id: UUID, counts: Mapping[str, int]
) -> dict[str, range]:
    """`next_numbers` for several kinds at once (a client and its new contact persons): on
    PostgreSQL one statement on the counters' pool, which locks the counters in kind order."""
    wanted = {kind: count for kind, count in counts.items() if count > 0}
    pool = _pool(session)
    if pool is None:
        return {
            kind: await next_numbers(session, organization_id, kind, n)
            for kind, n in wanted.items()
        }
    return _ranges(wanted, await _bump_on_side(pool, organization_id, wanted, _BUMP_MANY))


async def reserve_reading(
    session: AsyncSession, organization_id: UUID, counts: Mapping[str, int], rider: str
) -> tuple[dict[str, range], Any]:
    """`reserve`, and the value of `rider` read in the same round trip: on PostgreSQL a scalar
    query answering JSON (it may use `:of_organization`) evaluated in the statement that bumps
    the counters, read as JSON; elsewhere None, for the caller to read what it needs itself.

    A create asks for its numbers before anything else; what it would otherwise read in a round
    trip of its own (the organization's custom-field definitions) rides along.
    """
    wanted = {kind: count for kind, count in counts.items() if count > 0}
    pool = _pool(session)
    if pool is None:
        return await reserve(session, organization_id, wanted), None
    rows = await _bump_on_side(pool, organization_id, wanted, _bump_many_reading(rider))
    return _ranges(wanted, rows), loads(rows[0][2])


def _pool(session: AsyncSession) -> CounterPool | None:
    """The counters' pool of the session's engine (PostgreSQL), or None (SQLite)."""
    engine = session.bind
    return counter_pool(engine) if isinstance(engine, AsyncEngine) else None


async def _bump_on_side(
    pool: CounterPool, organization_id: UUID, wanted: Mapping[str, int], statement: str
) -> list[Any]:
    """`statement` (_BUMP_MANY, or it with a rider) on the counters' pool: a row (kind, value,
    ...) per kind. The first number of some kind changes nothing: its counter is created, and
    the statement asked again."""
    kinds = sorted(wanted)
    counts = [wanted[k] for k in kinds]
    rows = await pool.fetch(statement, organization_id, kinds, counts)
    if len(rows) < len(kinds):
        await pool.fetch(_CREATE_COUNTERS, organization_id, kinds)
        rows = await pool.fetch(statement, organization_id, kinds, counts)
    return rows


def _ranges(wanted: Mapping[str, int], rows: list[Any]) -> dict[str, range]:
    last = {row[0]: int(row[1]) for row in rows}
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


# PostgreSQL, on the counters' pool: $1 the organization, $2 the kinds, $3 how many of each.
# Every row is locked first, in kind order (the materialized CTE), so that two reservations of
# the same kinds never wait for each other crosswise; a kind without a row yet is left out, and
# then nothing is bumped (`_bump_on_side` creates the rows and asks again).
_BUMP_MANY = """
    WITH wanted AS MATERIALIZED (
        SELECT counters.kind, asked.count
        FROM counters
        JOIN unnest($2::varchar[], $3::bigint[]) AS asked(kind, count)
            ON asked.kind = counters.kind
        WHERE counters.organization_id = $1
        ORDER BY counters.kind
        FOR UPDATE OF counters
    )
    UPDATE counters SET value = counters.value + wanted.count
    FROM wanted
    WHERE counters.organization_id = $1
        AND counters.kind = wanted.kind
        AND (SELECT count(*) FROM wanted) = cardinality($2::varchar[])
    RETURNING counters.kind, counters.value
    """

# The counter rows of these kinds ($2) at 0, where missing; of two concurrent inserts one wins.
_CREATE_COUNTERS = """
    INSERT INTO counters (organization_id, kind, value)
    SELECT $1, kind, 0 FROM unnest($2::varchar[]) AS kind
    ON CONFLICT DO NOTHING
    """


@lru_cache(maxsize=8)
def _bump_many_reading(rider: str) -> str:
    """_BUMP_MANY's statement, each row with the value of the scalar query `rider` as well
    (its `:of_organization` is the organization, $1)."""
    rider = rider.replace(":of_organization", "$1")
    return f"""
        WITH bumped AS ({_BUMP_MANY}),
        rider AS MATERIALIZED (SELECT ({rider}) AS value)
        SELECT bumped.kind, bumped.value, rider.value FROM bumped, rider
        """


async def _bump(conn: AsyncConnection, organization_id: UUID, kind: str, count: int) -> int:
    params = {"of_organization": organization_id, "of_kind": kind, "by": count}
    value = (await conn.execute(_BUMP, params)).scalar_one_or_none()
    if value is None:  # the first number of this kind
        await _create_counters(conn, organization_id, [kind])
        value = (await conn.execute(_BUMP, params)).scalar_one()
    return int(value)


async def _create_counters(conn: AsyncConnection, organization_id: UUID, kinds: list[str]) -> None:
    """SQLite: the counter rows of these kinds at 0, where missing."""
    rows = [{"organization_id": organization_id, "kind": kind, "value": 0} for kind in kinds]
    await conn.execute(sqlite_insert(Counter).values(rows).on_conflict_do_nothing())
