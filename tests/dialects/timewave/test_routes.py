"""The TimeWave routes over HTTP: the table row by row, lists, errors, and the native records."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.conftest import Tenant

from .table import ROWS, dig

BASE = "/v3/clients"


async def create(timewave: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await timewave.post(BASE, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


async def native_of(api: httpx.AsyncClient, number: int) -> dict[str, Any]:
    """The native record (with contact persons and addresses) of a TimeWave id."""
    r = await api.get("/clients", params={"number": number, "includeDeleted": "true"})
    (found,) = r.json()["data"]
    return dict(
        (await api.get(f"/clients/{found['id']}", params={"includeDeleted": "true"})).json()
    )


def assert_422(r: httpx.Response, field: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert field in body["errors"], body
    assert (body["status"], body["error"], body["success"]) == (422, "VALIDATION_ERROR", False)
    assert body["message"] and body["requestId"]
    assert {d["field"] for d in body["details"]} == set(body["errors"])


async def test_every_row_of_the_table(timewave: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    """Valid values are stored where the mapping says and read back; others are 422s."""
    target = await create(timewave, title="Target")
    for row in ROWS:
        for valid in row.valid:
            body = {"title": "T", **row.extra, row.field: valid.sent}
            made = await create(timewave, **body)
            assert made[row.answer_key] == valid.shown, (row.field, valid.sent)
            native = await native_of(api, made["id"])
            assert dig(native, valid.native) == valid.stored, (row.field, valid.sent)
            fetched = (await timewave.get(f"{BASE}/{made['id']}")).json()["data"]
            assert fetched == made
            if row.field == "email":  # unique: free it for the PUT below
                await timewave.put(f"{BASE}/{made['id']}", json={"email": None})
            r = await timewave.put(
                f"{BASE}/{target['id']}", json={**row.extra, row.field: valid.sent}
            )
            assert r.status_code == 200 and r.json()["data"][row.answer_key] == valid.shown
            native = await native_of(api, target["id"])
            assert dig(native, valid.native) == valid.stored, (row.field, valid.sent)
        for value in [*row.violating, *row.unholdable]:
            body = {"title": "T", **row.extra, row.field: value}
            assert_422(await timewave.post(BASE, json=body), row.field)
            r = await timewave.put(f"{BASE}/{target['id']}", json={**row.extra, row.field: value})
            assert_422(r, row.field)
    # Nothing refused was stored.
    r = await timewave.get(BASE, params={"per_page": 200})
    valid_count = sum(len(row.valid) for row in ROWS)
    assert r.json()["meta"]["total"] == valid_count + 1


class TestNativeRecords:
    async def test_timewave_create_is_the_native_record(
        self, timewave: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(
            timewave,
            first_name="Karin",
            last_name="Andersson",
            status="prospect",
            payment_type=2,
            secondary_email="billing@example.com",
            hourpot=12,
            number="1001",
            address={"address": "Storgatan 12", "postal_code": "111 22", "city": "Stockholm"},
            invoice_address={"address": "Box 1", "city": "Stockholm", "workarea_id": 3},
            references=[{"name": "PO", "description": "4711"}],
        )
        native = await native_of(api, made["id"])
        assert (native["name"], native["kind"], native["status"]) == (
            "Karin Andersson",
            "PERSON",
            "PROSPECT",
        )
        assert (native["paymentType"], native["billingEmail"]) == ("EMAIL", "billing@example.com")
        assert native["metadata"] == {"timewave.hourpot": 12, "timewave.number": "1001"}
        assert native["references"] == [{"id": 1, "name": "PO", "description": "4711"}]
        plain, invoice = native["addresses"]
        assert (plain["streetAndNumber"], plain["isDelivery"], plain["isInvoice"]) == (
            "Storgatan 12",
            False,
            False,
        )
        assert (invoice["isInvoice"], invoice["metadata"]) == (
            True,
            {"timewave.address_type": "invoice_address", "timewave.workarea_id": 3},
        )
        assert [a["id"] for a in made["addresses"]] == [plain["number"], invoice["number"]]
        assert made["title"] == "Karin Andersson" and made["deleted"] is False

    async def test_native_client_as_timewave_shows_it(
        self, timewave: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        kind = (await api.post("/client-types", json={"name": "Household"})).json()
        native = (
            await api.post(
                "/clients",
                json={
                    "name": "Lindqvist",
                    "clientTypeId": kind["id"],
                    "status": "CLOSED",
                    "paymentType": "KIVRA",
                    "paymentTerms": 20,
                    "metadata": {"timewave.bank_id": 4, "timewave.bank.bid": "NDEASESS"},
                    "contactPersons": [
                        {
                            "firstName": "Anna",
                            "lastName": "Lindqvist",
                            "jobTitle": "Owner",
                            "workPhone": "08-1",
                            "personalNumber": "19800101-0000",
                            "metadata": {
                                "timewave.taxreduction_percentage": 30,
                                "timewave.full_reduction_pot": 1,
                            },
                        }
                    ],
                    "addresses": [
                        {
                            "streetAndNumber": "Ringvägen 1",
                            "coAddress": "c/o Berg",
                            "isDelivery": True,
                            "metadata": {"timewave.port_code": "1234"},
                        }
                    ],
                },
            )
        ).json()
        shown = (await timewave.get(f"{BASE}/{native['number']}")).json()["data"]
        assert shown["clienttype"] == {"id": kind["number"], "name": "Household"}
        assert (shown["status"], shown["deleted"], shown["paymenttype"]) == ("deleted", False, 9)
        assert (shown["paymentterms"], shown["bank_id"]) == ("20", 4)
        assert shown["bank"] == {"id": 4, "bid": "NDEASESS", "enar": None, "name": None}
        (contact,) = shown["contacts"]
        assert contact == {
            "id": native["contactPersons"][0]["number"],
            "firstname": "Anna",
            "lastname": "Lindqvist",
            "title": "Owner",
            "phone": None,
            "mobile": None,
            "email": None,
            "fax": None,
            "workphone": "08-1",
            "taxreduction_percentage": 30,
            "full_reduction_pot": 1,
            "personal_number": "19800101-0000",
            "clienttype": {"id": kind["number"], "name": "Household"},
        }
        (address,) = shown["addresses"]
        assert (address["address"], address["co_address"], address["port_code"]) == (
            "Ringvägen 1",
            "c/o Berg",
            "1234",
        )
        assert (address["is_delivery"], address["address_type"], address["client_id"]) == (
            True,
            None,
            native["number"],
        )

    async def test_events_are_recorded(
        self, timewave: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(timewave, title="Evented")
        await timewave.put(f"{BASE}/{made['id']}", json={"status": "inactive"})
        await timewave.delete(f"{BASE}/{made['id']}")
        events = (await api.get("/events")).json()["data"]
        assert [e["type"] for e in events] == ["client.created", "client.updated", "client.deleted"]
        assert events[1]["data"]["previousAttributes"]["status"] == "ACTIVE"


class TestWrites:
    async def test_put_changes_only_what_is_sent(
        self, timewave: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(
            timewave,
            company_name="Andersson Bygg AB",
            phone="08-1",
            hourpot=5,
            number="77",
            references=[{"name": "PO"}],
            address={"city": "Lund"},
            delivery_address={"city": "Malmö"},
        )
        native = await native_of(api, made["id"])
        await api.patch(
            f"/clients/{native['id']}", json={"metadata": native["metadata"] | {"erp": "x"}}
        )
        r = await timewave.put(
            f"{BASE}/{made['id']}",
            json={
                "company_name": "Nya Bygg AB",
                "hourpot": None,
                "phone": None,
                "delivery_address": None,
                "address": {"city": "Uppsala", "port_code": "99"},
                "invoice_address": {"city": "Kiruna"},
                "references": [{"id": 1, "name": "PO2"}, {"id": 5, "name": "New"}],
            },
        )
        assert r.status_code == 200, r.text
        after = r.json()["data"]
        assert (after["title"], after["company_name"]) == ("Nya Bygg AB", "Nya Bygg AB")
        assert (after["phone"], after["hourpot"], after["number"]) == (None, None, "77")
        assert [(a["address_type"], a["city"], a["port_code"]) for a in after["addresses"]] == [
            ("address", "Uppsala", "99"),
            ("invoice_address", "Kiruna", None),
        ]
        assert after["addresses"][0]["id"] == made["addresses"][0]["id"]  # replaced in place
        assert [(ref["id"], ref["name"]) for ref in after["references"]] == [(1, "PO2"), (5, "New")]
        native = await native_of(api, made["id"])
        assert native["metadata"] == {"timewave.number": "77", "erp": "x"}
        # A refused PUT changes nothing.
        bad = {"status": "inactive", "invoice_address": {"postal_code": "1" * 33}}
        assert_422(
            await timewave.put(f"{BASE}/{made['id']}", json=bad), "invoice_address.postal_code"
        )
        assert (await timewave.get(f"{BASE}/{made['id']}")).json()["data"] == after

    async def test_fetched_record_can_be_sent_back(self, timewave: httpx.AsyncClient) -> None:
        made = await create(timewave, title="Round trip", payment_type=9, bank_id=3)
        r = await timewave.put(f"{BASE}/{made['id']}", json=made)
        assert r.status_code == 200, r.text
        assert r.json()["data"] == made

    async def test_clienttype_exists(
        self, timewave: httpx.AsyncClient, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        kind = (await api.post("/client-types", json={"name": "Company"})).json()
        made = await create(timewave, title="Typed", clienttype_id=kind["number"])
        assert made["clienttype"] == {"id": kind["number"], "name": "Company"}
        assert (await native_of(api, made["id"]))["clientTypeId"] == kind["id"]
        for value in (kind["number"] + 1, 0, "x"):
            assert_422(
                await timewave.post(BASE, json={"title": "T", "clienttype_id": value}),
                "clienttype_id",
            )
            r = await timewave.put(f"{BASE}/{made['id']}", json={"clienttype_id": value})
            assert_422(r, "clienttype_id")
        # Another organization's type does not exist here.
        headers = other_tenant.headers("write")
        r = await timewave.post(BASE, json={"title": "T", "clienttype_id": 1}, headers=headers)
        assert_422(r, "clienttype_id")
        r = await timewave.put(f"{BASE}/{made['id']}", json={"clienttype_id": None})
        assert r.status_code == 200 and r.json()["data"]["clienttype"] is None

    async def test_secondary_email_when_paying_by_email(self, timewave: httpx.AsyncClient) -> None:
        assert_422(
            await timewave.post(BASE, json={"title": "A", "payment_type": 2}), "secondary_email"
        )
        made = await create(timewave, title="A", payment_type=1)
        r = await timewave.put(f"{BASE}/{made['id']}", json={"payment_type": 2})
        assert_422(r, "secondary_email")
        r = await timewave.put(
            f"{BASE}/{made['id']}", json={"payment_type": 2, "secondary_email": "b@example.com"}
        )
        assert r.status_code == 200
        assert_422(
            await timewave.put(f"{BASE}/{made['id']}", json={"secondary_email": None}),
            "secondary_email",
        )

    async def test_a_name_is_required(self, timewave: httpx.AsyncClient) -> None:
        assert_422(await timewave.post(BASE, json={}), "title")
        assert_422(await timewave.post(BASE, json={"title": "", "phone": "1"}), "title")
        for field in ("title", "company_name", "first_name", "last_name"):
            made = await create(timewave, **{field: "Name"})
            assert made["title"] == "Name"
        r = await timewave.put(f"{BASE}/{made['id']}", json={"last_name": None})
        assert_422(r, "title")

    async def test_references_post_and_put(self, timewave: httpx.AsyncClient) -> None:
        assert_422(
            await timewave.post(BASE, json={"title": "A", "references": [{"id": 1, "name": "x"}]}),
            "references.0.id",
        )
        assert_422(
            await timewave.post(BASE, json={"title": "A", "references": [{}]}), "references.0.name"
        )
        made = await create(timewave, title="A", references=[{"name": "x"}, {"name": "y"}])
        assert [ref["id"] for ref in made["references"]] == [1, 2]
        r = await timewave.put(f"{BASE}/{made['id']}", json={"references": [{"name": "z"}]})
        assert_422(r, "references.0.id")
        r = await timewave.put(f"{BASE}/{made['id']}", json={"references": []})
        assert r.status_code == 200 and r.json()["data"]["references"] == []

    async def test_duplicate_email_is_the_native_409(self, timewave: httpx.AsyncClient) -> None:
        await create(timewave, title="A", email="a@example.com")
        r = await timewave.post(BASE, json={"title": "B", "email": "A@example.com"})
        assert r.status_code == 409 and r.json()["error"] == "CONFLICT"
        assert "errors" not in r.json()

    async def test_malformed_json_is_the_native_400(self, timewave: httpx.AsyncClient) -> None:
        r = await timewave.post(
            BASE, content=b'{"title": ', headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400 and r.json()["error"] == "VALIDATION_ERROR"

    async def test_input_refused_before_any_route_is_a_422_too(
        self, timewave: httpx.AsyncClient
    ) -> None:
        """The server's input guard answers TimeWave's 422, naming the field Laravel's way."""
        json = {"Content-Type": "application/json"}
        made = await create(timewave, title="Guarded")
        for method, path, body, field in [
            ("POST", BASE, b'{"title": "A\\u0000"}', "title"),
            ("POST", BASE, b'{"title": "A\\ud800"}', "title"),
            ("POST", BASE, b'{"references": [{"name": "\\u0000"}]}', "references.0.name"),
            ("PUT", f"{BASE}/{made['id']}", b'{"address": {"city": "\\u0000"}}', "address.city"),
            ("POST", BASE, b'{"title": "x", "references": ' + b"[" * 40 + b"]" * 40 + b"}", "body"),
        ]:
            r = await timewave.request(method, path, content=body, headers=json)
            assert_422(r, field)
        assert "32 levels" in r.json()["errors"]["body"][0]
        assert_422(await timewave.get(BASE, params={"email": "a\x00"}), "email")
        # A NUL in the path: not a number, so no client (as /v3/clients/abc).
        r = await timewave.get(f"{BASE}/1%00")
        assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND"
        assert (await timewave.get(f"{BASE}/{made['id']}")).json()["data"]["title"] == "Guarded"

    async def test_what_is_not_a_validation_failure_keeps_the_native_answer(
        self, app: Any, tenant: Tenant, settings: Any, engine: Any
    ) -> None:
        """Not JSON, too large, another media type: 400, 413, 415 with the native DTO."""
        from rolodex.api.app import create_app

        small = create_app(settings.model_copy(update={"max_body_bytes": 1000}), engine=engine)
        transport = httpx.ASGITransport(app=small)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=tenant.headers("write")
        ) as client:
            json = {"Content-Type": "application/json"}
            for body, headers, status in [
                (b'{"title": ', json, 400),
                (b'{"title": "\xff"}', json, 400),
                (b'{"title": "' + b"x" * 2000 + b'"}', json, 413),
                (b'{"title": "A"}', {"Content-Type": "text/plain"}, 415),
            ]:
                r = await client.post(BASE, content=body, headers=headers)
                assert r.status_code == status, r.text
                assert "errors" not in r.json() and r.json()["status"] == status


