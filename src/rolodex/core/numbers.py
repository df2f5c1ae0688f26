"""Per-organization `number` sequences for every record kind.

On PostgreSQL the counter is bumped in its own short autocommit transaction, on a connection of
the counters' pool (db.CounterPool: never the request's own pool, which would deadlock when
every pooled connection is held by a request waiting for one more), so creates for one
organization never queue behind each other on a row lock held until the request commits (a
rolled-back create leaves a gap, as sequences do). On SQLite there is one writer at a time anyway,
and a second connection would wait for the request's own write lock, so the counter is bumped
inside the request's transaction. The unique (organization_id, number) index on every table is
the final guarantee. Under load a tenant's reservations share bumps (`_reserve`).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from rolodex.core.db import CounterPool, counter_pool, loads
from rolodex.core.orgs.models import Counter
from rolodex.core.turns import Turns


async def next_numbers(
    session: AsyncSession, organization_id: UUID, kind: str, count: int = 1
) -> range:
    """Reserve `count` consecutive numbers of `kind` for the organization."""
    pool = _pool(session)
    if pool is not None:
        return (await _reserve(pool, organization_id, {kind: count}, _BUMP_MANY))[0][kind]
    last = await _bump(await session.connection(), organization_id, kind, count)
    return range(last - count + 1, last + 1)


async def reserve(
    session: AsyncSession, organization_id: UUID, counts: Mapping[str, int]
) -> dict[str, range]:
    """`next_numbers` for several kinds at once (a client and its new contact persons): on
    PostgreSQL one statement on the counters' pool, which locks the counters in kind order."""
    wanted = {kind: count for kind, count in counts.items() if count > 0}
    pool = _pool(session)
    if pool is None or not wanted:
        return {
            kind: await next_numbers(session, organization_id, kind, n)
            for kind, n in wanted.items()
        }
    return (await _reserve(pool, organization_id, wanted, _BUMP_MANY))[0]


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
    reserved, value = await _reserve(pool, organization_id, wanted, _bump_many_reading(rider))
    return reserved, loads(value)


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


# Reservations asked with the same statement for the same tenant while one is under way.
Asked = tuple[UUID, str]
Reserved = tuple[dict[str, range], Any]
_TURNS: weakref.WeakKeyDictionary[CounterPool, Turns[Asked, Mapping[str, int], Reserved]] = (
    weakref.WeakKeyDictionary()
)


async def _reserve(
    pool: CounterPool, organization_id: UUID, wanted: Mapping[str, int], statement: str
) -> Reserved:
    """The numbers `wanted` per kind, and the statement's third column (a rider's value) or
    None. A tenant's reservations that come while one of its statements is under way are
    gathered into the next (core/turns.py): one bump for all of them, each its own
    consecutive numbers in the order they came. Under load, creates then share this round
    trip as they share their writes (core/clients/creates.py)."""
    turns = _TURNS.get(pool)
    if turns is None:

        async def run(asked: Asked, reservations: list[Mapping[str, int]]) -> list[Reserved]:
            return await _bump_together(pool, asked, reservations)

        turns = _TURNS[pool] = Turns(run, alone=False)
    return await turns.take((organization_id, statement), wanted)


async def _bump_together(
    pool: CounterPool, asked: Asked, reservations: list[Mapping[str, int]]
) -> list[Reserved]:
    """One bump by the reservations' sum, its numbers handed out to each in turn."""
    organization_id, statement = asked
    total: dict[str, int] = {}
    for wanted in reservations:
        for kind, count in wanted.items():
            total[kind] = total.get(kind, 0) + count
    rows = await _bump_on_side(pool, organization_id, total, statement)
    value = rows[0][2] if len(rows[0]) > 2 else None
    following = {row[0]: int(row[1]) - total[row[0]] + 1 for row in rows}
    answers: list[Reserved] = []
    for wanted in reservations:
        ranges = {}
        for kind, count in wanted.items():
            ranges[kind] = range(following[kind], following[kind] + count)
            following[kind] += count
        answers.append((ranges, value))
    return answers


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
    """The counter rows of these kinds at 0, where missing, in the session's own transaction
    (SQLite; or an engine made without a counters' pool)."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    rows = [{"organization_id": organization_id, "kind": kind, "value": 0} for kind in kinds]
    await conn.execute(insert(Counter).values(rows).on_conflict_do_nothing())
