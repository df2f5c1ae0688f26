"""GET /clients/export?format=csv: streamed CSV, the list filters apply, tenants apart."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from tests.conftest import Tenant
from tests.factories import client_body


def rows(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


class TestExport:
    async def test_csv_with_nested_columns(self, api: httpx.AsyncClient, tenant: Tenant) -> None:
        await api.post(
            "/clients",
            json=client_body(
                name="Acme",
                tags=["vip", "north"],
                point={"lat": 52.37, "lng": 4.89},
                metadata={"erp": "x", "count": 42, "code": "42", "zip": "0420", "flag": True},
                externalIds=[{"system": "sap", "id": "4711"}],
                creditLimit=1000.5,
                references=[{"name": "PO", "description": "order"}],
            ),
        )
        await api.post("/clients", json=client_body(name="Plain"))
        r = await api.get(
            "/clients/export", params={"format": "csv"}, headers=tenant.headers("read")
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        header = r.text.splitlines()[0].split(",")
        assert header[:3] == ["id", "number", "name"]
        for column in ("metadata.count", "metadata.erp", "externalIds.sap", "point.lat", "tags"):
            assert column in header
        acme, plain = rows(r)
        assert acme["name"] == "Acme" and acme["number"] == "1" and plain["number"] == "2"
        assert acme["tags"] == "vip;north" and acme["point.lat"] == "52.37"
        assert (
            acme["metadata.count"] == "42"
            and acme["metadata.code"] == '"42"'
            and acme["metadata.zip"] == "0420"
        )
        assert acme["metadata.flag"] == "true" and acme["metadata.erp"] == "x"
        assert acme["externalIds.sap"] == "4711" and acme["creditLimit"] == "1000.5"
        assert json.loads(acme["references"]) == [{"id": 1, "name": "PO", "description": "order"}]
        assert plain["metadata.erp"] == "" and plain["tags"] == ""

    async def test_list_filters_apply(self, api: httpx.AsyncClient, other_tenant: Tenant) -> None:
        for i in range(5):
            status = "ACTIVE" if i % 2 else "PROSPECT"
            await api.post("/clients", json=client_body(name=f"N{i}", status=status))
        await api.post(
            "/clients", json=client_body(name="Theirs"), headers=other_tenant.headers("write")
        )
        r = await api.get("/clients/export", params={"status": "ACTIVE"})
        assert [row["name"] for row in rows(r)] == ["N1", "N3"]
        r = await api.get("/clients/export", params={"sort": "-name", "q": "n"})
        assert [row["name"] for row in rows(r)] == ["N4", "N3", "N2", "N1", "N0"]
        gone = (await api.get("/clients", params={"q": "N0"})).json()["data"][0]
        await api.delete(f"/clients/{gone['id']}")
        assert len(rows(await api.get("/clients/export"))) == 4
        assert len(rows(await api.get("/clients/export", params={"includeDeleted": "true"}))) == 5

    async def test_many_pages(
        self, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from rolodex.core.clients import transfer

        monkeypatch.setattr(transfer, "EXPORT_PAGE", 3)
        ops = [{"op": "create", "data": client_body(name=f"C{i:02d}")} for i in range(10)]
        assert (await api.post("/clients/batch", json={"operations": ops})).status_code == 200
        r = await api.get("/clients/export", params={"sort": "name"})
        assert [row["name"] for row in rows(r)] == [f"C{i:02d}" for i in range(10)]

    @pytest.mark.parametrize(
        "params",
        [{"format": "xml"}, {"page": "2"}, {"limit": "5"}, {"bogus": "1"}, {"status": "ZOMBIE"}],
    )
    async def test_bad_parameters_are_400(
        self, api: httpx.AsyncClient, params: dict[str, str]
    ) -> None:
        r = await api.get("/clients/export", params=params)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "VALIDATION_ERROR"

    async def test_needs_a_key(self, raw_client: httpx.AsyncClient) -> None:
        r = await raw_client.get("/master-data/v1/client-management/clients/export")
        assert r.status_code == 401
