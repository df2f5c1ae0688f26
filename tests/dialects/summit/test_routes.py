"""The Summit routes over HTTP: errors, auth, lists, and the same records as the native API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.conftest import Tenant

BETA = {"name": "Beta", "email": "beta@example.com", "phone": "555-0102", "address": "1 Road"}


async def create(summit: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await summit.post("/api/clients", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def native_by_number(api: httpx.AsyncClient, number: int) -> dict[str, Any]:
    r = await api.get("/clients", params={"number": number, "includeDeleted": "true"})
    (found,) = r.json()["data"]
    return dict(found)


class TestSameRecords:
    async def test_summit_create_is_the_native_record(
        self, summit: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(summit, **BETA, paymentTerms=30)
        listed = await native_by_number(api, made["id"])
        native = (await api.get(f"/clients/{listed['id']}")).json()
        assert native["number"] == made["id"] and native["name"] == "Beta"
        assert (native["email"], native["phone"]) == ("beta@example.com", "555-0102")
        assert (native["streetAndNumber"], native["paymentTerms"]) == ("1 Road", 30)
        assert native["street"] is None and native["city"] is None and native["metadata"] == {}
        assert (native["createdAt"], native["updatedAt"]) == (made["createdAt"], made["updatedAt"])

    async def test_native_create_is_the_summit_record(
        self, summit: httpx.AsyncClient, api: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        native = (
            await api.post(
                "/clients",
                json={
                    "name": "Gamma",
                    "email": "g@example.com",
                    "streetAndNumber": "Storgatan 12",
                    "city": "Stockholm",
                    "paymentTerms": 10,
                },
            )
        ).json()
        r = await summit.get(f"/api/clients/{native['number']}")
        assert r.status_code == 200
        assert r.json() == {
            "id": native["number"],
            "companyId": tenant.number,
            "name": "Gamma",
            "email": "g@example.com",
            "phone": None,
            "address": "Storgatan 12",
            "paymentTerms": 10,
            "createdAt": native["createdAt"],
            "updatedAt": native["updatedAt"],
            "softDelete": False,
        }
        # A Summit update leaves the native fields Summit does not show alone.
        await summit.put(f"/api/clients/{native['number']}", json={"address": "Storgatan 14"})
        after = (await api.get(f"/clients/{native['id']}")).json()
        assert (after["streetAndNumber"], after["city"]) == ("Storgatan 14", "Stockholm")

    async def test_native_delete_hides_from_summit(
        self, summit: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(summit, name="Gone")
        native = await native_by_number(api, made["id"])
        assert (await api.delete(f"/clients/{native['id']}")).status_code == 200
        assert (await summit.get(f"/api/clients/{made['id']}")).status_code == 404


class TestWrites:
    async def test_duplicate_email_conflict(self, summit: httpx.AsyncClient) -> None:
        await create(summit, name="A", email="a@example.com")
        r = await summit.post("/api/clients", json={"name": "B", "email": "A@Example.com"})
        assert r.status_code == 409
        body = r.json()
        assert (body["status"], body["error"], body["success"]) == (409, "CONFLICT", False)
        other = await create(summit, name="C", email="c@example.com")
        r = await summit.put(f"/api/clients/{other['id']}", json={"email": "a@example.com"})
        assert r.status_code == 409

    async def test_validation_names_summit_fields(self, summit: httpx.AsyncClient) -> None:
        r = await summit.post("/api/clients", json={"email": "a@example.com"})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "name"
        r = await summit.post("/api/clients", json={"name": "A", "address": "x" * 256})
        assert r.status_code == 400
        assert r.json()["error"] == "VALIDATION_ERROR"
        assert [d["field"] for d in r.json()["details"]] == ["address"]
        for bad in (
            {"paymentTerms": -1},
            {"paymentTerms": "30"},
            {"email": "nope"},
            {"colour": "red"},
        ):
            r = await summit.post("/api/clients", json={"name": "A", **bad})
            assert r.status_code == 400, bad
            assert r.json()["details"][0]["field"] == next(iter(bad))
        r = await summit.post(
            "/api/clients", content=b"{", headers={"content-type": "application/json"}
        )
        assert r.status_code == 400

    async def test_put_is_partial(self, summit: httpx.AsyncClient) -> None:
        made = await create(summit, **BETA, paymentTerms=15)
        r = await summit.put(f"/api/clients/{made['id']}", json={"paymentTerms": 45})
        assert r.status_code == 200
        assert r.json() | {"updatedAt": None} == made | {"paymentTerms": 45, "updatedAt": None}
        r = await summit.put(f"/api/clients/{made['id']}", json={"email": None, "phone": None})
        assert (r.json()["email"], r.json()["phone"], r.json()["name"]) == (None, None, "Beta")
        r = await summit.put(f"/api/clients/{made['id']}", json={"name": None})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "name"

    async def test_fetched_record_can_be_sent_back(self, summit: httpx.AsyncClient) -> None:
        made = await create(summit, **BETA)
        r = await summit.put(f"/api/clients/{made['id']}", json=made | {"name": "Beta 2"})
        assert r.status_code == 200 and r.json()["name"] == "Beta 2"
        assert r.json()["id"] == made["id"]

    async def test_delete_then_gone(self, summit: httpx.AsyncClient) -> None:
        made = await create(summit, **BETA)
        r = await summit.delete(f"/api/clients/{made['id']}")
        assert r.status_code == 200 and r.json()["softDelete"] is True
        for method in ("GET", "PUT", "DELETE"):
            r = await summit.request(method, f"/api/clients/{made['id']}", json={})
            assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND", method
        # The email is free again once the client is deleted.
        assert (await summit.post("/api/clients", json=BETA)).status_code == 201


class TestReads:
    @pytest.mark.parametrize("client_id", ["999", "0", "-3", "99999999999999"])
    async def test_unknown_is_404(self, summit: httpx.AsyncClient, client_id: str) -> None:
        r = await summit.get(f"/api/clients/{client_id}")
        assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND"

    async def test_not_an_integer_is_400(self, summit: httpx.AsyncClient) -> None:
        r = await summit.get("/api/clients/abc")
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientId"

    async def test_other_tenant_is_404(
        self, summit: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        made = await create(summit, **BETA)
        headers = other_tenant.headers("admin")
        r = await summit.get(f"/api/clients/{made['id']}", headers=headers)
        assert r.status_code == 404
        r = await summit.put(f"/api/clients/{made['id']}", json={"name": "X"}, headers=headers)
        assert r.status_code == 404
        r = await summit.get("/api/clients", headers=headers)
        assert r.json()["meta"]["total"] == 0

    async def test_list_paging_sort_search(self, summit: httpx.AsyncClient) -> None:
        for name, email, phone in [
            ("Alpha", "alpha@example.com", "555-0101"),
            ("Beta", "beta@example.com", "555-0102"),
            ("Gamma", "post@beta.example.com", "555-0103"),
            ("Delta", "delta@example.com", "555-0104"),
        ]:
            await create(summit, name=name, email=email, phone=phone)
        r = await summit.get("/api/clients", params={"limit": 3, "page": 2, "sort": "id"})
        assert [c["name"] for c in r.json()["data"]] == ["Delta"]
        assert r.json()["meta"] == {"total": 4, "page": 2, "limit": 3, "pageCount": 2}
        r = await summit.get("/api/clients", params={"sort": "name", "order": "asc"})
        assert [c["name"] for c in r.json()["data"]] == ["Alpha", "Beta", "Delta", "Gamma"]
        r = await summit.get("/api/clients")  # newest first by default
        assert [c["id"] for c in r.json()["data"]] == [4, 3, 2, 1]
        r = await summit.get("/api/clients", params={"q": "BETA", "sort": "id"})
        assert [c["name"] for c in r.json()["data"]] == ["Beta", "Gamma"]
        # Name or email only: neither the phone nor the id matches.
        for q in ("555", "4"):
            r = await summit.get("/api/clients", params={"q": q})
            assert r.json()["meta"]["total"] == 0, q

    async def test_unnamed_parameters_ignored(self, summit: httpx.AsyncClient) -> None:
        made = await create(summit, **BETA)
        await summit.delete(f"/api/clients/{made['id']}")
        await create(summit, name="Live")
        r = await summit.get(
            "/api/clients", params={"includeDeleted": "true", "status": "NOPE", "foo": "1"}
        )
        assert r.status_code == 200 and [c["name"] for c in r.json()["data"]] == ["Live"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"sort": "address"}, "sort"),
            ({"order": "up"}, "order"),
            ({"limit": "500"}, "limit"),
            ({"page": "0"}, "page"),
            ({"page": "x"}, "page"),
        ],
    )
    async def test_bad_list_parameters(
        self, summit: httpx.AsyncClient, params: dict[str, str], field: str
    ) -> None:
        r = await summit.get("/api/clients", params=params)
        assert r.status_code == 400 and r.json()["details"][0]["field"] == field


class TestAuth:
    async def test_keys_and_scopes(self, raw_client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await raw_client.get("/api/clients")
        assert r.status_code == 401 and r.json()["error"] == "UNAUTHORIZED"
        read = tenant.headers("read")
        assert (await raw_client.get("/api/clients", headers=read)).status_code == 200
        r = await raw_client.post("/api/clients", json={"name": "A"}, headers=read)
        assert r.status_code == 403 and r.json()["error"] == "FORBIDDEN"
        assert (await raw_client.put("/api/clients/1", json={}, headers=read)).status_code == 403
        assert (await raw_client.delete("/api/clients/1", headers=read)).status_code == 403


async def test_openapi_tag(raw_client: httpx.AsyncClient) -> None:
    spec = (await raw_client.get("/openapi.json")).json()
    operations = {
        (method, path): op
        for path, item in spec["paths"].items()
        if path.startswith("/api/clients")
        for method, op in item.items()
    }
    assert set(operations) == {
        ("get", "/api/clients"),
        ("post", "/api/clients"),
        ("get", "/api/clients/{clientId}"),
        ("put", "/api/clients/{clientId}"),
        ("delete", "/api/clients/{clientId}"),
    }
    for op in operations.values():
        assert op["tags"] == ["dialect: Summit"] and op["description"]
    listed = operations["get", "/api/clients"]
    assert {p["name"] for p in listed["parameters"]} == {"page", "limit", "sort", "order", "q"}
    assert "409" in operations["post", "/api/clients"]["responses"]
    assert operations["post", "/api/clients"]["requestBody"]["content"]["application/json"][
        "examples"
    ]


async def test_document_email_placeholder_is_accepted_literally(summit: httpx.AsyncClient) -> None:
    body = {"name": "Client Alpha", "email": "[email protected]"}
    first = await summit.post("/api/clients", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["email"] == "[email protected]"
    again = await summit.post("/api/clients", json={"name": "Client Beta", "email": body["email"]})
    assert again.status_code == 409
    bad = await summit.post("/api/clients", json={"name": "X", "email": "not an email"})
    assert bad.status_code == 400
