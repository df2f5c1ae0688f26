"""A per-key rate limit with X-RateLimit-* headers and 429 + Retry-After.

The tests' limits are per day: `limits`' sliding window weighs the previous window's hits by
the time left in it and rounds down, so just after a window's boundary one hit more than the
limit is admitted. With per-minute limits a test that ran across a minute's boundary saw a
third 200 where it expected a 429 (a flaky CI run); across midnight is far less likely.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant

from rolodex.api.app import BASE_PATH, create_app
from rolodex.settings import Settings


async def test_limit_per_key(settings: Settings, engine: AsyncEngine, tenant: Tenant) -> None:
    limited = settings.model_copy(update={"rate_limit_enabled": True, "rate_limit": "3/day"})
    app = create_app(limited, engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://t{BASE_PATH}") as client:
        answers = [await client.get("/clients", headers=tenant.headers("read")) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["X-RateLimit-Limit"] == "3"
        assert answers[2].headers["X-RateLimit-Remaining"] == "0"
        last = answers[3]
        assert last.json()["error"] == "RATE_LIMITED" and int(last.headers["Retry-After"]) >= 1
        # Another key has its own bucket.
        other = await client.get("/clients", headers=tenant.headers("write"))
        assert other.status_code == 200


DIALECT_LISTS = ["/api/clients", "/v1.0/customers", "/v3/clients", "/api2/klanten"]


@pytest.mark.parametrize("path", DIALECT_LISTS)
async def test_every_dialect_is_limited(
    settings: Settings, engine: AsyncEngine, tenant: Tenant, path: str
) -> None:
    """The limit is in the scope dependency every front uses: a dialect's reads count too."""
    limited = settings.model_copy(update={"rate_limit_enabled": True, "rate_limit": "2/day"})
    transport = httpx.ASGITransport(app=create_app(limited, engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = [await client.get(path, headers=tenant.headers("read")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429], answers[-1].text
    assert answers[0].headers["X-RateLimit-Remaining"] == "1"
    assert answers[2].json()["error"] == "RATE_LIMITED" and int(answers[2].headers["Retry-After"])
