"""Customers & orders v1.0 fixtures: an HTTP client at the server root, with a write key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.conftest import Tenant


@pytest.fixture
async def customers(app: Any, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """Requests as an integration of the document sends them: `/v1.0/customers`, Bearer key."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=tenant.headers("write")
    ) as client:
        yield client
