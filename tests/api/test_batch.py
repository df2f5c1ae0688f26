"""POST /clients/batch: each operation on its own, 200 or 207, constant statements for creates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.factories import client_body

MISSING = "0192f0c4-0000-7000-8000-000000000000"


async def batch(api: httpx.AsyncClient, *operations: dict[str, Any]) -> httpx.Response:
    return await api.post("/clients/batch", json={"operations": list(operations)})


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


class TestAllSucceed:
    async def test_every_kind_of_operation(self, api: httpx.AsyncClient) -> None:
        old = (await api.post("/clients", json=client_body(city="Bergen"))).json()
        doomed = (await api.post("/clients", json=client_body())).json()
        await api.put("/clients/external-id/E-1", json={"name": "By externalId"})
        r = await batch(
            api,
            {"op": "create", "data": client_body(name="New")},
            {"op": "update", "id": old["id"], "data": {"city": "Oslo"}},
            {"op": "upsert", "match": {"externalId": "E-1"}, "data": {"name": "Replaced"}},
            {
                "op": "upsert",
                "match": {"externalIds": {"system": "sap", "id": "4711"}},
                "data": {"name": "From SAP"},
            },
            {"op": "delete", "id": doomed["id"]},
        )
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert [x["index"] for x in results] == [0, 1, 2, 3, 4]
        assert [x["status"] for x in results] == [201, 200, 200, 201, 200]
        assert all("error" not in x for x in results)
        assert results[0]["data"]["name"] == "New" and results[0]["data"]["number"] == 4
        assert results[0]["data"]["contactPersons"] == []
        assert results[1]["data"]["city"] == "Oslo" and results[1]["data"]["version"] == 2
        assert results[2]["data"]["name"] == "Replaced"
        assert results[3]["data"]["externalIds"] == [{"system": "sap", "id": "4711"}]
        assert results[4]["data"]["deletedAt"] is not None
        assert (await api.get(f"/clients/{doomed['id']}")).status_code == 404
        assert (await api.get("/clients/external-ids/sap/4711")).json()["name"] == "From SAP"

    async def test_upsert_by_external_ids_twice_updates(self, api: httpx.AsyncClient) -> None:
        op = {
            "op": "upsert",
            "match": {"externalIds": {"system": "shop", "id": "S-9"}},
            "data": {"name": "Shop client"},
        }
        r = await batch(api, op, {**op, "data": {"name": "Shop client 2"}})
        assert [x["status"] for x in r.json()["results"]] == [201, 200]
        assert (await api.get("/clients")).json()["meta"]["total"] == 1

    async def test_empty_batch(self, api: httpx.AsyncClient) -> None:
        r = await batch(api)
        assert r.status_code == 200 and r.json() == {"results": []}


class TestSomeFail:
    async def test_bad_rows_in_the_middle(self, api: httpx.AsyncClient) -> None:
        taken = (await api.post("/clients", json=client_body(email="taken@example.com"))).json()
        r = await batch(
            api,
            {"op": "create", "data": client_body(name="ok 1")},
            {"op": "create", "data": {"email": "no-name@example.com"}},
            {"op": "create", "data": client_body(email="taken@example.com")},
            {"op": "update", "id": MISSING, "data": {"city": "x"}},
            {"op": "update", "id": taken["id"], "data": {"paymentType": "EMAIL"}},
            {"op": "create", "data": client_body(name="ok 2")},
            {"op": "delete", "id": taken["id"]},
        )
        assert r.status_code == 207, r.text
        results = r.json()["results"]
        assert [x["status"] for x in results] == [201, 400, 409, 404, 400, 201, 200]
        bad = results[1]["error"]
        assert bad["status"] == 400 and bad["success"] is False
        assert bad["error"] == "VALIDATION_ERROR" and bad["requestId"]
        assert {"field": "data.name", "message": "Field required"} in bad["details"]
        assert results[2]["error"]["error"] == "CONFLICT"
        assert (
            results[3]["error"]["error"] == "NOT_FOUND"
            and MISSING in results[3]["error"]["message"]
        )
        assert results[4]["error"]["details"][0]["field"] == "billingEmail"
        assert all("data" not in x for x in results if "error" in x)
        names = {c["name"] for c in (await api.get("/clients")).json()["data"]}
        assert names == {"ok 1", "ok 2"}  # the failed update left no trace, the delete ran

    async def test_duplicates_within_the_batch(self, api: httpx.AsyncClient) -> None:
        r = await batch(
            api,
            {"op": "create", "data": client_body(email="same@example.com")},
            {"op": "create", "data": client_body(email="SAME@example.com")},
            {"op": "create", "data": client_body(externalId="X")},
            {"op": "create", "data": client_body(externalId="X")},
            {"op": "create", "data": client_body(externalIds=[{"system": "s", "id": "1"}])},
            {"op": "create", "data": client_body(externalIds=[{"system": "s", "id": "1"}])},
        )
        assert [x["status"] for x in r.json()["results"]] == [201, 409, 201, 409, 201, 409]
        numbers = [x["data"]["number"] for x in r.json()["results"] if "data" in x]
        assert numbers == [1, 2, 3]

    async def test_malformed_operations(self, api: httpx.AsyncClient) -> None:
        r = await batch(
            api,
            {"op": "explode"},
            "not an object",
            {"op": "update", "id": "not-a-uuid", "data": {}},
            {"op": "delete"},
            {"op": "create", "data": client_body(colour="red")},
            {"op": "upsert", "match": {}, "data": {"name": "x"}},
            {"op": "create", "data": client_body()},
        )
        assert r.status_code == 207
        results = r.json()["results"]
        assert [x["status"] for x in results] == [400] * 6 + [201]
        assert results[0]["error"]["details"][0]["field"] == "op"
        assert results[3]["error"]["details"][0]["field"] == "id"
        assert results[4]["error"]["details"] == [
            {"field": "data.colour", "message": "unknown field"}
        ]

    async def test_more_than_500_is_400(self, api: httpx.AsyncClient) -> None:
        ops = [{"op": "delete", "id": MISSING}] * 501
        r = await batch(api, *ops)
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "operations"
        r = await api.post("/clients/batch", json={"operations": [], "extra": 1})
        assert r.status_code == 400

    async def test_read_scope_is_403(self, api: httpx.AsyncClient, tenant: Any) -> None:
        r = await api.post(
            "/clients/batch", json={"operations": []}, headers=tenant.headers("read")
        )
        assert r.status_code == 403


class TestScale:
    async def test_500_creates_in_few_statements(
        self, api: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        ops = [
            {
                "op": "create",
                "data": client_body(
                    externalId=f"E{i}",
                    externalIds=[{"system": "sap", "id": str(i)}],
                    tags=["bulk"],
                ),
            }
            for i in range(500)
        ]
        with counted(engine) as statements:
            r = await batch(api, *ops)
        assert r.status_code == 200, r.text[:500]
        results = r.json()["results"]
        assert [x["data"]["number"] for x in results] == list(range(1, 501))
        # One by one this would be at least 500 x (savepoint, insert, release, number). (On
        # PostgreSQL the rows go by COPY, one round trip this listener does not see.)
        from collections import Counter

        assert len(statements) < 40, Counter(s[:70] for s in statements).most_common(6)
        listed = await api.get("/clients", params={"externalIds.sap": "499"})
        assert listed.json()["data"][0]["externalId"] == "E499"

    @pytest.mark.parametrize("copy_from", [1, 1000], ids=["copy", "insert"])
    async def test_a_clash_at_insert_falls_back_to_one_by_one(
        self, api: httpx.AsyncClient, monkeypatch: Any, copy_from: int
    ) -> None:
        from rolodex.core import rows
        from rolodex.core.clients import bulk

        async def nothing_taken(*args: Any, **kwargs: Any) -> dict[int, Any]:
            return {}  # as if a concurrent writer took the email after the check

        monkeypatch.setattr(bulk, "_clashes", nothing_taken)
        monkeypatch.setattr(rows, "COPY_FROM", copy_from)  # COPY on PostgreSQL, or INSERT
        await api.post("/clients", json=client_body(email="late@example.com"))
        r = await batch(
            api,
            {"op": "create", "data": client_body(name="a")},
            {"op": "create", "data": client_body(email="late@example.com")},
            {"op": "create", "data": client_body(name="b")},
        )
        assert [x["status"] for x in r.json()["results"]] == [201, 409, 201]
        assert (await api.get("/clients")).json()["meta"]["total"] == 3


async def test_batch_creates_emit_one_event_each(api: httpx.AsyncClient) -> None:
    ops = [
        {"op": "create", "data": {"name": f"B{i}", "email": f"b{i}@example.com"}} for i in range(3)
    ]
    ops.append({"op": "create", "data": {"name": "bad", "email": "nope"}})
    r = await api.post("/clients/batch", json={"operations": ops})
    assert r.status_code == 207, r.text
    created = {res["data"]["id"] for res in r.json()["results"] if res["status"] == 201}
    events = (await api.get("/events", params={"type": "client.created"})).json()["data"]
    assert {e["data"]["object"]["id"] for e in events} == created and len(events) == 3
    assert sorted(e["sequence"] for e in events) == [e["sequence"] for e in events]


async def test_a_create_with_contact_persons_and_addresses_keeps_them(
    api: httpx.AsyncClient,
) -> None:
    nested = {
        "name": "Nested",
        "contactPersons": [{"firstName": "Anna", "lastName": "Berg"}],
        "addresses": [{"city": "Oslo"}],
    }
    r = await batch(
        api,
        {"op": "create", "data": client_body()},
        {"op": "create", "data": nested},
        {"op": "create", "data": {**nested, "contactPersons": [{"email": "nope"}]}},
        {"op": "create", "data": client_body()},
    )
    assert r.status_code == 207, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == [201, 201, 400, 201]
    assert [c["name"] for c in results[1]["data"]["contactPersons"]] == ["Anna Berg"]
    assert [a["city"] for a in results[1]["data"]["addresses"]] == ["Oslo"]
    assert results[2]["error"]["details"][0]["field"] == "data.contactPersons[0].email"
    shown = (await api.get(f"/clients/{results[1]['data']['id']}")).json()
    assert shown["contactPersons"][0]["isMain"] is True and len(shown["addresses"]) == 1
    assert (await api.get("/clients")).json()["meta"]["total"] == 3
