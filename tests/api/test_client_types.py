"""Client types over HTTP, and clients' clientTypeId, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.conftest import Tenant
from tests.factories import client_body

MISSING = "0192f0c4-0000-7000-8000-000000000000"


async def make_type(api: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    r = await api.post("/client-types", json={"name": name, **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


class TestCreate:
    async def test_created_with_number(self, api: httpx.AsyncClient) -> None:
        r = await api.post("/client-types", json={"name": "  Family ", "description": "Homes"})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["name"] == "Family" and body["description"] == "Homes"
        assert body["number"] == 1 and body["createdAt"].endswith("Z")
        assert set(body) == {"id", "number", "name", "description", "createdAt", "updatedAt"}
        assert (await make_type(api, "School"))["number"] == 2

    @pytest.mark.parametrize(
        "body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 256}, {"name": "A", "x": 1}]
    )
    async def test_bad_bodies(self, api: httpx.AsyncClient, body: dict) -> None:
        assert (await api.post("/client-types", json=body)).status_code == 400

    async def test_name_unique_regardless_of_case(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        await make_type(api, "Family")
        r = await api.post("/client-types", json={"name": "FAMILY"})
        assert r.status_code == 409 and "Family" in r.json()["message"]
        r = await api.post(
            "/client-types", json={"name": "Family"}, headers=other_tenant.headers("write")
        )
        assert r.status_code == 201

    async def test_write_scope_needed(self, api: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await api.post("/client-types", json={"name": "A"}, headers=tenant.headers("read"))
        assert r.status_code == 403
        made = await make_type(api, "A")
        r = await api.get(f"/client-types/{made['id']}", headers=tenant.headers("read"))
        assert r.status_code == 200


class TestUpdate:
    async def test_patch(self, api: httpx.AsyncClient) -> None:
        made = await make_type(api, "Family", description="Homes")
        url = f"/client-types/{made['id']}"
        r = await api.patch(url, json={"description": None})
        assert r.status_code == 200 and r.json()["description"] is None
        assert r.json()["name"] == "Family"
        r = await api.patch(url, json={"name": "FAMILY"})  # its own name in another case
        assert r.status_code == 200 and r.json()["name"] == "FAMILY"
        await make_type(api, "School")
        assert (await api.patch(url, json={"name": "school"})).status_code == 409
        assert (await api.patch(url, json={"name": None})).status_code == 400
        current = (await api.get(url)).json()
        r = await api.patch(url, json={**current, "name": "Households"})
        assert r.status_code == 200, r.text
        r = await api.patch(url, json={"number": 7})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "number"


class TestDelete:
    async def test_unused_type_is_deleted(self, api: httpx.AsyncClient) -> None:
        made = await make_type(api, "Family")
        r = await api.delete(f"/client-types/{made['id']}")
        assert r.status_code == 200 and r.json()["id"] == made["id"]
        assert (await api.get(f"/client-types/{made['id']}")).status_code == 404

    async def test_type_in_use_is_409_with_count(self, api: httpx.AsyncClient) -> None:
        made = await make_type(api, "Family")
        url = f"/client-types/{made['id']}"
        a = (await api.post("/clients", json=client_body(clientTypeId=made["id"]))).json()
        b = (await api.post("/clients", json=client_body(clientTypeId=made["id"]))).json()
        r = await api.delete(url)
        assert r.status_code == 409 and "2 clients use it" in r.json()["message"]
        await api.patch(f"/clients/{a['id']}", json={"clientTypeId": None})
        await api.delete(f"/clients/{b['id']}")  # a soft-deleted client still uses it
        r = await api.delete(url)
        assert r.status_code == 409 and "1 client uses it" in r.json()["message"]
        await api.post(f"/clients/{b['id']}/restore")
        await api.patch(f"/clients/{b['id']}", json={"clientTypeId": None})
        assert (await api.delete(url)).status_code == 200


class TestList:
    async def test_sorted_by_name_and_searchable(self, api: httpx.AsyncClient) -> None:
        for name in ("School", "family", "Company"):
            await make_type(api, name)
        r = await api.get("/client-types")
        assert r.status_code == 200, r.text
        assert [t["name"] for t in r.json()["data"]] == [
            "Company",
            "School",
            "family",
        ]  # binary order
        assert r.json()["meta"]["total"] == 3
        r = await api.get("/client-types", params={"sort": "-number", "limit": 1})
        assert [t["name"] for t in r.json()["data"]] == ["Company"]
        assert r.json()["meta"]["nextCursor"]
        r = await api.get("/client-types", params={"q": "SCHO"})
        assert [t["name"] for t in r.json()["data"]] == ["School"]
        r = await api.get("/client-types", params={"name": "FAMILY"})
        assert [t["name"] for t in r.json()["data"]] == ["family"]
        assert (await api.get("/client-types", params={"bogus": "1"})).status_code == 400


class TestClientTypeOnClients:
    async def test_client_type_id_checked(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        mine = await make_type(api, "Family")
        theirs = (
            await api.post(
                "/client-types", json={"name": "Family"}, headers=other_tenant.headers("write")
            )
        ).json()
        r = await api.post("/clients", json=client_body(clientTypeId=mine["id"]))
        assert r.status_code == 201 and r.json()["clientTypeId"] == mine["id"]
        client_url = f"/clients/{r.json()['id']}"
        for bad in (MISSING, theirs["id"]):
            r = await api.post("/clients", json=client_body(clientTypeId=bad))
            assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientTypeId"
            r = await api.patch(client_url, json={"clientTypeId": bad})
            assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientTypeId"
        r = await api.patch(client_url, json={"clientTypeId": None})
        assert r.status_code == 200 and r.json()["clientTypeId"] is None

    async def test_list_filter(self, api: httpx.AsyncClient) -> None:
        family = await make_type(api, "Family")
        school = await make_type(api, "School")
        a = (await api.post("/clients", json=client_body(clientTypeId=family["id"]))).json()
        b = (await api.post("/clients", json=client_body(clientTypeId=school["id"]))).json()
        await api.post("/clients", json=client_body())

        async def names(value: str) -> set[str]:
            r = await api.get("/clients", params={"clientTypeId": value})
            assert r.status_code == 200, r.text
            return {c["id"] for c in r.json()["data"]}

        assert await names(family["id"]) == {a["id"]}
        assert await names(f"{family['id']},{school['id']}") == {a["id"], b["id"]}
        assert (await api.get("/clients", params={"clientTypeId": "x"})).status_code == 400


class TestTenancy:
    async def test_other_organization_gets_404(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        made = await make_type(api, "Family")
        url = f"/client-types/{made['id']}"
        foreign = other_tenant.headers("admin")
        assert (await api.get(url, headers=foreign)).status_code == 404
        assert (await api.patch(url, json={"name": "X"}, headers=foreign)).status_code == 404
        assert (await api.delete(url, headers=foreign)).status_code == 404
        assert (await api.get("/client-types", headers=foreign)).json()["data"] == []
        assert (await api.get(url)).json()["name"] == "Family"
