"""Limits and abuse: sizes, page size, filters, rate limits (memory, Redis), headers, CORS."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant
from tests.openapi_routes import is_error_dto

from rolodex.api.app import BASE_PATH, create_app
from rolodex.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


def _client(app: Any, base: str = "http://t") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)


async def test_sizes(api: httpx.AsyncClient) -> None:
    answer = await api.post("/clients", json={"name": "x" * 256})
    assert answer.status_code == 400 and answer.json()["details"][0]["field"] == "name"
    answer = await api.post("/clients", json={"name": "x", "tags": [f"t{i}" for i in range(51)]})
    assert answer.status_code == 400
    big = {"name": "x", "additionalInformation": "y" * (1024 * 1024)}
    answer = await api.post("/clients", json=big)
    assert answer.status_code == 413 and is_error_dto(answer.json(), 413)
    # A lying Content-Length is refused before the body is read.
    answer = await api.post(
        "/clients",
        content=b"{}",
        headers={"Content-Length": "999999999", "Content-Type": "application/json"},
    )
    assert answer.status_code == 413


async def test_page_size_and_filter_count(api: httpx.AsyncClient) -> None:
    assert (await api.get("/clients", params={"limit": "200"})).status_code == 200
    answer = await api.get("/clients", params={"limit": "201"})
    assert answer.status_code == 400 and answer.json()["details"][0]["field"] == "limit"
    thirty = [("status", "ACTIVE")] * 30
    assert (await api.get("/clients", params=thirty)).status_code == 200
    answer = await api.get("/clients", params=[*thirty, ("city", "x")])
    assert answer.status_code == 400 and "more than 30" in answer.json()["message"]


class TestRateLimit:
    async def test_headers_429_and_retry_after(
        self, settings: Settings, engine: AsyncEngine, tenant: Tenant
    ) -> None:
        limited = settings.model_copy(update={"rate_limit_enabled": True, "rate_limit": "2/day"})
        async with _client(create_app(limited, engine=engine)) as client:
            url = f"{BASE_PATH}/clients"
            first = await client.get(url, headers=tenant.headers("read"))
            assert first.headers["X-RateLimit-Limit"] == "2"
            assert first.headers["X-RateLimit-Remaining"] == "1"
            assert int(first.headers["X-RateLimit-Reset"]) >= 0
            await client.get(url, headers=tenant.headers("read"))
            over = await client.get(url, headers=tenant.headers("read"))
            assert over.status_code == 429 and is_error_dto(over.json(), 429)
            assert over.json()["error"] == "RATE_LIMITED"
            assert 1 <= int(over.headers["Retry-After"]) <= 24 * 3600
            assert over.headers["X-RateLimit-Remaining"] == "0"

    async def test_redis_bucket_is_shared_by_processes(
        self, settings: Settings, engine: AsyncEngine, tenant: Tenant
    ) -> None:
        if not await _redis_up():
            pytest.skip("no Redis on 127.0.0.1:6379")
        # A rate string unique to this run, so that an earlier run's counts cannot interfere;
        # a window of about a day, whose boundary a test is unlikely to cross (see
        # test_rate_limit.py).
        per = 24 * 3600 + secrets.randbelow(800)
        shared = settings.model_copy(
            update={
                "rate_limit_enabled": True,
                "rate_limit": f"3 per {per} seconds",
                "redis_url": REDIS_URL,
            }
        )
        one, two = create_app(shared, engine=engine), create_app(shared, engine=engine)
        url = f"{BASE_PATH}/clients"
        async with _client(one) as a, _client(two) as b:
            answers = [
                await a.get(url, headers=tenant.headers("read")),
                await b.get(url, headers=tenant.headers("read")),
                await a.get(url, headers=tenant.headers("read")),
                await b.get(url, headers=tenant.headers("read")),
            ]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert answers[1].headers["X-RateLimit-Remaining"] == "1"

    async def test_redis_down_fails_open(
        self, settings: Settings, engine: AsyncEngine, tenant: Tenant
    ) -> None:
        down = settings.model_copy(
            update={"rate_limit_enabled": True, "redis_url": "redis://127.0.0.1:1/0"}
        )
        async with _client(create_app(down, engine=engine)) as client:
            answer = await client.get(f"{BASE_PATH}/clients", headers=tenant.headers("read"))
        assert answer.status_code == 200 and "X-RateLimit-Limit" not in answer.headers


async def _redis_up() -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", 6379), 1)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def test_security_headers_on_every_kind_of_answer(
    raw_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    write = {**tenant.headers("write"), "Content-Type": "application/json"}
    answers = {
        "health": await raw_client.get("/healthz"),
        "list": await raw_client.get(f"{BASE_PATH}/clients", headers=tenant.headers("read")),
        "created": await raw_client.post(f"{BASE_PATH}/clients", json={"name": "x"}, headers=write),
        "400": await raw_client.post(f"{BASE_PATH}/clients", json={}, headers=write),
        "401": await raw_client.get(f"{BASE_PATH}/clients"),
        "403": await raw_client.post(
            f"{BASE_PATH}/clients", json={"name": "x"}, headers=tenant.headers("read")
        ),
        "404 record": await raw_client.get(
            f"{BASE_PATH}/clients/00000000-0000-4000-8000-000000000000",
            headers=tenant.headers("read"),
        ),
        "404 route": await raw_client.get("/nowhere"),
        "405": await raw_client.put(f"{BASE_PATH}/clients", headers=tenant.headers("write")),
        "413": await raw_client.post(
            f"{BASE_PATH}/clients", content=b"x" * (2 * 1024 * 1024), headers=write
        ),
        "415": await raw_client.post(
            f"{BASE_PATH}/clients",
            content=b"name=x",
            headers={
                **tenant.headers("write"),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        ),
        "depth": await raw_client.post(f"{BASE_PATH}/clients", content=b"[" * 100, headers=write),
        # The dialects: their lists and their own error answers.
        "summit": await raw_client.get("/api/clients", headers=tenant.headers("read")),
        "customers": await raw_client.get("/v1.0/customers", headers=tenant.headers("read")),
        "timewave": await raw_client.get("/v3/clients", headers=tenant.headers("read")),
        "timewave 422": await raw_client.post("/v3/clients", json={"www": "x"}, headers=write),
        "timewave guard": await raw_client.post("/v3/clients", content=b"[" * 100, headers=write),
        "recras": await raw_client.get("/api2/klanten", headers=tenant.headers("read")),
        "recras 406": await raw_client.post("/api2/klanten", json={}, headers=write),
    }
    for what, answer in answers.items():
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (what, name)
        assert answer.headers.get("X-Request-ID"), what
        if answer.status_code >= 400:
            assert is_error_dto(answer.json(), answer.status_code), what
    docs = await raw_client.get("/docs")
    assert docs.headers["X-Content-Type-Options"] == "nosniff"


class TestCors:
    @pytest.fixture
    async def cors_client(
        self, settings: Settings, engine: AsyncEngine
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(
            settings.model_copy(update={"cors_origins": ["https://app.example.com"]}),
            engine=engine,
        )
        async with _client(app) as client:
            yield client

    async def test_off_by_default(self, raw_client: httpx.AsyncClient) -> None:
        origin = {"Origin": "https://evil.example.com"}
        answer = await raw_client.get("/healthz", headers=origin)
        assert "access-control-allow-origin" not in answer.headers
        preflight = await raw_client.options(
            f"{BASE_PATH}/clients",
            headers={**origin, "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers

    async def test_on_for_configured_origins_only(self, cors_client: httpx.AsyncClient) -> None:
        good = {"Origin": "https://app.example.com"}
        answer = await cors_client.get("/healthz", headers=good)
        assert answer.headers["access-control-allow-origin"] == "https://app.example.com"
        preflight = await cors_client.options(
            f"{BASE_PATH}/clients",
            headers={
                **good,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization,if-match",
            },
        )
        assert preflight.status_code == 200
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        evil = await cors_client.get("/healthz", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in evil.headers
