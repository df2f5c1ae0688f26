"""Several external ids per contact person: uniqueness among visible contacts, lookup, upsert,
list filter; released when a contact is deleted or hidden by its client's soft delete."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from tests.conftest import Tenant
from tests.factories import client_body

MISSING = "0192f0c4-0000-7000-8000-000000000000"
BY_REF = "/contact-persons/external-ids"


def refs(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"system": system, "id": value} for system, value in pairs]


async def make_client(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    r = await api.post("/clients", json=client_body(**fields))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def make(
    api: httpx.AsyncClient, client_id: str, *pairs: tuple[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"firstName": "Anna", "lastName": "Berg", "externalIds": refs(*pairs)} | fields
    r = await api.post(f"/clients/{client_id}/contact-persons", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def holder(api: httpx.AsyncClient, system: str, value: str) -> str | None:
    """The id of the contact `GET .../external-ids/{system}/{value}` finds (None on a 404)."""
    r = await api.get(f"{BY_REF}/{system}/{value}")
    if r.status_code == 404:
        assert r.json()["error"] == "NOT_FOUND"
        return None
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


class TestGet:
    async def test_by_system_and_id(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        made = await make(api, client["id"], ("crm", "C-1"), ("sap", "4711"))
        r = await api.get(f"{BY_REF}/crm/C-1")
        assert r.status_code == 200 and r.json()["id"] == made["id"]
        assert r.headers["ETag"] == '"1"'
        assert r.json()["externalIds"] == refs(("crm", "C-1"), ("sap", "4711"))
        assert r.json()["clientId"] == client["id"] and r.json()["isMain"] is True
        assert await holder(api, "sap", "4711") == made["id"]
        assert await holder(api, "crm", "4711") is None
        assert await holder(api, "crm", "C-2") is None

    async def test_a_clients_pair_is_not_a_contacts(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api, externalIds=refs(("sap", "4711")))
        assert await holder(api, "sap", "4711") is None
        # The kinds are separate: a contact may hold the pair its client holds.
        contact = await make(api, client["id"], ("sap", "4711"))
        assert await holder(api, "sap", "4711") == contact["id"]
        r = await api.get("/clients/external-ids/sap/4711")
        assert r.json()["id"] == client["id"]

    async def test_other_tenant_sees_nothing(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        client = await make_client(api)
        await make(api, client["id"], ("crm", "C-1"))
        r = await api.get(f"{BY_REF}/crm/C-1", headers=other_tenant.headers("read"))
        assert r.status_code == 404

    async def test_id_with_a_slash_and_bad_system(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        made = await make(api, client["id"], ("erp", "2024/07 A"))
        assert await holder(api, "erp", "2024/07 A") == made["id"]
        r = await api.get(f"{BY_REF}/c%20rm/1")
        assert r.status_code == 400 and r.json()["error"] == "VALIDATION_ERROR"

    async def test_id_with_a_line_break(self, api: httpx.AsyncClient) -> None:
        """As for clients: Starlette's `path` convertor stops at a newline (404 "No route")."""
        client = await make_client(api)
        made = await make(api, client["id"], ("erp", "\nA/1\r\n"))
        r = await api.get(f"{BY_REF}/erp/%0AA/1%0D%0A")
        assert r.status_code == 200 and r.json()["id"] == made["id"]


