"""Creates that are one statement, gathered per tenant while one of its statements is under way.

PostgreSQL. A plain `POST /clients` (see `service._create_in_one_statement`) writes its client,
contact persons, links and events in one autocommit statement. Most of what PostgreSQL spends
on such a statement is the statement's own (the protocol, the executor's setup, the commit),
not its rows: writing four creates in one statement cost 0.69 ms of PostgreSQL's CPU per
create, one alone 1.68 ms (issue #6's thirteenth pass, measured on the benchmark's database).

So a tenant has at most one such statement under way per process. A create that comes while
none is runs its own at once, as before. One that comes while one is under way joins the
tenant's gathering: when the statement under way ends, one statement writes every create
gathered meanwhile (each table's rows together, the events in the order the creates came),
and each create's request goes on. Under load a tenant's creates share statements; a lone
create waits for nothing. The events' sequences follow that order and commit order, as a
statement's own events always did: the gathered statement takes the event counter once, after
its rows, as `events.repository.numbered_tail` does for one create.

A gathered statement writes all of its creates or none of them. When it fails (one create's
email already taken, a database error), each of its creates is written again alone, so that
each gets its own outcome: the others are written, the refused one answers its own 409 (or
503). Its numbers were reserved before, so a refused create leaves the gap it always left.
A create whose request is cancelled while it waits is still written with the others (as a
create under way when its client goes away), unless their statement fails. Tenants never share
a statement.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from rolodex.core import rows
from rolodex.core.events import repository as events_repository


@dataclass
class _Create:
    """A create waiting to be written: its rows per table, parents first, and its events."""

    groups: Sequence[Sequence[Any]]
    events: list[dict[str, Any]]
    written: asyncio.Future[None] = field(default_factory=lambda: _future())


def _future() -> asyncio.Future[None]:
    written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    # Its outcome counts as seen even when its request was cancelled meanwhile.
    written.add_done_callback(lambda done: done.cancelled() or done.exception())
    return written


class _Alone(Exception):
    """The gathered statement failed: write this create in a statement of its own."""


class Gathering:
    """Per tenant: the one statement under way (its turn), and the creates waiting for the next."""

    def __init__(self) -> None:
        self._turns: dict[UUID, asyncio.Lock] = {}
        self._waiting: dict[UUID, list[_Create]] = {}
        self._statements: set[asyncio.Task[None]] = set()  # referenced until they end

    async def write(
        self,
        engine: AsyncEngine,
        organization_id: UUID,
        groups: Sequence[Sequence[Any]],
        events: list[dict[str, Any]],
    ) -> None:
        """Write the create (the client's group first), alone or with others; raises what its
        statement raised (IntegrityError on a unique index)."""
        turn = self._turns.setdefault(organization_id, asyncio.Lock())
        waiting = self._waiting.get(organization_id)
        if waiting is None and not turn.locked():
            async with turn:
                await _write(engine, organization_id, [_Create(groups, events)])
            return
        if waiting is None:
            waiting = self._waiting[organization_id] = []
            statement = asyncio.create_task(self._write_at_turn(engine, organization_id, waiting))
            self._statements.add(statement)
            statement.add_done_callback(self._statements.discard)
        create = _Create(groups, events)
        waiting.append(create)
        try:
            # Shielded: a cancelled request must not cancel the statement others share.
            await asyncio.shield(create.written)
        except _Alone:
            await _write(engine, organization_id, [create])

    async def _write_at_turn(
        self, engine: AsyncEngine, organization_id: UUID, waiting: list[_Create]
    ) -> None:
        """The tenant's gathered creates (`waiting`), in one statement when its turn comes."""
        async with self._turns[organization_id]:
            if self._waiting.get(organization_id) is waiting:
                del self._waiting[organization_id]  # no more join: the next ones gather anew
            try:
                await _write(engine, organization_id, waiting)
            except Exception as exc:  # each create gets its outcome; the task ends quietly
                for create in waiting:
                    create.written.set_exception(_Alone() if len(waiting) > 1 else exc)
                return
            except BaseException:  # cancelled: the task ends so
                for create in waiting:
                    create.written.set_exception(RuntimeError("the statement was cancelled"))
                raise
        for create in waiting:
            create.written.set_result(None)


async def _write(engine: AsyncEngine, organization_id: UUID, creates: list[_Create]) -> None:
    """One autocommit statement: every create's rows, table by table in the order the first
    create lists them, then all of their events, numbered in that order."""
    tables: dict[Any, list[Any]] = {}
    for create in creates:
        for group in create.groups:
            if group:
                tables.setdefault(type(group[0]), []).extend(group)
    events = [row for create in creates for row in create.events]
    statement, params = rows.together(
        list(tables.values()), events_repository.numbered_tail(organization_id, events)
    )
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(statement, params)


_GATHERINGS: weakref.WeakKeyDictionary[Any, Gathering] = weakref.WeakKeyDictionary()


async def write(
    engine: AsyncEngine,
    organization_id: UUID,
    groups: Sequence[Sequence[Any]],
    events: list[dict[str, Any]],
) -> None:
    """`Gathering.write` with the engine's gathering."""
    gathering = _GATHERINGS.get(engine.sync_engine)
    if gathering is None:
        gathering = _GATHERINGS[engine.sync_engine] = Gathering()
    await gathering.write(engine, organization_id, groups, events)
