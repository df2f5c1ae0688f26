"""Health, readiness and the OpenAPI document."""

from __future__ import annotations

import httpx


async def test_health_and_ready(raw_client: httpx.AsyncClient) -> None:
    assert (await raw_client.get("/healthz")).json() == {"status": "ok"}
    r = await raw_client.get("/readyz")
    assert r.status_code == 200 and r.headers["X-Request-ID"]


async def test_openapi_describes_every_route(raw_client: httpx.AsyncClient) -> None:
    doc = (await raw_client.get("/openapi.json")).json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("description") or op.get("summary"), (method, path)
