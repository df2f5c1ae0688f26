"""Creates that are one statement, gathered per tenant while one of its statements is under way.

PostgreSQL. A plain `POST /clients` (see `service._create_in_one_statement`) writes its client,
contact persons, links and events in one autocommit statement. Most of what PostgreSQL spends
on such a statement is the statement's own (the protocol, the executor's setup, the commit),
not its rows: writing four creates in one statement cost 0.69 ms of PostgreSQL's CPU per
create, one alone 1.68 ms (issue #6's thirteenth pass, measured on the benchmark's database).

So a tenant has at most one such statement under way per process (core/turns.py). A create that
comes while none is runs its own at once, as before. One that comes while one is under way joins
the tenant's gathering: when the statement under way ends, one statement writes every create
gathered meanwhile (each table's rows together, the events in the order the creates came), and
each create's request goes on. Under load a tenant's creates share statements; a lone create
waits for nothing. The events' sequences follow that order and commit order, as a statement's
own events always did: the gathered statement takes the event counter once, after its rows, as
`events.repository.numbered_tail` does for one create.

A gathered statement writes all of its creates or none of them. When it fails (one create's
email already taken, a database error), each of its creates is written again alone, so that
each gets its own outcome: the others are written, the refused one answers its own 409 (or
503). Its numbers were reserved before, so a refused create leaves the gap it always left.
A create whose request is cancelled while it waits is still written with the others (as a
create under way when its client goes away), unless their statement fails. Tenants never share
a statement.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from rolodex.core import rows
from rolodex.core.events import repository as events_repository
from rolodex.core.turns import Turns

# A create: its rows per table (the client's group first), and its events as rows.
Create = tuple[Sequence[Sequence[Any]], list[dict[str, Any]]]


async def write(
    engine: AsyncEngine,
    organization_id: UUID,
    groups: Sequence[Sequence[Any]],
    events: list[dict[str, Any]],
) -> None:
    """Write the create, alone or with the tenant's others; raises what its statement raised
    (IntegrityError on a unique index)."""
    turns = _TURNS.get(engine.sync_engine)
    if turns is None:

        async def run(organization_id: UUID, creates: list[Create]) -> list[None]:
            await _write(engine, organization_id, creates)
            return [None] * len(creates)

        turns = _TURNS[engine.sync_engine] = Turns(run, alone=True)
    await turns.take(organization_id, (groups, events))


async def _write(engine: AsyncEngine, organization_id: UUID, creates: list[Create]) -> None:
    """One autocommit statement: every create's rows, table by table in the order the first
    create lists them, then all of their events, numbered in that order."""
    tables: dict[Any, list[Any]] = {}
    for groups, _ in creates:
        for group in groups:
            if group:
                tables.setdefault(type(group[0]), []).extend(group)
    events = [row for _, create_events in creates for row in create_events]
    statement, params = rows.together(
        list(tables.values()), events_repository.numbered_tail(organization_id, events)
    )
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(statement, params)


_TURNS: weakref.WeakKeyDictionary[Any, Turns[UUID, Create, None]] = weakref.WeakKeyDictionary()
