"""API keys: hashed at rest, revocation takes effect at once (in the revoking process)."""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant, count_statements

from rolodex.api.app import BASE_PATH, create_app
from rolodex.core.clock import now
from rolodex.core.db import session_scope
from rolodex.core.keys import service as keys_service
from rolodex.core.keys.cache import PrincipalCache
from rolodex.core.keys.models import ApiKey
from rolodex.core.principal import Principal, Scope
from rolodex.settings import Settings


async def test_key_is_stored_hashed(sessions: object, tenant: Tenant) -> None:
    async with session_scope(sessions) as session:  # type: ignore[arg-type]
        stored = (await session.scalars(select(ApiKey.key_hash))).all()
    assert tenant.keys["write"] not in stored
    assert keys_service.hash_secret(tenant.keys["write"]) in stored


async def test_revoked_key_is_401(api: httpx.AsyncClient, sessions: object, tenant: Tenant) -> None:
    assert (await api.get("/clients")).status_code == 200
    async with session_scope(sessions) as session:  # type: ignore[arg-type]
        from uuid import UUID

        await keys_service.revoke(session, UUID(tenant.key_ids["write"]))
    r = await api.get("/clients")
    assert r.status_code == 401 and r.json()["error"] == "UNAUTHORIZED"


async def test_a_seen_key_costs_no_query(
    api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    assert (await api.get("/clients")).status_code == 200
    with count_statements(engine) as statements:
        assert (await api.get("/clients")).status_code == 200
    assert not [s for s in statements if "api_keys" in s]


async def test_a_revoke_elsewhere_bites_once_the_cache_expires(
    settings: Settings, engine: AsyncEngine, tenant: Tenant
) -> None:
    """Another process revoked the key (here: by SQL): admitted until the entry expires."""
    app = create_app(settings.model_copy(update={"key_cache_seconds": 0.3}), engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://test{BASE_PATH}", headers=tenant.headers("read")
    ) as client:
        assert (await client.get("/clients")).status_code == 200
        async with engine.begin() as conn:
            await conn.execute(update(ApiKey).values(revoked_at=now()))
        assert (await client.get("/clients")).status_code == 200
        await asyncio.sleep(0.35)
        assert (await client.get("/clients")).status_code == 401


async def test_no_cache_checks_every_request(
    settings: Settings, engine: AsyncEngine, tenant: Tenant
) -> None:
    app = create_app(settings.model_copy(update={"key_cache_seconds": 0}), engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://test{BASE_PATH}", headers=tenant.headers("read")
    ) as client:
        assert (await client.get("/clients")).status_code == 200
        async with engine.begin() as conn:
            await conn.execute(update(ApiKey).values(revoked_at=now()))
        assert (await client.get("/clients")).status_code == 401


def test_the_cache_is_bounded() -> None:
    cache = PrincipalCache(max_entries=100)
    principal = Principal(uuid4(), 1, Scope.READ)
    for index in range(1000):
        cache.put(f"digest-{index}", principal, 60)
    assert len(cache._entries) <= 100
    assert cache.get("digest-999") is principal
    cache.put("short", principal, 0.001)
    time.sleep(0.002)
    assert cache.get("short") is None