class TestUniqueness:
    async def test_same_pair_on_another_contact_is_409(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        other_client = await make_client(api)
        await make(api, client["id"], ("crm", "C-1"))
        body = {"name": "Bo", "externalIds": refs(("crm", "C-1"))}
        for url in (
            f"/clients/{client['id']}/contact-persons",
            f"/clients/{other_client['id']}/contact-persons",
        ):
            r = await api.post(url, json=body)
            assert r.status_code == 409 and r.json()["error"] == "CONFLICT", r.text
            assert "crm=C-1" in r.json()["message"]
            assert r.json()["details"] == [{"field": "externalIds.crm", "message": "already taken"}]
        # Another id in the system, or the id in another system, is fine.
        second = await make(api, client["id"], ("crm", "C-2"), ("shop", "C-1"))
        r = await api.patch(
            f"/clients/{client['id']}/contact-persons/{second['id']}",
            json={"externalIds": refs(("crm", "C-1"))},
        )
        assert r.status_code == 409
        r = await api.get(f"/contact-persons/{second['id']}")
        assert r.json()["externalIds"] == refs(("crm", "C-2"), ("shop", "C-1"))
        assert await holder(api, "crm", "C-2") == second["id"]

    async def test_one_id_per_system(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        r = await api.post(
            f"/clients/{client['id']}/contact-persons",
            json={"name": "A", "externalIds": refs(("crm", "1"), ("crm", "2"))},
        )
        assert r.status_code == 400

    async def test_tenants_do_not_collide(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        client = await make_client(api)
        await make(api, client["id"], ("crm", "C-1"))
        theirs = await api.post(
            "/clients", json=client_body(), headers=other_tenant.headers("write")
        )
        r = await api.post(
            f"/clients/{theirs.json()['id']}/contact-persons",
            json={"name": "Theirs", "externalIds": refs(("crm", "C-1"))},
            headers=other_tenant.headers("write"),
        )
        assert r.status_code == 201

    async def test_patch_moves_and_clears(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        first = await make(api, client["id"], ("crm", "1"))
        url = f"/clients/{client['id']}/contact-persons/{first['id']}"
        r = await api.patch(url, json={"externalIds": refs(("crm", "2"))})
        assert r.status_code == 200 and r.json()["externalIds"] == refs(("crm", "2"))
        assert await holder(api, "crm", "1") is None
        assert await holder(api, "crm", "2") == first["id"]
        await make(api, client["id"], ("crm", "1"))  # free again
        r = await api.patch(url, json={"externalIds": None})
        assert r.status_code == 200 and r.json()["externalIds"] == []
        assert await holder(api, "crm", "2") is None
        # A PATCH of another field leaves the pairs alone.
        r = await api.patch(url, json={"externalIds": refs(("crm", "2"))})
        r = await api.patch(url, json={"jobTitle": "CFO"})
        assert r.status_code == 200 and await holder(api, "crm", "2") == first["id"]

    async def test_client_body_items(self, api: httpx.AsyncClient) -> None:
        r = await api.put(
            "/clients/external-id/E-1",
            json={
                "name": "Holder",
                "contactPersons": [
                    {"name": "A", "externalIds": refs(("crm", "A"))},
                    {"name": "B", "externalIds": refs(("crm", "B"))},
                ],
            },
        )
        assert r.status_code == 201, r.text
        made = {c["name"]: c["id"] for c in r.json()["contactPersons"]}
        assert await holder(api, "crm", "A") == made["A"]
        assert await holder(api, "crm", "B") == made["B"]
        # Two items of one body with the same pair: the whole body is refused.
        r = await api.post(
            "/clients",
            json=client_body(
                contactPersons=[
                    {"name": "C", "externalIds": refs(("crm", "C"))},
                    {"name": "D", "externalIds": refs(("crm", "C"))},
                ]
            ),
        )
        assert r.status_code == 409 and "crm=C" in r.json()["message"]
        assert await holder(api, "crm", "C") is None
        # A replace of the list can swap the pairs between two contacts in one request.
        r = await api.put(
            "/clients/external-id/E-1",
            json={
                "name": "Holder",
                "contactPersons": [
                    {"id": made["A"], "externalIds": refs(("crm", "B"))},
                    {"id": made["B"], "externalIds": refs(("crm", "A"))},
                ],
            },
        )
        assert r.status_code == 200, r.text
        assert await holder(api, "crm", "A") == made["B"]
        assert await holder(api, "crm", "B") == made["A"]


class TestLifecycle:
    async def test_unlinked_contact_is_deleted_and_frees_its_ids(
        self, api: httpx.AsyncClient
    ) -> None:
        client = await make_client(api)
        gone = await make(api, client["id"], ("crm", "C-1"))
        r = await api.delete(f"/clients/{client['id']}/contact-persons/{gone['id']}")
        assert r.status_code == 200
        assert await holder(api, "crm", "C-1") is None
        taker = await make(api, client["id"], ("crm", "C-1"))
        assert await holder(api, "crm", "C-1") == taker["id"]

    async def test_shared_contact_keeps_its_ids_while_linked(self, api: httpx.AsyncClient) -> None:
        one, two = await make_client(api), await make_client(api)
        shared = await make(api, one["id"], ("crm", "S"))
        r = await api.put(f"/clients/{two['id']}/contact-persons/{shared['id']}/link")
        assert r.status_code == 201
        assert (await api.delete(f"/clients/{one['id']}")).status_code == 200
        assert await holder(api, "crm", "S") == shared["id"]
        r = await api.delete(f"/clients/{two['id']}/contact-persons/{shared['id']}")
        assert r.status_code == 200
        # Linked only to a soft-deleted client now: hidden, its pair free.
        assert await holder(api, "crm", "S") is None
        assert (await api.get(f"/contact-persons/{shared['id']}")).status_code == 404

    async def test_client_soft_delete_frees_and_restore_takes_back(
        self, api: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        client = await make_client(api)
        hidden = await make(api, client["id"], ("crm", "C-1"), ("shop", "S-1"))
        assert (await api.delete(f"/clients/{client['id']}")).status_code == 200
        assert await holder(api, "crm", "C-1") is None
        other = await make_client(api)
        taker = await make(api, other["id"], ("crm", "C-1"))
        r = await api.post(f"/clients/{client['id']}/restore")
        assert r.status_code == 409 and "crm=C-1" in r.json()["message"]
        assert (await api.get(f"/clients/{client['id']}")).status_code == 404, "rolled back"
        r = await api.patch(
            f"/clients/{other['id']}/contact-persons/{taker['id']}", json={"externalIds": []}
        )
        assert r.status_code == 200
        r = await api.post(f"/clients/{client['id']}/restore")
        assert r.status_code == 200, r.text
        assert await holder(api, "crm", "C-1") == hidden["id"]
        assert await holder(api, "shop", "S-1") == hidden["id"]
        # A purge deletes the contact it alone had, and its pairs with it.
        admin = tenant.headers("admin")
        r = await api.delete(f"/clients/{client['id']}?permanent=true", headers=admin)
        assert r.status_code == 200
        assert await holder(api, "crm", "C-1") is None
        await make(api, other["id"], ("crm", "C-1"), ("shop", "S-1"))

    async def test_linking_a_hidden_contact_takes_its_ids_back(
        self, api: httpx.AsyncClient
    ) -> None:
        one, two = await make_client(api), await make_client(api)
        hidden = await make(api, one["id"], ("crm", "H"))
        assert (await api.delete(f"/clients/{one['id']}")).status_code == 200
        taker = await make(api, two["id"], ("crm", "H"), name="Taker")
        link = f"/clients/{two['id']}/contact-persons/{hidden['id']}/link"
        r = await api.put(link)
        assert r.status_code == 409
        r = await api.delete(f"/clients/{two['id']}/contact-persons/{taker['id']}")
        assert r.status_code == 200
        r = await api.put(link)
        assert r.status_code == 201, r.text
        assert await holder(api, "crm", "H") == hidden["id"]


class TestUpsert:
    async def test_put_creates_then_replaces(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        r = await api.put(
            f"{BY_REF}/crm/C-1",
            json={
                "clientId": client["id"],
                "firstName": "Anna",
                "lastName": "Berg",
                "city": "Oslo",
                "tags": ["site"],
                "externalIds": refs(("shop", "S1")),
            },
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert r.headers["ETag"] == '"1"'
        assert created["externalIds"] == refs(("shop", "S1"), ("crm", "C-1"))
        assert created["clientId"] == client["id"] and created["isMain"] is True
        assert created["name"] == "Anna Berg"
        r = await api.put(f"{BY_REF}/crm/C-1", json={"name": "Anna B."})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == created["id"] and body["number"] == created["number"]
        assert body["name"] == "Anna B." and body["firstName"] is None and body["city"] is None
        assert body["tags"] == [] and body["externalIds"] == refs(("crm", "C-1"))
        assert body["clientIds"] == [client["id"]] and body["isMain"] is True
        assert body["version"] == 2 and r.headers["ETag"] == '"2"'
        assert await holder(api, "shop", "S1") is None, "the replace dropped it"
        r = await api.get(f"/clients/{client['id']}/contact-persons")
        assert r.json()["meta"]["total"] == 1

    async def test_create_needs_a_live_client(self, api: httpx.AsyncClient) -> None:
        r = await api.put(f"{BY_REF}/crm/C-1", json={"name": "Anna"})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientId"
        r = await api.put(f"{BY_REF}/crm/C-1", json={"name": "Anna", "clientId": MISSING})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientId"
        deleted = await make_client(api)
        assert (await api.delete(f"/clients/{deleted['id']}")).status_code == 200
        r = await api.put(f"{BY_REF}/crm/C-1", json={"name": "Anna", "clientId": deleted["id"]})
        assert r.status_code == 400
        assert (await api.get("/contact-persons")).json()["data"] == []

    async def test_replace_with_client_id_links_it_too(self, api: httpx.AsyncClient) -> None:
        one, two = await make_client(api), await make_client(api)
        await make(api, two["id"], name="Two's main")
        made = await make(api, one["id"], ("crm", "C-1"))
        r = await api.put(f"{BY_REF}/crm/C-1", json={"name": "Shared", "clientId": two["id"]})
        assert r.status_code == 200, r.text
        assert r.json()["clientId"] == two["id"] and r.json()["isMain"] is False
        assert set(r.json()["clientIds"]) == {one["id"], two["id"]}
        r = await api.put(
            f"{BY_REF}/crm/C-1", json={"name": "Shared", "clientId": two["id"], "isMain": True}
        )
        assert r.json()["isMain"] is True and r.json()["id"] == made["id"]
        r = await api.put(f"{BY_REF}/crm/C-1", json={"name": "Shared", "clientId": MISSING})
        assert r.status_code == 400

    async def test_body_disagreeing_with_path_is_400(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        r = await api.put(
            f"{BY_REF}/crm/C-1",
            json={"clientId": client["id"], "name": "A", "externalIds": refs(("crm", "C-9"))},
        )
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "externalIds"
        r = await api.put(f"{BY_REF}/c%20rm/C-1", json={"clientId": client["id"], "name": "A"})
        assert r.status_code == 400

    async def test_pair_held_by_another_contact_is_409(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        await make(api, client["id"], ("shop", "S1"))
        r = await api.put(
            f"{BY_REF}/crm/C-1",
            json={"clientId": client["id"], "name": "A", "externalIds": refs(("shop", "S1"))},
        )
        assert r.status_code == 409 and r.json()["error"] == "CONFLICT"

    async def test_events(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        body = {"clientId": client["id"], "name": "Anna"}
        created = (await api.put(f"{BY_REF}/crm/C-1", json=body)).json()
        await api.put(f"{BY_REF}/crm/C-1", json=body)  # the same again: nothing changed
        await api.put(f"{BY_REF}/crm/C-1", json=body | {"jobTitle": "CFO"})
        r = await api.get("/events", params={"limit": 200})
        mine = [e for e in r.json()["data"] if e["data"]["object"]["id"] == created["id"]]
        assert [e["type"] for e in mine] == ["contact_person.created", "contact_person.updated"]
        assert mine[1]["data"]["previousAttributes"] == {"jobTitle": None}

    @pytest.mark.postgres_only
    async def test_parallel_puts_create_exactly_one(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        bodies = [{"clientId": client["id"], "name": f"Racer {i}"} for i in range(6)]
        answers = await asyncio.gather(*(api.put(f"{BY_REF}/crm/RACE", json=b) for b in bodies))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] * 5 + [201], [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        listed = (await api.get(f"/clients/{client['id']}/contact-persons")).json()
        assert listed["meta"]["total"] == 1

    @pytest.mark.postgres_only
    async def test_parallel_client_puts_create_exactly_one(self, api: httpx.AsyncClient) -> None:
        answers = await asyncio.gather(
            *(api.put("/clients/external-ids/sap/RACE", json={"name": f"R{i}"}) for i in range(6))
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] * 5 + [201], [a.text for a in answers]
        assert (await api.get("/clients")).json()["meta"]["total"] == 1


class TestListFilter:
    async def test_filter_by_system(self, api: httpx.AsyncClient, other_tenant: Tenant) -> None:
        client = await make_client(api)
        other = await make_client(api)
        a = await make(api, client["id"], ("crm", "4711"))
        b = await make(api, other["id"], ("crm", "4712"), ("shop", "4711"))
        await make(api, client["id"], ("shop", "1"))
        theirs = await api.post(
            "/clients", json=client_body(), headers=other_tenant.headers("write")
        )
        await api.post(
            f"/clients/{theirs.json()['id']}/contact-persons",
            json={"name": "Theirs", "externalIds": refs(("crm", "4711"))},
            headers=other_tenant.headers("write"),
        )
        r = await api.get("/contact-persons", params={"externalIds.crm": "4711"})
        assert r.status_code == 200 and [c["id"] for c in r.json()["data"]] == [a["id"]]
        params = {"externalIds.crm": "4711,4712", "sort": "number"}
        r = await api.get("/contact-persons", params=params)
        assert [c["id"] for c in r.json()["data"]] == [a["id"], b["id"]]
        r = await api.get("/contact-persons", params={"externalIds.shop": "4711", "q": "anna"})
        assert [c["id"] for c in r.json()["data"]] == [b["id"]]
        r = await api.get("/contact-persons", params={"externalIds.erp": "4711"})
        assert r.json()["data"] == []
        nested = f"/clients/{client['id']}/contact-persons"
        r = await api.get(nested, params={"externalIds.crm": "4711,4712"})
        assert r.status_code == 200 and [c["id"] for c in r.json()["data"]] == [a["id"]]
        r = await api.get(nested, params={"externalIds.shop": "4711"})
        assert r.json()["data"] == []

    async def test_range_is_400(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        r = await api.get("/contact-persons", params={"externalIds.crm[gte]": "1"})
        assert r.status_code == 400
        r = await api.get(
            f"/clients/{client['id']}/contact-persons", params={"externalIds.crm[gte]": "1"}
        )
        assert r.status_code == 400
