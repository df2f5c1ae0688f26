"""PostgreSQL stops under load: 503s with the error DTO, never a 500, and back without a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from tests.conftest import Tenant
from tests.faults.pg_instance import PgInstance, unavailable
from tests.openapi_routes import is_error_dto
from tests.servers import Server, make_tenant_at

from rolodex.api.app import BASE_PATH
from rolodex.core import migrate

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(unavailable() is not None, reason=str(unavailable())),
]


@dataclass
class Load:
    """Requests fired in a loop by a few workers; every answer kept with the time it came."""

    server: Server
    tenant: Tenant
    answers: list[tuple[float, str, int, Any, dict[str, str]]] = field(default_factory=list)
    running: bool = True

    async def worker(self, index: int) -> None:
        async with httpx.AsyncClient(
            base_url=f"{self.server.url}{BASE_PATH}",
            headers=self.tenant.headers("write"),
            timeout=30,
        ) as client:
            count = 0
            while self.running:
                count += 1
                if count % 2:
                    answer = await client.post("/clients", json={"name": f"Load {index}-{count}"})
                else:
                    answer = await client.get("/clients", params={"limit": "5"})
                body = (
                    answer.json()
                    if answer.headers.get("content-type", "").startswith("application/json")
                    else answer.text
                )
                self.answers.append(
                    (
                        time.monotonic(),
                        answer.request.method,
                        answer.status_code,
                        body,
                        dict(answer.headers),
                    )  # fmt: skip
                )
                await asyncio.sleep(0.02)

    def since(self, moment: float) -> list[tuple[float, str, int, Any, dict[str, str]]]:
        return [a for a in self.answers if a[0] >= moment]


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[PgInstance, Server, Tenant]]:
    """One instance and one server for the module; each test leaves PostgreSQL running."""
    tmp_path = tmp_path_factory.mktemp("pg-down")
    pg = await asyncio.to_thread(PgInstance)
    server = None
    try:
        await asyncio.to_thread(pg.start)
        await asyncio.to_thread(migrate.upgrade, pg.url)
        tenant = await make_tenant_at(pg.url)
        server = Server(pg.url, tmp_path, ROLODEX_DB_POOL_SIZE="5")
        await server.wait_ready()
        yield pg, server, tenant
    finally:
        if server is not None:
            server.stop()
        await asyncio.to_thread(pg.destroy)


async def _until(load: Load, predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out; last answers: {[a[:3] for a in load.answers[-5:]]}")


async def test_database_outage_answers_503_then_recovers(
    stack: tuple[PgInstance, Server, Tenant],
) -> None:
    pg, server, tenant = stack
    load = Load(server, tenant)
    workers = [asyncio.create_task(load.worker(i)) for i in range(4)]
    try:
        await _until(load, lambda: sum(a[2] in (200, 201) for a in load.answers) >= 10, 30)
        stopped_at = time.monotonic()
        await asyncio.to_thread(pg.stop, "immediate")
        await _until(load, lambda: sum(a[2] == 503 for a in load.since(stopped_at)) >= 8, 60)
        down = load.since(stopped_at)
        await asyncio.to_thread(pg.start)
        restarted_at = time.monotonic()
        await _until(
            load,
            lambda: (
                {a[2] for a in load.since(restarted_at)} >= {200, 201}
                and {a[2] for a in load.answers[-8:]} <= {200, 201}
            ),
            60,
        )
    finally:
        load.running = False
        await asyncio.gather(*workers, return_exceptions=True)

    statuses = [a[2] for a in load.answers]
    assert 500 not in statuses, [a for a in load.answers if a[2] == 500][:2]
    assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
    unavailable_answers = [a for a in down if a[2] == 503]
    for *_, body, headers in unavailable_answers:
        assert is_error_dto(body, 503) and body["error"] == "SERVICE_UNAVAILABLE"
        assert headers.get("retry-after") == "1"
    assert server.process.poll() is None, "the server itself kept running"
    # Health stays up (the process is alive); readiness follows the database.
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get("/readyz")).status_code == 200
        assert "Traceback" not in (await client.get(f"{BASE_PATH}/clients")).text
    assert "Exception in ASGI application" not in server.log(), server.log()[-3000:]


async def test_readiness_follows_the_database(stack: tuple[PgInstance, Server, Tenant]) -> None:
    pg, server, _ = stack
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        assert (await client.get("/readyz")).status_code == 200
        await asyncio.to_thread(pg.stop, "immediate")
        down = await client.get("/readyz")
        assert down.status_code == 503 and is_error_dto(down.json(), 503)
        assert (await client.get("/healthz")).status_code == 200
        await asyncio.to_thread(pg.start)
        deadline = time.monotonic() + 30
        while (await client.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, "not ready again after the restart"
            await asyncio.sleep(0.2)
