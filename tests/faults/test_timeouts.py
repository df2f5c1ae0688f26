"""Statement and lock timeouts bound every query, and answer the 503 DTO when they fire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant
from tests.openapi_routes import is_error_dto

from rolodex.api.app import BASE_PATH, create_app
from rolodex.api.deps import DbSession
from rolodex.api.errors import is_database_down
from rolodex.core.db import dispose, read_pool
from rolodex.settings import Settings

pytestmark = pytest.mark.postgres_only


@pytest.fixture
async def impatient(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    """An app whose statements and lock waits give up after 100 ms, with a slow test route."""
    app = create_app(settings.model_copy(update={"statement_timeout_ms": 100}))

    async def slow(session: DbSession) -> dict[str, str]:
        await session.execute(text("SELECT pg_sleep(2)"))
        return {"slept": "yes"}

    app.add_api_route("/_slow", slow, methods=["GET"])
    yield app
    await dispose(app.state.engine)


async def test_the_engine_cancels_a_long_statement(impatient: Any) -> None:
    async with impatient.state.engine.connect() as conn:
        with pytest.raises(DBAPIError) as raised:
            await conn.execute(text("SELECT pg_sleep(2)"))
    assert "statement timeout" in str(raised.value)
    assert is_database_down(raised.value)


async def test_a_statement_timeout_is_a_503(impatient: Any) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=impatient), base_url="http://t"
    ) as client:
        answer = await client.get("/_slow")
    assert answer.status_code == 503 and is_error_dto(answer.json(), 503)
    assert answer.headers["Retry-After"] == "1"
    assert "pg_sleep" not in answer.text and "Traceback" not in answer.text


async def test_a_lock_wait_is_bounded_too(
    impatient: Any, api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    created = (await api.post("/clients", json={"name": "Locked"})).json()
    async with engine.connect() as holder:
        # Another transaction holds the row, as a slow writer would.
        await holder.execute(
            text("SELECT 1 FROM clients WHERE id = :id FOR UPDATE"), {"id": created["id"]}
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=impatient),
            base_url=f"http://t{BASE_PATH}",
            headers=tenant.headers("write"),
        ) as client:
            answer = await client.patch(f"/clients/{created['id']}", json={"city": "Malmo"})
        await holder.rollback()
    assert answer.status_code == 503 and is_error_dto(answer.json(), 503), answer.text
    after = await api.get(f"/clients/{created['id']}")
    assert after.json()["city"] is None and after.json()["version"] == 1


@pytest.mark.parametrize("path", ["/clients/{id}", "/clients"])
async def test_the_read_pools_driver_errors_are_a_503(
    settings: Settings, api: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    """The read pool's own driver errors (no SQLAlchemy around them: a server starting up, here)
    answer the 503 DTO, and are handled, not re-raised out of the app (which the server would
    log as a crash)."""
    created = (await api.post("/clients", json={"name": "Unreachable"})).json()
    app = create_app(settings)
    pool = read_pool(app.state.engine)
    assert pool is not None

    async def starting_up(*_: Any) -> Any:
        raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")

    pool.fetchrow = pool.fetch = starting_up  # type: ignore[method-assign]
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),  # raises what escapes the app
            base_url=f"http://t{BASE_PATH}",
            headers=tenant.headers("read"),
        ) as client:
            for _ in range(2):  # through the route, then through the fast lane
                answer = await client.get(path.format(id=created["id"]))
                assert answer.status_code == 503 and is_error_dto(answer.json(), 503)
                assert answer.headers["Retry-After"] == "1"
    finally:
        await dispose(app.state.engine)
