"""documents.Gathering: GET one client's reads gathered while the read pool is busy, on a real
PostgreSQL (SQLite has no read pool). Each read must answer exactly what it answers alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from tests.api.test_contacts import add_contact, make_client
from tests.conftest import Tenant

from rolodex.api.app import BASE_PATH
from rolodex.core.clients import documents
from rolodex.core.db import ReadPool
from rolodex.core.principal import Principal, Scope
from rolodex.settings import Settings

pytestmark = pytest.mark.postgres_only

# ONE_OF_MANY's parameters, and a division by zero: a gathered statement the server refuses.
FAILING = "SELECT $1::uuid, cardinality($2::uuid[]) / 0"


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[ReadPool]:
    """One connection: a read asked while another runs has to wait, so it is gathered."""
    pool = ReadPool(settings.database_url, settings.model_copy(update={"db_read_pool_size": 1}))
    await pool.fetchrow("SELECT 1")  # connected before the reads race
    yield pool
    await pool.close()


def _principal(tenant: Tenant) -> Principal:
    return Principal(organization_id=UUID(tenant.id), organization_number=1, scope=Scope.READ)


async def _clients(api: httpx.AsyncClient, prefix: str, count: int) -> list[str]:
    ids = []
    for n in range(count):
        made = await make_client(api, name=f"{prefix} {n}")
        await add_contact(api, made["id"], lastName=f"{prefix}{n}")
        ids.append(made["id"])
    return ids


def _statements(pool: ReadPool) -> list[tuple[str, tuple[Any, ...]]]:
    seen: list[tuple[str, tuple[Any, ...]]] = []
    pool.listeners.append(lambda sql, args: seen.append((sql, args)))
    return seen


async def test_gathered_reads_answer_what_each_answers_alone(
    pool: ReadPool, api: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, app: Any
) -> None:
    ours = await _clients(api, "Ours", 6)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://test{BASE_PATH}",
        headers=other_tenant.headers("write"),
    ) as other_api:
        theirs = await _clients(other_api, "Theirs", 3)
    us, them = _principal(tenant), _principal(other_tenant)
    alone = {cid: await documents.one(pool, us, UUID(cid)) for cid in ours}
    alone |= {cid: await documents.one(pool, them, UUID(cid)) for cid in theirs}
    assert all(found is not None for found in alone.values())

    # Each of ours asked three times, each of theirs by both tenants, and an id nobody has.
    reads = [(us, cid) for cid in ours * 3] + [(p, cid) for p in (us, them) for cid in theirs]
    reads.append((us, str(uuid4())))
    seen = _statements(pool)
    answers = await asyncio.gather(*(documents.one(pool, p, UUID(cid)) for p, cid in reads))

    for (principal, cid), answer in zip(reads, answers, strict=True):
        if principal is us and cid in theirs or cid not in alone:
            assert answer is None  # another tenant's client is nobody's to read
        else:
            assert answer == alone[cid]
    # Fewer statements than reads, and none of them mixes two tenants.
    gathered = [args for sql, args in seen if sql == documents.ONE_OF_MANY]
    assert gathered
    assert len(seen) < len(reads) / 3
    for organization_id, ids in gathered:
        assert len(ids) == len(set(ids))
        if organization_id == them.organization_id:
            assert {str(i) for i in ids} <= set(theirs)


async def test_a_cancelled_read_leaves_the_others_their_answers(
    pool: ReadPool, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    ids = await _clients(api, "Kept", 3)
    us = _principal(tenant)
    first = asyncio.create_task(documents.one(pool, us, UUID(ids[0])))
    await asyncio.sleep(0)  # it has the connection: the next reads are gathered
    waiting = [asyncio.create_task(documents.one(pool, us, UUID(cid))) for cid in ids]
    await asyncio.sleep(0)
    waiting[0].cancel()
    assert (await first) is not None
    with pytest.raises(asyncio.CancelledError):
        await waiting[0]
    for cid, read in zip(ids[1:], waiting[1:], strict=True):
        found = await read
        assert found is not None and cid.encode() in found.body


async def test_a_failed_statement_fails_each_read_it_carried(
    pool: ReadPool, api: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _clients(api, "Failed", 3)
    us = _principal(tenant)
    monkeypatch.setattr(documents, "ONE_OF_MANY", FAILING)
    first = asyncio.create_task(documents.one(pool, us, UUID(ids[0])))
    await asyncio.sleep(0)
    answers = await asyncio.gather(
        *(documents.one(pool, us, UUID(cid)) for cid in ids), return_exceptions=True
    )
    assert (await first) is not None  # asked alone
    assert all(isinstance(answer, asyncpg.DivisionByZeroError) for answer in answers)
    monkeypatch.undo()
    # The connection and the gathering carry on.
    again = await asyncio.gather(*(documents.one(pool, us, UUID(cid)) for cid in ids))
    assert all(found is not None for found in again)


async def test_concurrent_gets_each_answer_their_own_client(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    # Through the app: the fast lane, the engine's read pool (2 connections), 40 at once.
    ids = await _clients(api, "Many", 8)
    reads = ids * 5
    answers = await asyncio.gather(*(api.get(f"/clients/{cid}") for cid in reads))
    for cid, r in zip(reads, answers, strict=True):
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == cid
        assert body["contactPersons"][0]["lastName"] == body["name"].replace(" ", "")
        assert r.headers["ETag"] == f'"{body["version"]}"'


async def test_a_failed_statement_leaves_the_next_gathering_alone(
    pool: ReadPool, api: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reads that arrive while a failing gathered statement runs gather anew; the failure must
    # not take them (it fails only the reads it carried).
    ids = await _clients(api, "Next", 4)
    us = _principal(tenant)
    later: list[asyncio.Task[documents.Document | None]] = []

    def on_statement(sql: str, _args: tuple[Any, ...]) -> None:
        if sql == FAILING:  # its turn came: the next reads gather, with the real SQL
            monkeypatch.undo()
            later.extend(asyncio.create_task(documents.one(pool, us, UUID(c))) for c in ids[2:])

    monkeypatch.setattr(documents, "ONE_OF_MANY", FAILING)
    pool.listeners.append(on_statement)
    first = asyncio.create_task(documents.one(pool, us, UUID(ids[0])))
    await asyncio.sleep(0)  # it has the connection
    failing = await asyncio.gather(
        *(documents.one(pool, us, UUID(c)) for c in ids[:2]), return_exceptions=True
    )
    assert (await first) is not None
    assert all(isinstance(answer, asyncpg.DivisionByZeroError) for answer in failing)
    assert len(later) == 2
    for cid, read in zip(ids[2:], later, strict=True):
        found = await read
        assert found is not None and cid.encode() in found.body
