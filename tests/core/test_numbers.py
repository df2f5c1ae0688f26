"""Per-organization numbers (core/numbers.py): several kinds reserved at once."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from tests.conftest import Tenant

from rolodex.core import numbers
from rolodex.core.db import counter_pool, session_scope


async def _reserve(sessions: Any, tenant: Tenant, counts: dict[str, int]) -> dict[str, range]:
    async with session_scope(sessions) as session:
        return await numbers.reserve(session, UUID(tenant.id), counts)


async def test_kinds_reserved_together_continue_each_their_own_sequence(
    sessions: Any, tenant: Tenant
) -> None:
    # Neither kind has a counter yet: both start at 1.
    first = await _reserve(sessions, tenant, {"alpha": 1, "beta": 3})
    assert first == {"alpha": range(1, 2), "beta": range(1, 4)}
    assert await _reserve(sessions, tenant, {"alpha": 2, "beta": 1}) == {
        "alpha": range(2, 4),
        "beta": range(4, 5),
    }
    # One kind with a counter, one without; a kind asked for none is left out.
    assert await _reserve(sessions, tenant, {"gamma": 2, "alpha": 1, "delta": 0}) == {
        "gamma": range(1, 3),
        "alpha": range(4, 5),
    }
    async with session_scope(sessions) as session:
        assert await numbers.next_numbers(session, UUID(tenant.id), "beta", 2) == range(5, 7)
    assert await _reserve(sessions, tenant, {"alpha": 0}) == {}  # nothing asked: no statement


async def test_kinds_reserved_together_take_one_statement_on_postgresql(
    sessions: Any, tenant: Tenant, backend: str
) -> None:
    await _reserve(sessions, tenant, {"alpha": 1, "beta": 1})  # the counters exist from here
    seen: list[str] = []
    async with session_scope(sessions) as session:
        pool = counter_pool(session.bind)  # type: ignore[arg-type]
        assert (pool is None) == (backend == "sqlite")
        if pool is not None:
            pool.listeners.append(lambda sql, _args: seen.append(sql))
        try:
            reserved = await numbers.reserve(session, UUID(tenant.id), {"alpha": 1, "beta": 2})
        finally:
            if pool is not None:
                pool.listeners.clear()
    assert reserved == {"alpha": range(2, 3), "beta": range(2, 4)}
    if backend == "postgresql":
        assert len(seen) == 1 and "FOR UPDATE" in seen[0], seen


async def test_concurrent_reservations_share_statements_and_never_overlap(
    sessions: Any, tenant: Tenant, backend: str
) -> None:
    # PostgreSQL gathers a tenant's reservations made while one is under way (core/turns.py):
    # each still gets its own consecutive numbers, and no number is handed out twice.
    await _reserve(sessions, tenant, {"alpha": 1, "beta": 1})  # the counters exist from here
    asks = [{"alpha": 1 + n % 3, "beta": n % 2} for n in range(30)]
    organization_id = UUID(tenant.id)
    seen: list[str] = []
    async with session_scope(sessions) as session:
        pool = counter_pool(session.bind)  # type: ignore[arg-type]
        if pool is None:  # SQLite: a session's statements run one at a time
            got = [await numbers.reserve(session, organization_id, ask) for ask in asks]
        else:
            pool.listeners.append(lambda sql, _args: seen.append(sql))
            try:
                got = await asyncio.gather(
                    *(numbers.reserve(session, organization_id, ask) for ask in asks)
                )
            finally:
                pool.listeners.clear()
    for kind in ("alpha", "beta"):
        handed = sorted(n for reserved in got for n in reserved.get(kind, range(0)))
        wanted = sum(ask[kind] for ask in asks)
        assert handed == list(range(2, 2 + wanted)), kind  # consecutive, none twice
    for ask, reserved in zip(asks, got, strict=True):
        assert {k: len(r) for k, r in reserved.items()} == {k: n for k, n in ask.items() if n}
    if backend == "postgresql":
        assert 1 <= len(seen) < len(asks), "reservations shared statements"
