"""Idempotency-Key on every POST: replay, mismatch, expiry, tenants, failures, concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant
from tests.factories import client_body

from rolodex.api.app import BASE_PATH, create_app
from rolodex.core.clients.models import Client
from rolodex.core.clock import now
from rolodex.core.db import create_engine, session_factory
from rolodex.core.idempotency.models import IdempotencyKey
from rolodex.settings import Settings


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def count_clients(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(Client)) or 0)


async def make_api(
    settings: Settings, engine: AsyncEngine, tenant: Tenant, **overrides: Any
) -> httpx.AsyncClient:
    app = create_app(settings.model_copy(update=overrides), engine=engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(
        transport=transport, base_url=f"http://test{BASE_PATH}", headers=tenant.headers("write")
    )


class TestReplay:
    async def test_same_key_and_body_replays(
        self, api: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        body = client_body()
        first = await api.post("/clients", json=body, headers=key("k-1"))
        assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
        again = await api.post("/clients", json=body, headers=key("k-1"))
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["content-type"] == "application/json"
        assert await count_clients(engine) == 1

    async def test_key_order_of_the_json_does_not_matter(
        self, api: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        headers = {**key("k-order"), "Content-Type": "application/json"}
        one = b'{"name": "Acme", "city": "Oslo"}'
        two = b'{"city":"Oslo","name":"Acme"}'
        assert (await api.post("/clients", content=one, headers=headers)).status_code == 201
        again = await api.post("/clients", content=two, headers=headers)
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert await count_clients(engine) == 1

    async def test_different_body_or_route_is_409(
        self, api: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        made = await api.post("/clients", json=client_body(name="A"), headers=key("k-2"))
        r = await api.post("/clients", json=client_body(name="B"), headers=key("k-2"))
        assert r.status_code == 409 and r.json()["error"] == "CONFLICT"
        assert "different request" in r.json()["message"]
        r = await api.post(f"/clients/{made.json()['id']}/restore", headers=key("k-2"))
        assert r.status_code == 409
        r = await api.post("/clients?x=1", json=client_body(name="A"), headers=key("k-2"))
        assert r.status_code == 409
        assert await count_clients(engine) == 1
        # Integers beyond 64 bits that one float stands for are still different bodies.
        big = client_body(name="C", email=None, metadata={"n": 2**70})
        assert (await api.post("/clients", json=big, headers=key("k-3"))).status_code == 201
        big["metadata"] = {"n": 2**70 + 1}
        r = await api.post("/clients", json=big, headers=key("k-3"))
        assert r.status_code == 409 and "different request" in r.json()["message"]

    async def test_without_the_header_nothing_changes(
        self, api: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        body = client_body(email=None)
        assert (await api.post("/clients", json=body)).status_code == 201
        r = await api.post("/clients", json=body)
        assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
        assert await count_clients(engine) == 2

    async def test_client_errors_are_stored_too(self, api: httpx.AsyncClient) -> None:
        first = await api.post("/clients", json={"email": "x@example.com"}, headers=key("k-3"))
        assert first.status_code == 400
        again = await api.post("/clients", json={"email": "x@example.com"}, headers=key("k-3"))
        assert again.status_code == 400 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()

    async def test_bad_key_is_400(self, api: httpx.AsyncClient, engine: AsyncEngine) -> None:
        for bad in ("x" * 256, "", "caf\u00e9"):
            raw = bad.encode("utf-8")
            r = await api.post("/clients", json=client_body(), headers={"Idempotency-Key": raw})
            assert r.status_code == 400, bad
            assert r.json()["details"][0]["field"] == "Idempotency-Key"
        ok = await api.post("/clients", json=client_body(), headers=key("x" * 255))
        assert ok.status_code == 201
        assert await count_clients(engine) == 1

    async def test_no_api_key_is_answered_by_the_route(self, raw_client: httpx.AsyncClient) -> None:
        r = await raw_client.post(f"{BASE_PATH}/clients", json=client_body(), headers=key("k"))
        assert r.status_code == 401


class TestScope:
    async def test_keys_never_cross_organizations(
        self, api: httpx.AsyncClient, other_tenant: Tenant, engine: AsyncEngine
    ) -> None:
        body = client_body()
        mine = await api.post("/clients", json=body, headers=key("shared"))
        theirs = await api.post(
            "/clients", json=body, headers={**key("shared"), **other_tenant.headers("write")}
        )
        assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
        assert theirs.json()["id"] != mine.json()["id"]
        assert await count_clients(engine) == 2

    async def test_another_key_of_the_same_organization_replays(
        self, api: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        body = client_body()
        first = await api.post("/clients", json=body, headers=key("k-org"))
        again = await api.post(
            "/clients", json=body, headers={**key("k-org"), **tenant.headers("admin")}
        )
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]

    async def test_forbidden_is_not_stored(self, api: httpx.AsyncClient, tenant: Tenant) -> None:
        body = client_body()
        r = await api.post("/clients", json=body, headers={**key("k-s"), **tenant.headers("read")})
        assert r.status_code == 403
        r = await api.post("/clients", json=body, headers=key("k-s"))
        assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers

    async def test_any_post_route_is_covered(self, app: Any, tenant: Tenant) -> None:
        calls = []

        async def probe(payload: dict[str, Any]) -> dict[str, Any]:
            calls.append(payload)
            return {"calls": len(calls)}

        app.router.add_api_route("/dialect-probe", probe, methods=["POST"])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {**tenant.headers("write"), **key("probe")}
            first = await client.post("/dialect-probe", json={"a": 1}, headers=headers)
            again = await client.post("/dialect-probe", json={"a": 1}, headers=headers)
        assert first.json() == again.json() == {"calls": 1}
        assert again.headers["Idempotent-Replayed"] == "true" and len(calls) == 1


class TestLifetime:
    async def test_expired_key_is_new(
        self, api: httpx.AsyncClient, engine: AsyncEngine, sessions: Any
    ) -> None:
        await api.post("/clients", json=client_body(), headers=key("old"))
        async with sessions() as session:
            await session.execute(
                update(IdempotencyKey).values(expires_at=now() - timedelta(seconds=1))
            )
            await session.commit()
        r = await api.post("/clients", json=client_body(), headers=key("old"))
        assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
        assert await count_clients(engine) == 2
        async with sessions() as session:
            row = (await session.scalars(select(IdempotencyKey))).one()
        assert row.state == "done" and row.expires_at > now() + timedelta(hours=23)

    async def test_expired_keys_are_pruned(
        self, api: httpx.AsyncClient, sessions: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from rolodex.core.idempotency import service as idempotency_service

        await api.post("/clients", json=client_body(), headers=key("stale"))
        async with sessions() as session:
            await session.execute(
                update(IdempotencyKey).values(expires_at=now() - timedelta(seconds=1))
            )
            await session.commit()
        monkeypatch.setattr(idempotency_service, "PRUNE_ONE_IN", 1)
        await api.post("/clients", json=client_body(), headers=key("fresh"))
        async with sessions() as session:
            keys = (await session.scalars(select(IdempotencyKey.key))).all()
        assert keys == ["fresh"]

    async def test_server_error_is_not_stored(
        self,
        settings: Settings,
        engine: AsyncEngine,
        tenant: Tenant,
        monkeypatch: pytest.MonkeyPatch,
        sessions: Any,
    ) -> None:
        from rolodex.core.clients import service as clients_service

        real = clients_service.create_view
        failures = iter([True])

        async def flaky(*args: Any, **kwargs: Any) -> Any:
            if next(failures, False):
                raise RuntimeError("boom")
            return await real(*args, **kwargs)

        monkeypatch.setattr(clients_service, "create_view", flaky)
        async with await make_api(settings, engine, tenant) as api:
            body = client_body()
            r = await api.post("/clients", json=body, headers=key("k-500"))
            assert r.status_code == 500
            async with sessions() as session:
                assert (await session.scalars(select(IdempotencyKey))).all() == []
            r = await api.post("/clients", json=body, headers=key("k-500"))
            assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
        assert await count_clients(engine) == 1

    async def test_in_progress_is_409_then_taken_over_when_stale(
        self, settings: Settings, engine: AsyncEngine, tenant: Tenant, sessions: Any
    ) -> None:
        async with await make_api(settings, engine, tenant, idempotency_wait_seconds=0) as api:
            body = client_body(email=None)
            await api.post("/clients", json=body, headers=key("busy"))
            async with sessions() as session:
                await session.execute(
                    update(IdempotencyKey).values(state="in_progress", status=None)
                )
                await session.commit()
            r = await api.post("/clients", json=body, headers=key("busy"))
            assert r.status_code == 409 and "in progress" in r.json()["message"]
            assert r.headers["Retry-After"] == "1"
            # A claim whose process died is taken over after a while.
            async with sessions() as session:
                await session.execute(
                    update(IdempotencyKey).values(created_at=now() - timedelta(minutes=5))
                )
                await session.commit()
            r = await api.post("/clients", json=body, headers=key("busy"))
            assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
        assert await count_clients(engine) == 2


class TestConcurrency:
    async def test_concurrent_same_key_runs_once(
        self, settings: Settings, engine: AsyncEngine, tenant: Tenant
    ) -> None:
        # Two apps with their own engines and pools: as two processes or hosts would be.
        other_engine = create_engine(settings)
        apps = [
            await make_api(settings, engine, tenant),
            await make_api(settings, other_engine, tenant),
        ]
        body = client_body(email=None)  # nothing unique in it: only the key prevents doubles
        try:
            answers = await asyncio.gather(
                *(apps[i % 2].post("/clients", json=body, headers=key("race")) for i in range(6))
            )
        finally:
            for client in apps:
                await client.aclose()
            await other_engine.dispose()
        statuses = sorted(r.status_code for r in answers)
        assert await count_clients(engine) == 1
        fresh = [
            r for r in answers if r.status_code == 201 and "Idempotent-Replayed" not in r.headers
        ]
        assert len(fresh) == 1, statuses
        ids = {r.json()["id"] for r in answers if r.status_code == 201}
        assert len(ids) == 1
        assert all(r.status_code in (201, 409) for r in answers), statuses

    async def test_batch_replays(self, api: httpx.AsyncClient, engine: AsyncEngine) -> None:
        body = {"operations": [{"op": "create", "data": client_body()} for _ in range(3)]}
        first = await api.post("/clients/batch", json=body, headers=key("b-1"))
        again = await api.post("/clients/batch", json=body, headers=key("b-1"))
        assert first.status_code == 200 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert await count_clients(engine) == 3
