"""Client addresses over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.conftest import Tenant
from tests.factories import client_body

MISSING = "0192f0c4-0000-7000-8000-000000000000"
WAREHOUSE = {
    "label": "Warehouse",
    "streetAndNumber": "Hamngatan 4",
    "coAddress": "c/o Lager AB",
    "postalCode": "211 22",
    "city": "Malmö",
    "provinceCode": "se-m",
    "country": "SWE",
    "point": {"lng": 13.0038, "lat": 55.605},
    "isDelivery": True,
    "metadata": {"gate": 3},
}


async def make_client(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    r = await api.post("/clients", json=client_body(**overrides))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def add_address(api: httpx.AsyncClient, client_id: str, **fields: Any) -> dict[str, Any]:
    r = await api.post(f"/clients/{client_id}/addresses", json=fields)
    assert r.status_code == 201, r.text
    return dict(r.json())


class TestCreate:
    async def test_created_with_number_and_flags(self, api: httpx.AsyncClient) -> None:
        a, b = await make_client(api), await make_client(api)
        made = await add_address(api, a["id"], **WAREHOUSE)
        assert made["number"] == 1 and made["clientId"] == a["id"]
        assert made["country"] == "SE" and made["provinceCode"] == "SE-M"
        assert made["point"] == {"lng": 13.0038, "lat": 55.605}
        assert (made["isDelivery"], made["isInvoice"], made["isVisiting"]) == (True, False, False)
        assert made["coAddress"] == "c/o Lager AB" and made["metadata"] == {"gate": 3}
        assert made["createdAt"].endswith("Z")
        # Numbers are per organization, across clients.
        assert (await add_address(api, b["id"], city="Oslo"))["number"] == 2
        # The client's own flat fields stay its primary address.
        client = (await api.get(f"/clients/{a['id']}")).json()
        assert client["city"] is None and [x["label"] for x in client["addresses"]] == ["Warehouse"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"provinceCode": "NL-XX"}, "provinceCode"),
            ({"provinceCode": "NL-NH", "country": "SE"}, "provinceCode"),
            ({"country": "Sweden"}, "country"),
            ({"point": {"lng": 181, "lat": 0}}, "point.lng"),
            ({"postalCode": "1" * 33}, "postalCode"),
            ({"isInvoice": "maybe"}, "isInvoice"),
            ({"metadata": {"a b": 1}}, "metadata"),
            ({"floor": 3}, "floor"),
        ],
    )
    async def test_validation(
        self, api: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        client = await make_client(api)
        r = await api.post(f"/clients/{client['id']}/addresses", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["details"][0]["field"] == field

    async def test_client_missing_deleted_or_foreign(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        assert (await api.post(f"/clients/{MISSING}/addresses", json={})).status_code == 404
        client = await make_client(api)
        r = await api.post(
            f"/clients/{client['id']}/addresses", json={}, headers=other_tenant.headers("write")
        )
        assert r.status_code == 404
        await api.delete(f"/clients/{client['id']}")
        assert (await api.post(f"/clients/{client['id']}/addresses", json={})).status_code == 404


class TestReadUpdateDelete:
    async def test_get_patch_delete(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        made = await add_address(api, client["id"], **WAREHOUSE)
        url = f"/clients/{client['id']}/addresses/{made['id']}"
        assert (await api.get(url)).json() == made
        r = await api.patch(url, json={"isInvoice": True, "point": None, "label": None})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["isInvoice"] is True and body["isDelivery"] is True
        assert body["point"] is None and body["label"] is None and body["city"] == "Malmö"
        r = await api.patch(url, json=body | {"city": "Lund"})  # read-only fields sent back
        assert r.status_code == 200 and r.json()["city"] == "Lund"
        r = await api.patch(url, json={"number": 5})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "number"
        r = await api.patch(url, json={"country": "NO"})  # SE-M is not in Norway
        assert r.status_code == 400
        r = await api.delete(url)
        assert r.status_code == 200 and r.json()["id"] == made["id"]
        assert (await api.get(url)).status_code == 404
        assert (await api.delete(url)).status_code == 404

    async def test_other_client_or_tenant_is_404(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        a, b = await make_client(api), await make_client(api)
        made = await add_address(api, a["id"], city="Oslo")
        assert (await api.get(f"/clients/{b['id']}/addresses/{made['id']}")).status_code == 404
        theirs = other_tenant.headers("admin")
        base = f"/clients/{a['id']}/addresses"
        for method, url, body in (
            ("GET", base, None),
            ("GET", f"{base}/{made['id']}", None),
            ("PATCH", f"{base}/{made['id']}", {"city": "X"}),
            ("DELETE", f"{base}/{made['id']}", None),
        ):
            r = await api.request(method, url, json=body, headers=theirs)
            assert r.status_code == 404, (method, url)
        assert (await api.get(f"{base}/{made['id']}")).json()["city"] == "Oslo"


class TestList:
    async def test_filters_sort_paging(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        for city, delivery in (("Oslo", True), ("Bergen", False), ("Oslo", False), ("Bodø", True)):
            await add_address(api, client["id"], city=city, isDelivery=delivery)
        other = await make_client(api)
        await add_address(api, other["id"], city="Oslo")
        url = f"/clients/{client['id']}/addresses"
        r = await api.get(url)
        assert [a["city"] for a in r.json()["data"]] == ["Oslo", "Bergen", "Oslo", "Bodø"]
        assert r.json()["meta"]["total"] == 4
        r = await api.get(url, params={"isDelivery": "true"})
        assert [a["city"] for a in r.json()["data"]] == ["Oslo", "Bodø"]
        r = await api.get(url, params={"sort": "city,-number", "limit": "2"})
        assert [a["number"] for a in r.json()["data"]] == [2, 4]
        nxt = await api.get(
            url, params={"sort": "city,-number", "cursor": r.json()["meta"]["nextCursor"]}
        )
        assert [a["number"] for a in nxt.json()["data"]] == [3, 1]
        r = await api.get(url, params={"q": "BODØ"})
        assert [a["city"] for a in r.json()["data"]] == ["Bodø"]
        for bad in ({"bogus": "1"}, {"isDelivery": "maybe"}, {"sort": "street"}):
            assert (await api.get(url, params=bad)).status_code == 400, bad
