"""Webhook endpoints over HTTP: admin scope, validation, secrets shown once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant

from rolodex.api.app import BASE_PATH, create_app
from rolodex.settings import Settings

HOOK = {"url": "https://erp.example.com/hook", "description": "ERP"}


@pytest.fixture
async def admin(api: httpx.AsyncClient, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    api.headers.update(tenant.headers("admin"))
    yield api


class TestCreate:
    async def test_created_with_secret_once(self, admin: httpx.AsyncClient) -> None:
        r = await admin.post("/webhooks", json=HOOK)
        assert r.status_code == 201, r.text
        made = r.json()
        assert {"id", "url", "events", "secret", "enabled", "createdAt"} <= set(made)
        assert made["events"] == ["*"] and made["enabled"] is True
        assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
        assert made["url"] == HOOK["url"] and made["description"] == "ERP"
        got = (await admin.get(f"/webhooks/{made['id']}")).json()
        assert "secret" not in got and got["id"] == made["id"]
        listed = (await admin.get("/webhooks")).json()
        assert [h["id"] for h in listed["data"]] == [made["id"]]
        assert all("secret" not in h for h in listed["data"])

    async def test_event_patterns(self, admin: httpx.AsyncClient) -> None:
        r = await admin.post(
            "/webhooks", json={**HOOK, "events": ["client.created", "client.*", "order.updated"]}
        )
        assert r.status_code == 201
        assert r.json()["events"] == ["client.created", "client.*", "order.updated"]
        r = await admin.post("/webhooks", json={**HOOK, "events": ["client.created", "*"]})
        assert r.json()["events"] == ["*"]

    async def test_invalid_is_400(self, admin: httpx.AsyncClient) -> None:
        for body in [
            {"url": "ftp://erp.example.com/hook"},
            {"url": "not a url"},
            {"url": "https://"},
            {"url": "https://erp.example.com:99999/"},
            {"url": HOOK["url"], "events": ["client.exploded"]},
            {"url": HOOK["url"], "events": ["nothing.*"]},
            {"url": HOOK["url"], "events": []},
            {"url": HOOK["url"], "colour": "red"},
            {"events": ["*"]},
        ]:
            r = await admin.post("/webhooks", json=body)
            assert r.status_code == 400, (body, r.text)
            assert r.json()["error"] == "VALIDATION_ERROR"
        assert (await admin.get("/webhooks")).json()["data"] == []

    async def test_private_addresses_allowed_by_default(self, admin: httpx.AsyncClient) -> None:
        r = await admin.post("/webhooks", json={"url": "http://127.0.0.1:9/hook"})
        assert r.status_code == 201

    async def test_admin_scope_needed(self, api: httpx.AsyncClient, tenant: Tenant) -> None:
        for scope in ("read", "write"):
            r = await api.post("/webhooks", json=HOOK, headers=tenant.headers(scope))
            assert r.status_code == 403
            assert (await api.get("/webhooks", headers=tenant.headers(scope))).status_code == 403


@pytest.fixture
async def deny_private(
    settings: Settings, engine: AsyncEngine, tenant: Tenant
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"webhook_deny_private": True}), engine=engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://test{BASE_PATH}",
        headers=tenant.headers("admin"),
    ) as client:
        yield client


class TestDenyPrivate:
    async def test_private_rejected(self, deny_private: httpx.AsyncClient) -> None:
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://10.1.2.3/hook",
            "http://192.168.0.10/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest",
        ]:
            r = await deny_private.post("/webhooks", json={"url": url})
            assert r.status_code == 400, url
            assert r.json()["details"][0]["field"] == "url"

    async def test_public_address_accepted(self, deny_private: httpx.AsyncClient) -> None:
        r = await deny_private.post("/webhooks", json={"url": "https://93.184.215.14/hook"})
        assert r.status_code == 201, r.text


class TestChangeAndDelete:
    async def test_patch_disable_enable(self, admin: httpx.AsyncClient) -> None:
        made = (await admin.post("/webhooks", json=HOOK)).json()
        url = f"/webhooks/{made['id']}"
        r = await admin.patch(url, json={"enabled": False, "events": ["client.*"]})
        assert r.status_code == 200
        assert r.json()["enabled"] is False and r.json()["disabledReason"]
        assert r.json()["events"] == ["client.*"]
        r = await admin.patch(url, json={"enabled": True})
        assert r.json()["enabled"] is True and r.json()["disabledReason"] is None
        assert (await admin.patch(url, json={"url": "gopher://x"})).status_code == 400

    async def test_delete_then_404(self, admin: httpx.AsyncClient) -> None:
        made = (await admin.post("/webhooks", json=HOOK)).json()
        url = f"/webhooks/{made['id']}"
        r = await admin.delete(url)
        assert r.status_code == 204 and r.content == b""
        assert (await admin.get(url)).status_code == 404
        assert (await admin.delete(url)).status_code == 404
        assert (await admin.get(f"{url}/deliveries")).status_code == 404

    async def test_other_tenant_sees_nothing(
        self, admin: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        made = (await admin.post("/webhooks", json=HOOK)).json()
        theirs = other_tenant.headers("admin")
        assert (await admin.get(f"/webhooks/{made['id']}", headers=theirs)).status_code == 404
        assert (await admin.delete(f"/webhooks/{made['id']}", headers=theirs)).status_code == 404
        assert (await admin.get("/webhooks", headers=theirs)).json()["data"] == []

    async def test_unknown_delivery_is_404(self, admin: httpx.AsyncClient) -> None:
        made = (await admin.post("/webhooks", json=HOOK)).json()
        r = await admin.post(
            f"/webhooks/{made['id']}/deliveries/0192f0c4-0000-7000-8000-000000000000/redeliver"
        )
        assert r.status_code == 404
