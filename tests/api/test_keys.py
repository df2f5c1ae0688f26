"""API keys: hashed at rest, revocation takes effect at once."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from tests.conftest import Tenant

from rolodex.core.db import session_scope
from rolodex.core.keys import service as keys_service
from rolodex.core.keys.models import ApiKey


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
