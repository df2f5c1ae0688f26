"""Recras fixtures: an HTTP client at the server root with the tenant's write key, and a way to
hand out the document's ids."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
from tests.conftest import Tenant

from rolodex.core import numbers
from rolodex.core.db import session_scope

NextNumber = Callable[[str, int], Awaitable[None]]


@pytest.fixture
async def recras(app: Any, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """Requests as a Recras integration sends them: `/api2/...`, Bearer write key."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=tenant.headers("write")
    ) as client:
        yield client


@pytest.fixture
def next_number(sessions: Any, tenant: Tenant) -> NextNumber:
    """`await next_number("client", 17)`: the tenant's next client gets number 17."""

    async def advance(kind: str, number: int) -> None:
        async with session_scope(sessions) as session:
            probe = await numbers.next_number(session, UUID(tenant.id), kind)
            if number - 1 > probe:
                await numbers.next_numbers(session, UUID(tenant.id), kind, number - 1 - probe)

    return advance