class TestDelete:
    async def test_deleted_flag_is_not_the_status(
        self, timewave: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        closed = await create(timewave, title="Closed", status="deleted")
        assert (closed["status"], closed["deleted"]) == ("deleted", False)
        gone = await create(timewave, title="Gone")
        r = await timewave.delete(f"{BASE}/{gone['id']}")
        assert r.status_code == 200 and r.json()["data"]["deleted"] is True
        r = await timewave.get(f"{BASE}/{gone['id']}")
        assert r.status_code == 200 and r.json()["data"]["deleted"] is True
        assert (await native_of(api, gone["id"]))["deletedAt"] is not None
        for method in ("PUT", "DELETE"):
            r = await timewave.request(method, f"{BASE}/{gone['id']}", json={})
            assert r.status_code == 404 and "errors" not in r.json(), method
        listed = (await timewave.get(BASE)).json()["data"]
        assert [c["title"] for c in listed] == ["Closed"]


class TestLists:
    async def test_filters_sorts_and_paging(
        self, timewave: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        # Every sortable field ascends A < B < C (numbers as numbers, payment types by code).
        values = {
            "status": ["active", "inactive", "prospect"],
            "title": ["Alpha", "Beta", "Gamma"],
            "phone": ["08-1", "08-2", "08-3"],
            "mobile": ["07-1", "07-2", "07-3"],
            "paymentterms": ["9", "10", "30"],
            "email": ["a@example.com", "b@example.com", "c@example.com"],
            "employee_id": [9, 10, 30],
            "payment_type": [1, 3, 9],
            "hourpot": [9, 10.5, 30],
            "fax": ["1", "2", "3"],
            "workphone": ["1", "2", "3"],
            "has_hourpot": [False, True, None],
            "secondary_email": ["a@example.com", "b@example.com", "c@example.com"],
            "www": ["https://a.se", "https://b.se", "https://c.se"],
            "invoicetemplate_id": [9, 10, 30],
            "first_name": ["a", "b", "c"],
            "last_name": ["a", "b", "c"],
            "company_name": ["a", "b", "c"],
            "personal_number": ["1", "2", "3"],
            "invoice_fee_id": [9, 10, 30],
            "number": ["9", "10", "A-7"],
        }
        made = [await create(timewave, **{k: v[i] for k, v in values.items()}) for i in range(3)]
        a, b, c = (m["id"] for m in made)

        async def ids(**params: Any) -> list[int]:
            r = await timewave.get(BASE, params=params)
            assert r.status_code == 200, (params, r.text)
            return [item["id"] for item in r.json()["data"]]

        for field in [
            "id",
            "clientnbr",
            *[f for f in values if f not in ("payment_type", "number")],
            "paymenttype",
        ]:
            assert await ids(sort=field) == [a, b, c], field
            assert await ids(sort=f"-{field}") == [c, b, a], field
        assert await ids() == [a, b, c]  # by id by default
        # Filters: equality on every field marked Filter, ranges on the Numeric ones.
        assert await ids(id=b) == [b]
        assert await ids(**{"id[gt]": a}) == [b, c]
        assert await ids(**{"id[lt]": c}) == [a, b]
        assert await ids(**{"id[between]": f"{b},{c}"}) == [b, c]
        assert await ids(status="inactive") == [b]
        assert await ids(status="active,prospect") == [a, c]
        assert await ids(email="B@Example.com") == [b]
        assert await ids(personal_number="3") == [c]
        assert await ids(number="10") == [b]
        assert await ids(number="010") == [b]  # digits compare as numbers
        assert await ids(number="A-7") == [c]
        assert await ids(**{"number[gt]": "9"}) == [b]  # "A-7" is not a number
        assert await ids(**{"number[lt]": "10"}) == [a]
        assert await ids(**{"number[between]": "1,10"}) == [a, b]
        assert await ids(title="Alpha", foo="bar", limit="1") == [a, b, c]  # not filters: ignored
        # Paging.
        r = await timewave.get(BASE, params={"per_page": 2, "page": 2})
        assert [i["id"] for i in r.json()["data"]] == [c]
        assert r.json()["meta"] == {"current_page": 2, "per_page": 2, "total": 3, "last_page": 2}
        r = await timewave.get(BASE)
        assert r.json()["meta"] == {"current_page": 1, "per_page": 15, "total": 3, "last_page": 1}
        # Deleted: hidden unless the `deleted` filter asks.
        await timewave.delete(f"{BASE}/{c}")
        assert await ids() == [a, b]
        assert await ids(deleted="1") == [c]
        assert await ids(deleted="false") == [a, b]
        assert await ids(deleted="0,1", sort="-deleted,id") == [c, a, b]

    @pytest.mark.parametrize(
        "params",
        [
            {"sort": "comment"},
            {"per_page": "500"},
            {"page": "0"},
            {"id": "abc"},
            {"id[gte]": "1"},
            {"email[gt]": "a"},
            {"number[gt]": "x"},
            {"status": "borttagen"},
        ],
    )
    async def test_bad_parameters_are_422(
        self, timewave: httpx.AsyncClient, params: dict[str, str]
    ) -> None:
        r = await timewave.get(BASE, params=params)
        assert_422(r, next(iter(params)))


class TestAccess:
    async def test_keys_scopes_and_tenants(
        self,
        raw_client: httpx.AsyncClient,
        timewave: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
    ) -> None:
        r = await raw_client.get(BASE)
        assert r.status_code == 401 and r.json()["error"] == "UNAUTHORIZED"
        read = tenant.headers("read")
        assert (await raw_client.get(BASE, headers=read)).status_code == 200
        r = await raw_client.post(BASE, json={"title": "A"}, headers=read)
        assert r.status_code == 403 and "errors" not in r.json()
        made = await create(timewave, title="Mine")
        other = other_tenant.headers("write")
        for method in ("GET", "PUT", "DELETE"):
            r = await raw_client.request(method, f"{BASE}/{made['id']}", json={}, headers=other)
            assert r.status_code == 404, method
        assert (await raw_client.get(BASE, headers=other)).json()["meta"]["total"] == 0
        for raw in ("999", "abc", "0", "-1"):
            r = await timewave.get(f"{BASE}/{raw}")
            assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND", raw


async def test_openapi(raw_client: httpx.AsyncClient) -> None:
    spec = (await raw_client.get("/openapi.json")).json()
    operations = {
        (method, path): op
        for path, item in spec["paths"].items()
        if path.startswith(BASE)
        for method, op in item.items()
    }
    assert set(operations) == {
        ("get", BASE),
        ("post", BASE),
        ("get", f"{BASE}/{{id}}"),
        ("put", f"{BASE}/{{id}}"),
        ("delete", f"{BASE}/{{id}}"),
    }
    for op in operations.values():
        assert op["tags"] == ["dialect: TimeWave"] and op["description"]
        assert "422" in op["responses"]
    listed = {p["name"] for p in operations["get", BASE]["parameters"]}
    assert {"page", "per_page", "sort", "id[gt]", "number[between]", "deleted"} <= listed
