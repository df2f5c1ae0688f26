"""The native clients resource over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import Tenant
from tests.factories import client_body


class TestCreate:
    async def test_created_with_number_and_defaults(self, api: httpx.AsyncClient) -> None:
        r = await api.post("/clients", json=client_body(name="  Acme  "))
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["name"] == "Acme"
        assert body["number"] == 1
        assert body["kind"] == "COMPANY" and body["status"] == "ACTIVE"
        assert body["contactPersons"] == [] and body["addresses"] == []
        assert body["createdAt"].endswith("Z") and len(body["createdAt"]) == 24
        assert r.headers["ETag"] == '"1"'
        assert r.headers["X-Request-ID"]
        second = await api.post("/clients", json=client_body())
        assert second.json()["number"] == 2

    async def test_name_required(self, api: httpx.AsyncClient) -> None:
        r = await api.post("/clients", json={"email": "x@example.com"})
        assert r.status_code == 400
        body = r.json()
        assert body["error"] == "VALIDATION_ERROR" and body["success"] is False
        assert {"field": "name", "message": "Field required"} in body["details"]

    async def test_unknown_field_named(self, api: httpx.AsyncClient) -> None:
        r = await api.post("/clients", json=client_body(colour="red"))
        assert r.status_code == 400
        assert r.json()["details"] == [{"field": "colour", "message": "unknown field"}]

    async def test_bad_enum_lists_allowed(self, api: httpx.AsyncClient) -> None:
        r = await api.post("/clients", json=client_body(status="ZOMBIE"))
        assert r.status_code == 400
        assert "ACTIVE" in r.json()["details"][0]["message"]

    async def test_duplicate_email_conflict_case_insensitive(self, api: httpx.AsyncClient) -> None:
        assert (await api.post("/clients", json=client_body(email="a@x.com"))).status_code == 201
        r = await api.post("/clients", json=client_body(email="A@X.com"))
        assert r.status_code == 409 and r.json()["error"] == "CONFLICT"

    async def test_duplicate_external_id_conflict(self, api: httpx.AsyncClient) -> None:
        assert (await api.post("/clients", json=client_body(externalId="E1"))).status_code == 201
        assert (await api.post("/clients", json=client_body(externalId="E1"))).status_code == 409

    async def test_empty_external_id_is_none(self, api: httpx.AsyncClient) -> None:
        a = await api.post("/clients", json=client_body(externalId=""))
        b = await api.post("/clients", json=client_body(externalId=""))
        assert a.json()["externalId"] is None and b.status_code == 201

    async def test_rules(self, api: httpx.AsyncClient) -> None:
        r = await api.post("/clients", json=client_body(paymentType="EMAIL"))
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "billingEmail"
        r = await api.post("/clients", json=client_body(country="SWE", phone="555-0102", fax="8"))
        assert r.status_code == 201 and r.json()["country"] == "SE"
        assert r.json()["phone"] == "555-0102"
        for bad in (
            {"website": "ftp://x"},
            {"point": {"lat": 91, "lng": 0}},
            {"creditLimit": -1},
            {"paymentTerms": 4000},
            {"provinceCode": "NL-XX"},
            {"email": "nope"},
        ):
            r = await api.post("/clients", json=client_body(**bad))
            assert r.status_code == 400, (bad, r.text)

    async def test_money_is_a_number(self, api: httpx.AsyncClient) -> None:
        r = await api.post("/clients", json=client_body(creditLimit=1234.5))
        assert r.json()["creditLimit"] == 1234.5


class TestGet:
    async def test_get_and_404(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        r = await api.get(f"/clients/{made['id']}")
        assert r.status_code == 200 and r.json()["id"] == made["id"]
        missing = await api.get("/clients/0192f0c4-0000-7000-8000-000000000000")
        assert missing.status_code == 404 and missing.json()["error"] == "NOT_FOUND"
        bad = await api.get("/clients/not-a-uuid")
        assert bad.status_code == 400

    async def test_other_tenant_gets_404(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        r = await api.get(f"/clients/{made['id']}", headers=other_tenant.headers("admin"))
        assert r.status_code == 404
        listed = await api.get("/clients", headers=other_tenant.headers("read"))
        assert listed.json()["data"] == []

    async def test_by_external_id(self, api: httpx.AsyncClient) -> None:
        await api.post("/clients", json=client_body(externalId="ERP 1/2"))
        r = await api.get("/clients/external-id/ERP 1%2F2")
        assert r.status_code in (200, 404)
        r = await api.get("/clients/external-id/ERP 1")
        assert r.status_code == 404


class TestAuth:
    async def test_missing_and_bad_key(self, raw_client: httpx.AsyncClient) -> None:
        r = await raw_client.get("/master-data/v1/client-management/clients")
        assert r.status_code == 401 and r.json()["error"] == "UNAUTHORIZED"
        r = await raw_client.get(
            "/master-data/v1/client-management/clients",
            headers={"Authorization": "Bearer rdx_nope"},
        )
        assert r.status_code == 401

    async def test_scopes(self, api: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await api.post("/clients", json=client_body(), headers=tenant.headers("read"))
        assert r.status_code == 403 and r.json()["error"] == "FORBIDDEN"
        made = (await api.post("/clients", json=client_body())).json()
        r = await api.delete(f"/clients/{made['id']}?permanent=true")
        assert r.status_code == 403
        r = await api.delete(
            f"/clients/{made['id']}?permanent=true", headers=tenant.headers("admin")
        )
        assert r.status_code == 200


class TestUpdate:
    async def test_patch_absent_unchanged_null_clears(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body(city="Oslo", phone="123"))).json()
        r = await api.patch(f"/clients/{made['id']}", json={"city": None, "name": "New"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["city"] is None and body["phone"] == "123" and body["name"] == "New"
        assert body["version"] == 2 and r.headers["ETag"] == '"2"'

    async def test_if_match(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        url = f"/clients/{made['id']}"
        r = await api.patch(url, json={"city": "A"}, headers={"If-Match": '"7"'})
        assert r.status_code == 412 and r.json()["error"] == "PRECONDITION_FAILED"
        r = await api.patch(url, json={"city": "A"}, headers={"If-Match": '"1"'})
        assert r.status_code == 200

    async def test_read_only_sent_back(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        echo = {k: v for k, v in made.items() if k not in ("contactPersons", "addresses")}
        r = await api.patch(f"/clients/{made['id']}", json=echo)
        assert r.status_code == 200, r.text
        r = await api.patch(f"/clients/{made['id']}", json={"number": 99})
        assert r.status_code == 400

    async def test_name_cannot_be_cleared(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        r = await api.patch(f"/clients/{made['id']}", json={"name": None})
        assert r.status_code == 400


class TestDelete:
    async def test_soft_delete_restore_purge(self, api: httpx.AsyncClient, tenant: Tenant) -> None:
        made = (await api.post("/clients", json=client_body(email="d@x.com"))).json()
        url = f"/clients/{made['id']}"
        r = await api.delete(url)
        assert r.status_code == 200 and r.json()["deletedAt"]
        assert (await api.get(url)).status_code == 404
        assert (await api.patch(url, json={"city": "x"})).status_code == 404
        assert (await api.get(url, params={"includeDeleted": "true"})).status_code == 200
        assert (await api.get("/clients")).json()["meta"]["total"] == 0
        listed = await api.get("/clients", params={"includeDeleted": "true"})
        assert listed.json()["meta"]["total"] == 1
        # The email is free again while the client is deleted.
        assert (await api.post("/clients", json=client_body(email="d@x.com"))).status_code == 201
        r = await api.post(f"{url}/restore")
        assert r.status_code == 409 or r.json()["deletedAt"] is None
        r = await api.delete(url + "?permanent=true", headers=tenant.headers("admin"))
        assert r.status_code == 200
        assert (await api.get(url, params={"includeDeleted": "true"})).status_code == 404

    async def test_restore_live_client_is_noop(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        r = await api.post(f"/clients/{made['id']}/restore")
        assert r.status_code == 200 and r.json()["version"] == made["version"]


class TestUpsert:
    async def test_put_creates_then_replaces(self, api: httpx.AsyncClient) -> None:
        r = await api.put(
            "/clients/external-id/X-1", json={"name": "A", "city": "Oslo", "tags": ["a"]}
        )
        assert r.status_code == 201 and r.json()["externalId"] == "X-1"
        r = await api.put("/clients/external-id/X-1", json={"name": "B"})
        assert r.status_code == 200
        body = r.json()
        assert body["name"] == "B" and body["city"] is None and body["tags"] == []
        assert body["status"] == "ACTIVE" and body["number"] == 1


class TestList:
    async def test_paging_filter_sort(self, api: httpx.AsyncClient) -> None:
        for i in range(5):
            await api.post(
                "/clients",
                json=client_body(
                    name=f"N{i}", status="ACTIVE" if i % 2 else "PROSPECT", creditLimit=i * 100
                ),
            )
        r = await api.get("/clients", params={"status": "ACTIVE", "sort": "name"})
        assert [c["name"] for c in r.json()["data"]] == ["N1", "N3"]
        r = await api.get("/clients", params={"limit": 2, "sort": "-number"})
        meta = r.json()["meta"]
        assert meta["total"] == 5 and meta["pageCount"] == 3 and meta["nextCursor"]
        r = await api.get("/clients", params={"creditLimit[gte]": 300})
        assert r.json()["meta"]["total"] == 2
        r = await api.get("/clients", params={"q": "n3"})
        assert [c["name"] for c in r.json()["data"]] == ["N3"]

    @pytest.mark.parametrize(
        "params",
        [
            {"bogus": "1"},
            {"limit": "0"},
            {"limit": "201"},
            {"page": "0"},
            {"sort": "nope"},
            {"status": "ZOMBIE"},
            {"creditLimit[gte]": "abc"},
            {"cursor": "garbage"},
        ],
    )
    async def test_bad_params_are_400(self, api: httpx.AsyncClient, params: dict[str, str]) -> None:
        r = await api.get("/clients", params=params)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "VALIDATION_ERROR"


class TestErrors:
    async def test_malformed_json(self, api: httpx.AsyncClient) -> None:
        r = await api.post(
            "/clients", content=b'{"name": ', headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400 and r.json()["error"] == "VALIDATION_ERROR"

    async def test_wrong_content_type(self, api: httpx.AsyncClient) -> None:
        r = await api.post(
            "/clients",
            content=b"name=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 415 and r.json()["error"] == "UNSUPPORTED_MEDIA_TYPE"

    async def test_too_large(self, api: httpx.AsyncClient) -> None:
        r = await api.post("/clients", json={"name": "x" * (2 * 1024 * 1024)})
        assert r.status_code == 413 and r.json()["error"] == "PAYLOAD_TOO_LARGE"

    async def test_unknown_route_and_method(self, api: httpx.AsyncClient) -> None:
        r = await api.get("/nothing-here")
        assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND"
        r = await api.put("/clients")
        assert r.status_code == 405 and r.json()["error"] == "METHOD_NOT_ALLOWED"

    async def test_deep_json(self, api: httpx.AsyncClient) -> None:
        body = b'{"name": "x", "metadata": ' + b"[" * 100000 + b"]" * 100000 + b"}"
        r = await api.post("/clients", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400
