"""`kill -9` of a server in the middle of nested creates leaves nothing half-written."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import Tenant, create_pg_database, drop_pg_database
from tests.servers import Server, make_tenant_at

from rolodex.api.app import BASE_PATH
from rolodex.core import migrate

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

IN_FLIGHT = 40


def nested_body(index: int) -> dict[str, Any]:
    """A create with everything a client can carry; contact persons and addresses where the
    branch supports them (on a branch without them they are ignored, and counted as 0 below)."""
    return {
        "name": f"Killed {index}",
        "email": f"killed{index}@example.com",
        "city": "Lund",
        "tags": [f"t{n}" for n in range(20)],
        "metadata": {f"k{n}": f"v{n}" for n in range(20)},
        "additionalInformation": "x" * 9000,
        "contactPersons": [
            {
                "firstName": f"First{n}",
                "lastName": f"Last{index}",
                "email": f"c{index}-{n}@example.com",
            }
            for n in range(10)
        ],
        "addresses": [{"street": f"Street {n}", "city": "Lund", "country": "SE"} for n in range(5)],
    }


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[tuple[str, Tenant]]:
    url = await create_pg_database("rolodex_kill")
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url, await make_tenant_at(url)
    finally:
        await drop_pg_database(url)


async def _fire(server: Server, tenant: Tenant) -> list[httpx.Response | BaseException]:
    async with httpx.AsyncClient(
        base_url=f"{server.url}{BASE_PATH}", headers=tenant.headers("write"), timeout=30
    ) as client:

        async def create(index: int) -> httpx.Response:
            return await client.post("/clients", json=nested_body(index))

        tasks = [asyncio.create_task(create(i)) for i in range(IN_FLIGHT)]
        # Kill once a few have been answered: the rest are at every stage of their transaction.
        while sum(task.done() for task in tasks) < 3:
            await asyncio.sleep(0.005)
        server.kill()
        return list(await asyncio.gather(*tasks, return_exceptions=True))


async def test_kill_9_mid_create_leaves_whole_records_only(
    database: tuple[str, Tenant], tmp_path: Path
) -> None:
    url, tenant = database
    first = Server(url, tmp_path)
    await first.wait_ready()
    async with httpx.AsyncClient(
        base_url=f"{first.url}{BASE_PATH}", headers=tenant.headers("write"), timeout=30
    ) as client:
        control = (await client.post("/clients", json=nested_body(-1))).json()
    contacts, addresses = len(control["contactPersons"]), len(control["addresses"])
    outcomes = await _fire(first, tenant)
    acknowledged = {
        o.json()["name"] for o in outcomes if isinstance(o, httpx.Response) and o.status_code == 201
    }
    assert all(isinstance(o, httpx.TransportError) or o.status_code == 201 for o in outcomes), (
        outcomes
    )
    assert len(acknowledged) < IN_FLIGHT, "the kill came too late to catch anything in flight"

    second = Server(url, tmp_path)
    try:
        await second.wait_ready()
        async with httpx.AsyncClient(
            base_url=f"{second.url}{BASE_PATH}", headers=tenant.headers("read"), timeout=30
        ) as client:
            listed = await client.get(
                "/clients",
                params={"q": "killed", "limit": "200", "include": "contactPersons,addresses"},
            )
    finally:
        second.stop()
    assert listed.status_code == 200, listed.text
    stored = {c["name"]: c for c in listed.json()["data"] if c["name"] != "Killed -1"}
    assert acknowledged <= stored.keys(), "an acknowledged create was lost"
    for name, client_row in stored.items():
        sent = nested_body(int(name.split()[1]))
        for key in ("email", "city", "tags", "metadata", "additionalInformation"):
            assert client_row[key] == sent[key], (name, key)
        assert len(client_row["contactPersons"]) == contacts, name
        assert len(client_row["addresses"]) == addresses, name
    numbers = [c["number"] for c in stored.values()]
    assert len(set(numbers)) == len(numbers)
