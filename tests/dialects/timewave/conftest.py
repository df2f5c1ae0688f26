"""TimeWave fixtures: an HTTP client at the server root with the tenant's write key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.conftest import Tenant


@pytest.fixture
async def timewave(app: Any, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """Requests as a TimeWave integration sends them: `/v3/clients`, Bearer write key."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=tenant.headers("write")
    ) as client:
        yield client
