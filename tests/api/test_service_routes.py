"""Health, readiness and the OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from rolodex.api.app import create_app
from rolodex.settings import Settings


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


def test_fastapis_own_telemetry_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """With OpenTelemetry providers set up (as if), FastAPI's telemetry runs only with
    ROLODEX_OTEL_ENABLED: otherwise it would look for them on every request."""
    from fastapi.telemetry import _asgi

    monkeypatch.setattr(_asgi, "_unconfigured", lambda provider: False)
    for enabled in (False, True):
        settings = Settings(database_url="sqlite:///unused.db", otel_enabled=enabled)
        app = create_app(settings)
        assert app._native_telemetry.enabled() is enabled
