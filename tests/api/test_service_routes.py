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


async def test_metrics_count_by_route_template(raw_client: httpx.AsyncClient) -> None:
    await raw_client.get("/healthz")
    text = (await raw_client.get("/metrics")).text
    assert 'rolodex_requests_total{method="GET",route="/healthz",status="200"}' in text


async def test_security_headers(raw_client: httpx.AsyncClient) -> None:
    r = await raw_client.get("/healthz")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "access-control-allow-origin" not in r.headers
