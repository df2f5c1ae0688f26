"""The native orders resource over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from tests.conftest import Tenant
from tests.factories import client_body

MISSING = "0192f0c4-0000-7000-8000-000000000000"


async def make_client(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    r = await api.post("/clients", json=client_body(**overrides))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def make_order(api: httpx.AsyncClient, client_id: str, **fields: Any) -> dict[str, Any]:
    r = await api.post("/orders", json={"clientId": client_id, **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


BAD_FIELDS: list[dict[str, Any]] = [
    {"quantity": 0},
    {"quantity": -1},
    {"quantity": 1.5},
    {"quantity": "2"},
    {"quantity": 2**31},
    {"type": -1},
    {"type": "x"},
    {"type": True},
    {"status": "OPEN"},
    {"date": "yesterday"},
    {"archived": "yes"},
    {"colour": "red"},
    {"description": "x" * 10_001},
]


# A status path from DRAFT and the answer to its last step.
TRANSITIONS: list[tuple[list[str], int]] = [
    (["SUBMITTED"], 200),
    (["REVOKED"], 200),
    (["SUBMITTED", "REVOKED"], 200),
    (["DRAFT"], 200),
    (["SUBMITTED", "SUBMITTED"], 200),
    (["SUBMITTED", "DRAFT"], 409),
    (["REVOKED", "DRAFT"], 409),
    (["REVOKED", "SUBMITTED"], 409),
    (["SUBMITTED", "REVOKED", "REVOKED"], 200),
]


@pytest.fixture
async def client(api: httpx.AsyncClient) -> dict[str, Any]:
    return await make_client(api)


class TestCreate:
    async def test_defaults_and_numbers(self, api: httpx.AsyncClient, client: dict) -> None:
        r = await api.post("/orders", json={"clientId": client["id"]})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["number"] == 1 and body["clientId"] == client["id"]
        assert body["status"] == "DRAFT" and body["submittedAt"] is None
        assert body["type"] == 0 and body["quantity"] == 1 and body["description"] is None
        assert body["archived"] is False and body["archivedAt"] is None
        assert body["tags"] == [] and body["metadata"] == {} and body["externalId"] is None
        assert body["date"] == body["createdAt"] and body["date"].endswith("Z")
        assert body["version"] == 1 and r.headers["ETag"] == '"1"'
        assert (await make_order(api, client["id"]))["number"] == 2
        nulls = {"status": None, "type": None, "quantity": None, "date": None, "tags": None}
        third = await make_order(api, client["id"], **nulls)
        assert third["status"] == "DRAFT" and third["quantity"] == 1 and third["tags"] == []

    async def test_all_fields(self, api: httpx.AsyncClient, client: dict) -> None:
        body = await make_order(
            api,
            client["id"],
            status="SUBMITTED",
            type=3,
            description="  With client ",
            quantity=2,
            date="2018-05-28T12:32:28+02:00",
            archived=True,
            externalId="SO-1",
            tags=["license"],
            metadata={"activationlimit": 7, "isdemo": False},
        )
        assert body["status"] == "SUBMITTED" and body["submittedAt"] == body["createdAt"]
        assert body["description"] == "With client" and body["quantity"] == 2
        assert body["date"] == "2018-05-28T10:32:28.000Z"
        assert body["archived"] is True and body["archivedAt"] == body["createdAt"]
        assert body["metadata"] == {"activationlimit": 7, "isdemo": False}

    async def test_client_must_be_live_and_own(
        self, api: httpx.AsyncClient, client: dict, other_tenant: Tenant
    ) -> None:
        r = await api.post("/orders", json={})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientId"
        r = await api.post("/orders", json={"clientId": MISSING})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientId"
        foreign = await api.post(
            "/clients", json=client_body(), headers=other_tenant.headers("write")
        )
        r = await api.post("/orders", json={"clientId": foreign.json()["id"]})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientId"
        await api.delete(f"/clients/{client['id']}")
        r = await api.post("/orders", json={"clientId": client["id"]})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientId"

    async def test_bad_fields(self, api: httpx.AsyncClient, client: dict) -> None:
        for bad in BAD_FIELDS:
            r = await api.post("/orders", json={"clientId": client["id"], **bad})
            assert r.status_code == 400, (bad, r.text)
            assert r.json()["details"][0]["field"] == next(iter(bad))

    async def test_external_id_unique_per_organization(
        self, api: httpx.AsyncClient, client: dict, other_tenant: Tenant
    ) -> None:
        await make_order(api, client["id"], externalId="SO-1")
        r = await api.post("/orders", json={"clientId": client["id"], "externalId": "SO-1"})
        assert r.status_code == 409 and r.json()["error"] == "CONFLICT"
        # "" means none, and none may repeat.
        assert (await make_order(api, client["id"], externalId=""))["externalId"] is None
        await make_order(api, client["id"], externalId="")
        other = await api.post(
            "/clients", json=client_body(), headers=other_tenant.headers("write")
        )
        r = await api.post(
            "/orders",
            json={"clientId": other.json()["id"], "externalId": "SO-1"},
            headers=other_tenant.headers("write"),
        )
        assert r.status_code == 201 and r.json()["number"] == 1

    async def test_numbers_unique_under_concurrency(
        self, api: httpx.AsyncClient, client: dict
    ) -> None:
        answers = await asyncio.gather(
            *(api.post("/orders", json={"clientId": client["id"]}) for _ in range(30))
        )
        assert [r.status_code for r in answers] == [201] * 30
        assert sorted(r.json()["number"] for r in answers) == list(range(1, 31))

    async def test_read_scope_cannot_create(
        self, api: httpx.AsyncClient, client: dict, tenant: Tenant
    ) -> None:
        r = await api.post(
            "/orders", json={"clientId": client["id"]}, headers=tenant.headers("read")
        )
        assert r.status_code == 403


class TestStatus:
    async def test_transitions(self, api: httpx.AsyncClient, client: dict) -> None:
        for path, final in TRANSITIONS:
            order = await make_order(api, client["id"])
            for status in path:
                r = await api.patch(f"/orders/{order['id']}", json={"status": status})
            assert r.status_code == final, (path, r.text)
            if final == 409:
                message = r.json()["message"]
                assert f"from {path[-2]} to {path[-1]}" in message and "allowed" in message
            else:
                assert r.json()["status"] == path[-1]

    async def test_submitted_at(self, api: httpx.AsyncClient, client: dict) -> None:
        order = await make_order(api, client["id"])
        url = f"/orders/{order['id']}"
        submitted = (await api.patch(url, json={"status": "SUBMITTED"})).json()
        assert submitted["submittedAt"] and submitted["submittedAt"] >= order["createdAt"]
        again = (await api.patch(url, json={"status": "SUBMITTED"})).json()
        assert again["submittedAt"] == submitted["submittedAt"]
        revoked = (await api.patch(url, json={"status": "REVOKED"})).json()
        assert revoked["submittedAt"] == submitted["submittedAt"]
        draft = await make_order(api, client["id"])
        revoked = (await api.patch(f"/orders/{draft['id']}", json={"status": "REVOKED"})).json()
        assert revoked["submittedAt"] is None


class TestUpdate:
    async def test_patch(self, api: httpx.AsyncClient, client: dict) -> None:
        order = await make_order(api, client["id"], description="a", externalId="E", quantity=3)
        url = f"/orders/{order['id']}"
        r = await api.patch(url, json={"description": None, "quantity": 5, "externalId": ""})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["description"] is None and body["quantity"] == 5
        assert body["externalId"] is None and body["type"] == 0
        assert body["version"] == 2 and r.headers["ETag"] == '"2"'
        for field in ("clientId", "status", "quantity", "date", "type"):
            r = await api.patch(url, json={field: None})
            assert r.status_code == 400 and r.json()["details"][0]["field"] == field

    async def test_archived_at_follows_archived(self, api: httpx.AsyncClient, client: dict) -> None:
        order = await make_order(api, client["id"])
        url = f"/orders/{order['id']}"
        archived = (await api.patch(url, json={"archived": True})).json()
        assert archived["archivedAt"]
        again = (await api.patch(url, json={"archived": True})).json()
        assert again["archivedAt"] == archived["archivedAt"]
        back = (await api.patch(url, json={"archived": False})).json()
        assert back["archived"] is False and back["archivedAt"] is None

    async def test_if_match_and_read_only(self, api: httpx.AsyncClient, client: dict) -> None:
        order = await make_order(api, client["id"])
        url = f"/orders/{order['id']}"
        r = await api.patch(url, json={"quantity": 2}, headers={"If-Match": '"9"'})
        assert r.status_code == 412
        r = await api.patch(url, json={**order, "quantity": 2}, headers={"If-Match": '"1"'})
        assert r.status_code == 200, r.text
        r = await api.patch(url, json={"number": 99})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "number"

    async def test_move_to_another_client(self, api: httpx.AsyncClient, client: dict) -> None:
        order = await make_order(api, client["id"])
        other = await make_client(api)
        url = f"/orders/{order['id']}"
        assert (await api.patch(url, json={"clientId": other["id"]})).json()["clientId"] == other[
            "id"
        ]
        r = await api.patch(url, json={"clientId": MISSING})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientId"


class TestDelete:
    async def test_hard_delete(self, api: httpx.AsyncClient, client: dict) -> None:
        order = await make_order(api, client["id"])
        url = f"/orders/{order['id']}"
        assert (await api.delete(url, headers={"If-Match": '"5"'})).status_code == 412
        r = await api.delete(url)
        assert r.status_code == 200 and r.json()["id"] == order["id"]
        assert (await api.get(url)).status_code == 404
        assert (await api.delete(url)).status_code == 404


class TestClientOrders:
    async def test_nested_list(self, api: httpx.AsyncClient, client: dict) -> None:
        other = await make_client(api)
        mine = [await make_order(api, client["id"]) for _ in range(3)]
        await make_order(api, other["id"])
        r = await api.get(f"/clients/{client['id']}/orders", params={"sort": "-number"})
        assert r.status_code == 200, r.text
        assert [o["id"] for o in r.json()["data"]] == [o["id"] for o in reversed(mine)]
        assert r.json()["meta"]["total"] == 3
        assert (await api.get(f"/clients/{MISSING}/orders")).status_code == 404

    async def test_soft_delete_keeps_orders_purge_removes_them(
        self, api: httpx.AsyncClient, client: dict, tenant: Tenant
    ) -> None:
        order = await make_order(api, client["id"])
        assert (await api.delete(f"/clients/{client['id']}")).status_code == 200
        assert (await api.get(f"/orders/{order['id']}")).status_code == 200
        assert (await api.get(f"/clients/{client['id']}/orders")).status_code == 404
        restored = await api.post(f"/clients/{client['id']}/restore")
        assert restored.status_code == 200
        r = await api.delete(
            f"/clients/{client['id']}?permanent=true", headers=tenant.headers("admin")
        )
        assert r.status_code == 200
        assert (await api.get(f"/orders/{order['id']}")).status_code == 404
        assert (await api.get("/orders")).json()["meta"]["total"] == 0


class TestList:
    async def test_filters_and_sorts(self, api: httpx.AsyncClient, client: dict) -> None:
        other = await make_client(api)
        a = await make_order(api, client["id"], date="2024-03-01T00:00:00Z", tags=["vip"])
        b = await make_order(
            api, client["id"], status="SUBMITTED", date="2024-01-01T00:00:00Z", quantity=5
        )
        c = await make_order(
            api, other["id"], status="REVOKED", date="2024-02-01T00:00:00Z", metadata={"erp": "sap"}
        )

        async def ids(**params: Any) -> list[str]:
            r = await api.get("/orders", params={"sort": "number", **params})
            assert r.status_code == 200, r.text
            return [o["id"] for o in r.json()["data"]]

        newest_first = (await api.get("/orders")).json()["data"]
        assert [o["id"] for o in newest_first] == [c["id"], b["id"], a["id"]]
        assert await ids() == [a["id"], b["id"], c["id"]]
        assert await ids(status="DRAFT,SUBMITTED") == [a["id"], b["id"]]
        assert await ids(clientId=other["id"]) == [c["id"]]
        assert await ids(sort="date") == [b["id"], c["id"], a["id"]]
        assert await ids(sort="-date") == [a["id"], c["id"], b["id"]]
        assert await ids(sort="-number") == [c["id"], b["id"], a["id"]]
        assert await ids(sort="submittedAt") == [b["id"], a["id"], c["id"]]
        assert await ids(sort="-createdAt") == [c["id"], b["id"], a["id"]]
        assert await ids(tags="vip") == [a["id"]]
        assert await ids(**{"metadata.erp": "sap"}) == [c["id"]]
        assert await ids(**{"quantity[gte]": "2"}) == [b["id"]]
        assert await ids(**{"date[between]": "2024-01-15,2024-02-01"}) == [c["id"]]
        assert await ids(q=str(b["number"])) == [b["id"]]

    async def test_paging_and_cursor(self, api: httpx.AsyncClient, client: dict) -> None:
        made = [await make_order(api, client["id"]) for _ in range(5)]
        r = await api.get("/orders", params={"limit": 2, "page": 2, "sort": "number"})
        meta = r.json()["meta"]
        assert meta["total"] == 5 and meta["pageCount"] == 3 and meta["page"] == 2
        assert [o["number"] for o in r.json()["data"]] == [3, 4]
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 2, "sort": "-number"}
        while True:
            page = (await api.get("/orders", params=params)).json()
            seen += [o["id"] for o in page["data"]]
            if not page["meta"]["nextCursor"]:
                break
            params["cursor"] = page["meta"]["nextCursor"]
        assert seen == [o["id"] for o in reversed(made)]

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "OPEN"},
            {"sort": "description"},
            {"quantity[gte]": "many"},
            {"clientId": "nope"},
            {"bogus": "1"},
            {"includeDeleted": "true"},
        ],
    )
    async def test_bad_params(self, api: httpx.AsyncClient, params: dict[str, str]) -> None:
        r = await api.get("/orders", params=params)
        assert r.status_code == 400, r.text


class TestTenancy:
    async def test_other_organization_gets_404(
        self, api: httpx.AsyncClient, client: dict, other_tenant: Tenant
    ) -> None:
        order = await make_order(api, client["id"])
        url = f"/orders/{order['id']}"
        foreign = other_tenant.headers("admin")
        assert (await api.get(url, headers=foreign)).status_code == 404
        assert (await api.patch(url, json={"quantity": 2}, headers=foreign)).status_code == 404
        assert (await api.delete(url, headers=foreign)).status_code == 404
        nested = await api.get(f"/clients/{client['id']}/orders", headers=foreign)
        assert nested.status_code == 404
        assert (await api.get("/orders", headers=foreign)).json()["data"] == []
        assert (await api.get(url)).json()["quantity"] == 1


LIMITS = [
    ("metadata", {f"k{i}": i for i in range(51)}, {f"k{i}": i for i in range(50)}),
    ("metadata", {"k" * 41: 1}, {"k" * 40: 1}),
    ("metadata", {"k": "v" * 501}, {"k": "v" * 500}),
    ("metadata", {"k": {"nested": 1}}, {"k": None}),
    ("tags", [f"t{i}" for i in range(51)], [f"t{i}" for i in range(50)]),
    ("tags", ["t" * 65], ["t" * 64]),
]


class TestMetadataAndTagLimits:
    async def test_orders(self, api: httpx.AsyncClient, client: dict) -> None:
        for field, bad, good in LIMITS:
            r = await api.post("/orders", json={"clientId": client["id"], field: bad})
            assert r.status_code == 400, (field, bad)
            assert r.json()["details"][0]["field"].startswith(field)
            r = await api.post("/orders", json={"clientId": client["id"], field: good})
            assert r.status_code == 201, r.text

    async def test_clients(self, api: httpx.AsyncClient) -> None:
        for field, bad, good in LIMITS:
            r = await api.post("/clients", json=client_body(**{field: bad}))
            assert r.status_code == 400, (field, bad)
            assert r.json()["details"][0]["field"].startswith(field)
            r = await api.post("/clients", json=client_body(**{field: good}))
            assert r.status_code == 201, r.text

    async def test_client_filters(self, api: httpx.AsyncClient) -> None:
        vip = await make_client(api, tags=["vip", "b2b"], metadata={"erpSystem": "sap"})
        await make_client(api, tags=["b2c"], metadata={"erpSystem": "navision"})
        r = await api.get("/clients", params={"tags": "vip"})
        assert [c["id"] for c in r.json()["data"]] == [vip["id"]]
        r = await api.get("/clients", params={"metadata.erpSystem": "sap"})
        assert [c["id"] for c in r.json()["data"]] == [vip["id"]]


class TestOrderEvents:
    async def test_create_update_delete_emit_one_event_each(self, api: httpx.AsyncClient) -> None:
        client = (await api.post("/clients", json=client_body())).json()
        made = await api.post("/orders", json={"clientId": client["id"], "description": "a"})
        assert made.status_code == 201, made.text
        order = made.json()
        url = f"/orders/{order['id']}"
        assert (await api.patch(url, json={"status": "SUBMITTED"})).status_code == 200
        assert (await api.delete(url)).status_code == 200
        events = (await api.get("/events", params={"type": "order.*"})).json()["data"]
        assert [e["type"] for e in events] == ["order.created", "order.updated", "order.deleted"]
        assert all(e["data"]["object"]["id"] == order["id"] for e in events)
        assert events[1]["data"]["previousAttributes"]["status"] == "DRAFT"
        assert (await api.patch(url, json={"status": "DRAFT"})).status_code == 404
        after = (await api.get("/events", params={"type": "order.*"})).json()["data"]
        assert len(after) == 3


async def test_purging_a_client_deletes_its_orders_with_events(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    client = (await api.post("/clients", json=client_body())).json()
    for _ in range(2):
        r = await api.post("/orders", json={"clientId": client["id"]})
        assert r.status_code == 201
    r = await api.delete(f"/clients/{client['id']}?permanent=true", headers=tenant.headers("admin"))
    assert r.status_code == 200
    assert (await api.get("/orders")).json()["data"] == []
    types = [e["type"] for e in (await api.get("/events")).json()["data"]]
    assert types.count("order.deleted") == 2 and "client.purged" in types
