"""The customers & orders v1.0 routes over HTTP: lists, writes, errors, auth, and the same
records as the native API."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import httpx
from tests.conftest import Tenant

from rolodex.core.clients.models import Client
from rolodex.core.db import session_scope

PATH = "/v1.0/customers"


async def create(customers: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await customers.post(PATH, json=body)
    assert r.status_code == 200, r.text
    return dict(r.json()["customer"])


async def native(api: httpx.AsyncClient, number: int) -> dict[str, Any]:
    r = await api.get("/clients", params={"number": number, "includeDeleted": "true"})
    (found,) = r.json()["data"]
    r = await api.get(f"/clients/{found['id']}", params={"includeDeleted": "true"})
    return dict(r.json())


async def ids(customers: httpx.AsyncClient, **params: Any) -> list[int]:
    r = await customers.get(PATH, params=params)
    assert r.status_code == 200, r.text
    return [c["_id"] for c in r.json()["customers"]]


class TestSameRecords:
    async def test_customer_is_the_native_client(
        self, customers: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(
            customers,
            customerName="Lena",
            customerLastName="Licensee",
            customerEmail="lena@example.com",
            customerDescription="VIP",
            crmId="CRM-7",
            refId="R-1",
        )
        client = await native(api, made["_id"])
        assert (client["name"], client["kind"], client["status"]) == (
            "Lena Licensee",
            "PERSON",
            "ACTIVE",
        )
        assert (client["firstName"], client["lastName"], client["companyName"]) == (
            "Lena",
            "Licensee",
            None,
        )
        assert client["externalId"] == "CRM-7" and client["metadata"] == {"refid": "R-1"}
        assert client["additionalInformation"] == "VIP" and client["email"] == "lena@example.com"
        assert (made["crmid"], made["refid"], made["status"]) == ("CRM-7", "R-1", 1)

    async def test_native_client_is_a_customer(
        self, customers: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        body = {
            "name": "Acme Construction",
            "city": "Stockholm",
            "status": "PROSPECT",
            "metadata": {"erp": "sap"},
            "tags": ["vip"],
        }
        made = (await api.post("/clients", json=body)).json()
        r = await customers.get(f"{PATH}/{made['number']}")
        assert r.json() == {
            "customer": {
                "_id": made["number"],
                "description": "",
                "email": "",
                "name": "",
                "lastname": "",
                "companyname": "",
                "phone": "",
                "status": 0,
                "archived": False,
                "archivationdate": 0,
                "crmid": "",
                "refid": "",
            }
        }
        # A change leaves what the document does not show alone; the name stays until a name
        # part is sent, and a 0 status keeps the prospect a prospect.
        r = await customers.put(
            f"{PATH}/{made['number']}",
            json={"customerPhone": "555", "customerStatus": 0, "refId": "R"},
        )
        assert r.status_code == 200
        after = await native(api, made["number"])
        assert (after["name"], after["status"], after["phone"]) == (
            "Acme Construction",
            "PROSPECT",
            "555",
        )
        assert after["city"] == "Stockholm" and after["tags"] == ["vip"]
        assert after["metadata"] == {"erp": "sap", "refid": "R"}
        await customers.put(f"{PATH}/{made['number']}", json={"customerCompanyName": "Acme AB"})
        after = await native(api, made["number"])
        assert (after["name"], after["kind"], after["companyName"]) == (
            "Acme AB",
            "COMPANY",
            "Acme AB",
        )

    async def test_native_delete_hides_the_customer(
        self, customers: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(customers, customerName="Gone")
        client = await native(api, made["_id"])
        assert (await api.delete(f"/clients/{client['id']}")).status_code == 200
        assert (await customers.get(f"{PATH}/{made['_id']}")).status_code == 404
        assert await ids(customers) == []

    async def test_writes_are_events(
        self, customers: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(customers, customerName="Eve")
        await customers.put(f"{PATH}/{made['_id']}", json={"customerStatus": 0})
        await customers.delete(f"{PATH}/{made['_id']}")
        events = (await api.get("/events")).json()["data"]
        assert [e["type"] for e in events] == ["client.created", "client.updated", "client.deleted"]
        assert events[1]["data"]["previousAttributes"] == {"status": "ACTIVE"}


class TestWrites:
    async def test_create_answers_200_with_the_customer(self, customers: httpx.AsyncClient) -> None:
        r = await customers.post(PATH, json={" customerName": "Peter", "customerPhone": "8"})
        assert r.status_code == 200
        assert r.json()["customer"]["name"] == "Peter" and r.json()["customer"]["phone"] == "8"

    async def test_duplicates_conflict(self, customers: httpx.AsyncClient) -> None:
        await create(customers, customerName="A", customerEmail="a@example.com", crmId="C1")
        for body in ({"customerEmail": "A@Example.com"}, {"crmId": "C1"}):
            r = await customers.post(PATH, json={"customerName": "B", **body})
            assert r.status_code == 409, body
            assert (r.json()["status"], r.json()["error"]) == (409, "CONFLICT")
        other = await create(customers, customerName="C")
        r = await customers.put(f"{PATH}/{other['_id']}", json={"crmId": "C1"})
        assert r.status_code == 409
        # An empty crmId is none: any number of customers may have it.
        await create(customers, customerName="D", crmId="")
        await create(customers, customerName="E", crmId="")

    async def test_validation_names_the_documents_fields(
        self, customers: httpx.AsyncClient
    ) -> None:
        for body, field in [
            ({"customerEmail": "a@example.com"}, "customerName"),
            ({"customerName": "A", "customerEmail": "nope"}, "customerEmail"),
            ({"customerName": "A", "customerPhone": "call me"}, "customerPhone"),
            ({"customerName": "A", "customerStatus": 5}, "customerStatus"),
            ({"customerName": "A", "customerStatus": "1"}, "customerStatus"),
            ({"customerName": "A", "archived": "no"}, "archived"),
            ({"customerName": "A", "crmId": "x" * 256}, "crmId"),
            ({"customerName": "A", "refId": "x" * 501}, "refId"),
            ({"customerName": "A", "colour": "red"}, "colour"),
        ]:
            r = await customers.post(PATH, json=body)
            assert r.status_code == 400, r.text
            answer = r.json()
            assert (answer["status"], answer["error"], answer["success"]) == (
                400,
                "VALIDATION_ERROR",
                False,
            )
            assert [d["field"] for d in answer["details"]] == [field], body

    async def test_malformed_json(self, customers: httpx.AsyncClient) -> None:
        r = await customers.post(PATH, content=b"{", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"] == "VALIDATION_ERROR"

    async def test_put_is_partial(self, customers: httpx.AsyncClient) -> None:
        made = await create(
            customers, customerName="Peter", customerEmail="p@example.com", customerPhone="8"
        )
        r = await customers.put(f"{PATH}/{made['_id']}", json={"customerPhone": "9"})
        assert r.status_code == 200 and r.json()["customer"] == made | {"phone": "9"}
        r = await customers.put(f"{PATH}/{made['_id']}", json={"customerEmail": ""})
        assert r.json()["customer"]["email"] == ""
        r = await customers.put(f"{PATH}/{made['_id']}", json={"customerName": ""})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "customerName"

    async def test_archiving(self, customers: httpx.AsyncClient) -> None:
        made = await create(customers, customerName="Old")
        before = int(time.time())
        r = await customers.put(f"{PATH}/{made['_id']}", json={"archived": True})
        archived = r.json()["customer"]
        assert archived["archived"] is True
        assert before - 1 <= archived["archivationdate"] <= int(time.time()) + 1
        r = await customers.put(f"{PATH}/{made['_id']}", json={"archived": False})
        assert (r.json()["customer"]["archived"], r.json()["customer"]["archivationdate"]) == (
            False,
            0,
        )
        created = await create(customers, customerName="Born old", archived=True)
        assert created["archived"] is True and created["archivationdate"] > 0

    async def test_delete_then_gone(
        self, customers: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(customers, customerName="Bye", customerEmail="bye@example.com")
        r = await customers.delete(f"{PATH}/{made['_id']}")
        assert r.status_code == 200 and r.json() == {"customer": made}
        for method, path in [
            ("GET", f"{PATH}/{made['_id']}"),
            ("PUT", f"{PATH}/{made['_id']}"),
            ("DELETE", f"{PATH}/{made['_id']}"),
            ("GET", f"{PATH}/{made['_id']}/orders"),
        ]:
            r = await customers.request(method, path, json={} if method == "PUT" else None)
            assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND", (method, path)
        # A soft delete: natively restorable, and the email is free again.
        assert (await native(api, made["_id"]))["deletedAt"] is not None
        await create(customers, customerName="Again", customerEmail="bye@example.com")


class TestReads:
    async def test_unknown_is_404(self, customers: httpx.AsyncClient) -> None:
        for customer_id in ("999", "0", "-3", "99999999999999"):
            for path in (f"{PATH}/{customer_id}", f"{PATH}/{customer_id}/orders"):
                r = await customers.get(path)
                assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND", path

    async def test_not_an_integer_is_400(self, customers: httpx.AsyncClient) -> None:
        r = await customers.get(f"{PATH}/abc")
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "id"

    async def test_other_tenant_is_404(
        self, customers: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        made = await create(customers, customerName="Mine")
        headers = other_tenant.headers("admin")
        for method in ("GET", "PUT", "DELETE"):
            r = await customers.request(
                method,
                f"{PATH}/{made['_id']}",
                json={} if method == "PUT" else None,
                headers=headers,
            )
            assert r.status_code == 404, method
        assert (
            await customers.get(f"{PATH}/{made['_id']}/orders", headers=headers)
        ).status_code == 404
        assert (await customers.get(PATH, headers=headers)).json() == {"customers": []}

    async def test_sorts(self, customers: httpx.AsyncClient) -> None:
        people = [
            {"customerName": "Zoe", "customerLastName": "adams"},
            {"customerName": "amy", "customerLastName": "Adams"},
            {"customerName": "Bob", "customerCompanyName": "beta"},
            {"customerName": "Al", "customerCompanyName": "Acme"},
            {"customerLastName": "Baker"},
        ]
        made = [(await create(customers, **body))["_id"] for body in people]
        zoe, amy, bob, al, baker = made
        # default: company name, then last name, then first name; no company sorts as "",
        # case does not matter.
        assert await ids(customers) == [amy, zoe, baker, al, bob]
        assert await ids(customers, sortby="default", direction="desc") == [
            bob,
            al,
            baker,
            zoe,
            amy,
        ]
        assert await ids(customers, sortby="company") == [zoe, amy, baker, al, bob]
        assert await ids(customers, sortby="name") == [al, bob, amy, zoe, baker]
        assert await ids(customers, sortby="NAME", direction="Desc") == [baker, zoe, amy, bob, al]

    async def test_offset_and_limit(self, customers: httpx.AsyncClient) -> None:
        made = [(await create(customers, customerName=f"P{i}"))["_id"] for i in range(5)]
        assert await ids(customers, sortby="name") == made
        assert await ids(customers, sortby="name", offset=1, limit=3) == made[1:4]
        assert await ids(customers, sortby="name", offset=3) == made[3:]
        assert await ids(customers, sortby="name", offset=5) == []
        assert await ids(customers, sortby="name", limit=1) == made[:1]

    async def test_default_limit_is_100(
        self, customers: httpx.AsyncClient, sessions: Any, tenant: Tenant
    ) -> None:
        async with session_scope(sessions) as session:
            session.add_all(
                Client(organization_id=UUID(tenant.id), number=n, name=f"C{n}", first_name="C")
                for n in range(1, 102)
            )
        first, rest = await ids(customers), await ids(customers, offset=100)
        assert len(first) == 100 and sorted(first + rest) == list(range(1, 102))

    async def test_type_and_archived(self, customers: httpx.AsyncClient) -> None:
        company = (await create(customers, customerName="A", customerCompanyName="Acme"))["_id"]
        person = (await create(customers, customerName="Bob"))["_id"]
        old = (await create(customers, customerName="Cy", archived=True))["_id"]
        assert await ids(customers, type="company") == [company]
        assert await ids(customers, type="Person") == [person, old]
        assert await ids(customers, type="robot") == [person, old, company]
        assert await ids(customers, archived="true") == [old]
        assert await ids(customers, archived="false", type="person") == [person]

    async def test_unnamed_parameters_ignored(self, customers: httpx.AsyncClient) -> None:
        made = await create(customers, customerName="Gone")
        await customers.delete(f"{PATH}/{made['_id']}")
        live = (await create(customers, customerName="Live"))["_id"]
        params = {"includeDeleted": "true", "page": "9", "status": "NOPE", "sort": "x", "q": "zz"}
        assert await ids(customers, **params) == [live]

    async def test_bad_list_parameters(self, customers: httpx.AsyncClient) -> None:
        for params, field in [
            ({"sortby": "email"}, "sortby"),
            ({"direction": "up"}, "direction"),
            ({"archived": "maybe"}, "archived"),
            ({"limit": "500"}, "limit"),
            ({"limit": "0"}, "limit"),
            ({"offset": "-1"}, "offset"),
            ({"offset": "x"}, "offset"),
        ]:
            r = await customers.get(PATH, params=params)
            assert r.status_code == 400 and r.json()["details"][0]["field"] == field, params


class TestOrders:
    async def orders(
        self, customers: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> tuple[int, list[int]]:
        """A customer with a draft, a submitted, a revoked and another draft order (by number),
        and another customer's order."""
        made = await create(customers, customerName="Licensee")
        client = await native(api, made["_id"])
        numbers = []
        for status in ("DRAFT", "SUBMITTED", "SUBMITTED", "DRAFT"):
            body = {"clientId": client["id"], "status": status}
            numbers.append((await api.post("/orders", json=body)).json()["number"])
            if len(numbers) == 3:  # submitted, then revoked
                order = (await api.get("/orders", params={"sort": "-number", "limit": 1})).json()
                patch = {"status": "REVOKED"}
                await api.patch(f"/orders/{order['data'][0]['id']}", json=patch)
        other = await native(api, (await create(customers, customerName="Other"))["_id"])
        await api.post("/orders", json={"clientId": other["id"]})
        return made["_id"], numbers

    async def test_sort_filter_and_paging(
        self, customers: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        customer, (draft, submitted, revoked, draft2) = await self.orders(customers, api)

        async def listed(**params: Any) -> list[int]:
            r = await customers.get(f"{PATH}/{customer}/orders", params=params)
            assert r.status_code == 200, r.text
            return [order["_id"] for order in r.json()["orders"]]

        assert await listed() == [draft, submitted, revoked, draft2]
        assert await listed(direction="desc") == [draft2, revoked, submitted, draft]
        assert await listed(status="0,1") == [draft, submitted, draft2]
        assert await listed(status="2") == [revoked]
        assert await listed(offset=1, limit=2) == [submitted, revoked]
        # Never submitted shows submitdate 0 and sorts so: first ascending, last descending.
        by_submit = await listed(sortby="submitdate")
        assert by_submit[2:] == [submitted, revoked] and set(by_submit[:2]) == {draft, draft2}
        assert (await listed(sortby="submitdate", direction="desc"))[:2] == [revoked, submitted]
        r = await customers.get(f"{PATH}/{customer}/orders", params={"status": "1"})
        (order,) = r.json()["orders"]
        assert order["number"] == order["_id"] == submitted and order["submitdate"] > 0
        assert order["status"] == 1 and order["customerrequired"] is True

    async def test_licensing_fields_round_trip_through_metadata(
        self, customers: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(customers, customerName="Licensee")
        client = await native(api, made["_id"])
        metadata = {
            "activationbirthdate": 1538463338,
            "activationdeathdate": 1600000000,
            "activationlimit": 3,
            "canoverwritecontainer": True,
            "customerrequired": False,
            "isdemo": True,
            "refid": "R-5",
        }
        body = {"clientId": client["id"], "metadata": metadata, "externalId": "SO-5"}
        order = (await api.post("/orders", json=body)).json()
        (shown,) = (await customers.get(f"{PATH}/{made['_id']}/orders")).json()["orders"]
        assert {key: shown[key] for key in metadata} == metadata
        assert shown["crmid"] == "SO-5"
        await api.patch(f"/orders/{order['id']}", json={"archived": True})
        (shown,) = (await customers.get(f"{PATH}/{made['_id']}/orders")).json()["orders"]
        assert shown["archived"] is True and shown["archivationdate"] > 0

    async def test_bad_parameters(self, customers: httpx.AsyncClient) -> None:
        made = await create(customers, customerName="Licensee")
        for params, field in [
            ({"status": "0,5"}, "status"),
            ({"sortby": "date"}, "sortby"),
            ({"direction": "sideways"}, "direction"),
            ({"limit": "201"}, "limit"),
        ]:
            r = await customers.get(f"{PATH}/{made['_id']}/orders", params=params)
            assert r.status_code == 400 and r.json()["details"][0]["field"] == field, params


class TestAuth:
    async def test_keys_and_scopes(self, raw_client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await raw_client.get(PATH)
        assert r.status_code == 401 and r.json()["error"] == "UNAUTHORIZED"
        read = tenant.headers("read")
        assert (await raw_client.get(PATH, headers=read)).status_code == 200
        r = await raw_client.post(PATH, json={"customerName": "A"}, headers=read)
        assert r.status_code == 403 and r.json()["error"] == "FORBIDDEN"
        assert (await raw_client.put(f"{PATH}/1", json={}, headers=read)).status_code == 403
        assert (await raw_client.delete(f"{PATH}/1", headers=read)).status_code == 403
        assert (await raw_client.get(f"{PATH}/1/orders")).status_code == 401


async def test_openapi(raw_client: httpx.AsyncClient) -> None:
    spec = (await raw_client.get("/openapi.json")).json()
    operations = {
        (method, path): op
        for path, item in spec["paths"].items()
        if path.startswith(PATH)
        for method, op in item.items()
    }
    assert set(operations) == {
        ("get", PATH),
        ("post", PATH),
        ("get", f"{PATH}/{{id}}"),
        ("put", f"{PATH}/{{id}}"),
        ("delete", f"{PATH}/{{id}}"),
        ("get", f"{PATH}/{{id}}/orders"),
    }
    for op in operations.values():
        assert op["tags"] == ["dialect: customers & orders v1.0"] and op["description"]
    listed = operations["get", PATH]
    assert {p["name"] for p in listed["parameters"]} == {
        "sortby",
        "direction",
        "offset",
        "limit",
        "type",
        "archived",
    }
    orders = operations["get", f"{PATH}/{{id}}/orders"]
    assert {p["name"] for p in orders["parameters"]} == {
        "id",
        "sortby",
        "direction",
        "offset",
        "limit",
        "status",
    }
    assert "409" in operations["post", PATH]["responses"]
    body = operations["post", PATH]["requestBody"]["content"]["application/json"]
    assert body["examples"]["document"]["value"][" customerName"] == "My first name"
