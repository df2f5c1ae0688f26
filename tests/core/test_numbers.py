"""Per-organization numbers (core/numbers.py): several kinds reserved at once."""

from __future__ import annotations

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
