"""Contact persons over HTTP, on SQLite and PostgreSQL: nested routes, links, the main contact."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import event, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant
from tests.factories import client_body

from rolodex.core.contacts.models import ContactLink

MISSING = "0192f0c4-0000-7000-8000-000000000000"


async def make_client(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    r = await api.post("/clients", json=client_body(**overrides))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def add_contact(api: httpx.AsyncClient, client_id: str, **fields: Any) -> dict[str, Any]:
    body = {"firstName": "Anna", "lastName": "Berg"} | fields
    r = await api.post(f"/clients/{client_id}/contact-persons", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def contacts_of(api: httpx.AsyncClient, client_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/clients/{client_id}/contact-persons")
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def mains(contacts: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in contacts if c["isMain"]]


class TestCreate:
    async def test_first_is_main_name_derived(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        first = await add_contact(api, client["id"], firstName=" Anna ", lastName="Berg")
        assert first["name"] == "Anna Berg" and first["isMain"] is True
        assert first["number"] == 1 and first["version"] == 1
        assert first["clientId"] == client["id"] and first["clientIds"] == [client["id"]]
        assert first["createdAt"].endswith("Z")
        second = await add_contact(api, client["id"], name="Bo", email="bo@example.com")
        assert second["isMain"] is False and second["number"] == 2 and second["name"] == "Bo"

    async def test_is_main_demotes_previous(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        await add_contact(api, client["id"], name="A")
        await add_contact(api, client["id"], name="B", isMain=True)
        assert mains(await contacts_of(api, client["id"])) == ["B"]

    async def test_validation(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        url = f"/clients/{client['id']}/contact-persons"
        for bad, field in (
            ({"name": "X", "email": "nope"}, "email"),
            ({"name": "X", "phone": "call me"}, "phone"),
            ({"name": "X", "gender": "OTHER"}, "gender"),
            ({"name": "X", "country": "XX"}, "country"),
            ({"name": "X", "colour": "red"}, "colour"),
            ({"name": "x" * 256}, "name"),
            ({"jobTitle": "CEO"}, "name"),
            ({"name": "X", "personalNumber": "19900101-0018", "country": "SE"}, "personalNumber"),
        ):
            r = await api.post(url, json=bad)
            assert r.status_code == 400, (bad, r.text)
            assert r.json()["details"][0]["field"] == field, (bad, r.json())
        r = await api.post(url, json={"name": "X", "country": "SWE", "phone": "555-0102"})
        assert r.status_code == 201 and r.json()["country"] == "SE"
        assert (await contacts_of(api, client["id"]))[0]["name"] == "X"

    async def test_external_id_unique_per_organization(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        a, b = await make_client(api), await make_client(api)
        await add_contact(api, a["id"], externalId="CP-1")
        r = await api.post(
            f"/clients/{b['id']}/contact-persons", json={"name": "Y", "externalId": "CP-1"}
        )
        assert r.status_code == 409 and r.json()["error"] == "CONFLICT"
        empty = await add_contact(api, b["id"], externalId="")
        assert empty["externalId"] is None
        theirs = await api.post(
            "/clients", json=client_body(), headers=other_tenant.headers("write")
        )
        r = await api.post(
            f"/clients/{theirs.json()['id']}/contact-persons",
            json={"name": "Z", "externalId": "CP-1"},
            headers=other_tenant.headers("write"),
        )
        assert r.status_code == 201

    async def test_client_missing_or_deleted(self, api: httpx.AsyncClient) -> None:
        r = await api.post(f"/clients/{MISSING}/contact-persons", json={"name": "X"})
        assert r.status_code == 404
        client = await make_client(api)
        await api.delete(f"/clients/{client['id']}")
        r = await api.post(f"/clients/{client['id']}/contact-persons", json={"name": "X"})
        assert r.status_code == 404


class TestRead:
    async def test_get_and_external_id(self, api: httpx.AsyncClient) -> None:
        a, b = await make_client(api), await make_client(api)
        made = await add_contact(api, a["id"], externalId="ERP 7")
        r = await api.get(f"/clients/{a['id']}/contact-persons/{made['id']}")
        assert r.status_code == 200 and r.json() == made and r.headers["ETag"] == '"1"'
        r = await api.get(f"/clients/{a['id']}/contact-persons/external-id/ERP 7")
        assert r.status_code == 200 and r.json()["id"] == made["id"]
        # Not linked to b: not found there.
        assert (
            await api.get(f"/clients/{b['id']}/contact-persons/{made['id']}")
        ).status_code == 404
        r = await api.get(f"/clients/{b['id']}/contact-persons/external-id/ERP 7")
        assert r.status_code == 404
        assert (await api.get(f"/clients/{a['id']}/contact-persons/not-a-uuid")).status_code == 400
        r = await api.get(f"/clients/{a['id']}/contact-persons/{made['id']}", params={"x": "1"})
        assert r.status_code == 400

    async def test_other_tenant_gets_404_everywhere(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        client = await make_client(api)
        made = await add_contact(api, client["id"], externalId="E1")
        mine = f"/clients/{client['id']}/contact-persons"
        theirs = other_tenant.headers("admin")
        for method, url, body in (
            ("POST", mine, {"name": "X"}),
            ("GET", mine, None),
            ("GET", f"{mine}/{made['id']}", None),
            ("PATCH", f"{mine}/{made['id']}", {"name": "X"}),
            ("DELETE", f"{mine}/{made['id']}", None),
            ("GET", f"{mine}/external-id/E1", None),
            ("PUT", f"{mine}/{made['id']}/link", {"isMain": True}),
            ("GET", f"/contact-persons/{made['id']}", None),
        ):
            r = await api.request(method, url, json=body, headers=theirs)
            assert r.status_code == 404, (method, url, r.text)
        # Their own client cannot link our contact either.
        other = await api.post("/clients", json=client_body(), headers=theirs)
        r = await api.put(
            f"/clients/{other.json()['id']}/contact-persons/{made['id']}/link",
            json={},
            headers=theirs,
        )
        assert r.status_code == 404
        listed = await api.get("/contact-persons", headers=theirs)
        assert listed.json()["data"] == []
        assert (await api.get(f"/contact-persons/{made['id']}")).status_code == 200

    async def test_read_scope_cannot_write(self, api: httpx.AsyncClient, tenant: Tenant) -> None:
        client = await make_client(api)
        url = f"/clients/{client['id']}/contact-persons"
        r = await api.post(url, json={"name": "X"}, headers=tenant.headers("read"))
        assert r.status_code == 403
        assert (await api.get(url, headers=tenant.headers("read"))).status_code == 200


class TestList:
    async def test_main_first_paging_and_cursor(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        for name in ("A", "B", "C", "D", "E"):
            await add_contact(api, client["id"], name=name)
        await add_contact(api, client["id"], name="M", isMain=True)
        names = [c["name"] for c in await contacts_of(api, client["id"])]
        assert names == ["M", "A", "B", "C", "D", "E"]
        url = f"/clients/{client['id']}/contact-persons"
        seen, cursor = [], None
        while True:
            params = {"limit": "4"} | ({"cursor": cursor} if cursor else {})
            body = (await api.get(url, params=params)).json()
            seen += [c["name"] for c in body["data"]]
            cursor = body["meta"]["nextCursor"]
            if not cursor:
                break
        assert seen == names
        r = await api.get(url, params={"sort": "-name", "limit": "2", "page": "2"})
        assert [c["name"] for c in r.json()["data"]] == ["D", "C"]
        assert r.json()["meta"]["total"] == 6 and r.json()["meta"]["pageCount"] == 3
        r = await api.get(url, params={"isMain": "false", "name": "B,E"})
        assert [c["name"] for c in r.json()["data"]] == ["B", "E"]

    async def test_search_names_emails_phones(self, api: httpx.AsyncClient) -> None:
        a, b = await make_client(api), await make_client(api)
        await add_contact(api, a["id"], firstName="Greta", lastName="Ohlsson")
        await add_contact(api, a["id"], name="Per", email="per.x@Example.com")
        await add_contact(api, b["id"], name="Kim", mobile="+46 70 123")
        await add_contact(api, b["id"], name="Ohlsson Bygg AB")
        for q, expected in (
            ("ohlss", ["Greta Ohlsson", "Ohlsson Bygg AB"]),
            ("PER.X@", ["Per"]),
            ("70 123", ["Kim"]),
            ("nobody", []),
        ):
            r = await api.get("/contact-persons", params={"q": q, "sort": "name"})
            assert [c["name"] for c in r.json()["data"]] == expected, q
        r = await api.get(f"/clients/{a['id']}/contact-persons", params={"q": "ohlss"})
        assert [c["name"] for c in r.json()["data"]] == ["Greta Ohlsson"]

    async def test_top_level_list_across_clients(self, api: httpx.AsyncClient) -> None:
        a, b = await make_client(api), await make_client(api)
        await add_contact(api, a["id"], name="A1", gender="FEMALE", tags=["x"])
        shared = await add_contact(api, b["id"], name="B1", email="b1@example.com")
        await api.put(f"/clients/{a['id']}/contact-persons/{shared['id']}/link")
        r = await api.get("/contact-persons", params={"sort": "name"})
        data = r.json()["data"]
        assert [c["name"] for c in data] == ["A1", "B1"]
        assert data[1]["clientIds"] == [b["id"], a["id"]] and data[1]["clientId"] == b["id"]
        assert r.json()["meta"]["total"] == 2
        for params, expected in (
            ({"gender": "FEMALE"}, ["A1"]),
            ({"email": "B1@EXAMPLE.COM"}, ["B1"]),
            ({"tags": "x,y"}, ["A1"]),
            ({"number[gte]": "2"}, ["B1"]),
        ):
            r = await api.get("/contact-persons", params=params)
            assert [c["name"] for c in r.json()["data"]] == expected, params

    @pytest.mark.parametrize(
        "params",
        [
            {"bogus": "1"},
            {"limit": "201"},
            {"sort": "isMain"},
            {"gender": "OTHER"},
            {"includeDeleted": "true"},
            {"cursor": "garbage"},
        ],
    )
    async def test_bad_params_are_400(self, api: httpx.AsyncClient, params: dict[str, str]) -> None:
        r = await api.get("/contact-persons", params=params)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "VALIDATION_ERROR"


class TestUpdate:
    async def test_patch_fields(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        made = await add_contact(api, client["id"], firstName="Anna", lastName="Berg", phone="1")
        url = f"/clients/{client['id']}/contact-persons/{made['id']}"
        r = await api.patch(url, json={"lastName": "Dahl", "phone": None, "jobTitle": "CFO"})
        assert r.status_code == 200, r.text
        body = r.json()
        # The name was derived, so it follows the new last name.
        assert body["name"] == "Anna Dahl" and body["phone"] is None and body["jobTitle"] == "CFO"
        assert body["version"] == 2 and r.headers["ETag"] == '"2"' and body["isMain"] is True
        r = await api.patch(url, json={"name": "Boss"})
        r = await api.patch(url, json={"firstName": "Ann"})
        assert r.json()["name"] == "Boss"  # an explicit name stays
        r = await api.patch(url, json={"name": None})
        assert r.json()["name"] == "Ann Dahl"
        r = await api.patch(url, json={"name": None, "firstName": None, "lastName": None})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "name"

    async def test_if_match_and_read_only(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        made = await add_contact(api, client["id"])
        url = f"/clients/{client['id']}/contact-persons/{made['id']}"
        r = await api.patch(url, json={"city": "A"}, headers={"If-Match": '"9"'})
        assert r.status_code == 412
        r = await api.patch(url, json={"city": "A"}, headers={"If-Match": '"1"'})
        assert r.status_code == 200
        echo = r.json() | {"city": "B"}
        r = await api.patch(url, json=echo)
        assert r.status_code == 200 and r.json()["city"] == "B", r.text
        r = await api.patch(url, json={"number": 99})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "number"

    async def test_is_main_switches_and_clears(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        a = await add_contact(api, client["id"], name="A")
        b = await add_contact(api, client["id"], name="B")
        url = f"/clients/{client['id']}/contact-persons"
        r = await api.patch(f"{url}/{b['id']}", json={"isMain": True})
        assert r.status_code == 200 and r.json()["isMain"] is True and r.json()["version"] == 1
        assert mains(await contacts_of(api, client["id"])) == ["B"]
        r = await api.patch(f"{url}/{b['id']}", json={"isMain": False})
        assert mains(await contacts_of(api, client["id"])) == []
        r = await api.patch(f"{url}/{a['id']}", json={"isMain": True})
        assert mains(await contacts_of(api, client["id"])) == ["A"]

    async def test_not_linked_is_404(self, api: httpx.AsyncClient) -> None:
        a, b = await make_client(api), await make_client(api)
        made = await add_contact(api, a["id"])
        r = await api.patch(f"/clients/{b['id']}/contact-persons/{made['id']}", json={"city": "X"})
        assert r.status_code == 404


class TestLink:
    async def test_link_existing_contact(self, api: httpx.AsyncClient) -> None:
        a, b = await make_client(api), await make_client(api)
        own = await add_contact(api, b["id"], name="Own")
        shared = await add_contact(api, a["id"], name="Shared")
        url = f"/clients/{b['id']}/contact-persons/{shared['id']}/link"
        r = await api.put(url, json={"isMain": False})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["clientId"] == b["id"] and body["isMain"] is False
        assert body["clientIds"] == [a["id"], b["id"]]
        r = await api.put(url, json={"isMain": True})
        assert r.status_code == 200 and r.json()["isMain"] is True
        assert mains(await contacts_of(api, b["id"])) == ["Shared"]
        assert mains(await contacts_of(api, a["id"])) == ["Shared"]
        # isMain is per link: demoting it at b leaves it main at a.
        await api.patch(f"/clients/{b['id']}/contact-persons/{own['id']}", json={"isMain": True})
        assert mains(await contacts_of(api, a["id"])) == ["Shared"]
        assert mains(await contacts_of(api, b["id"])) == ["Own"]
        top = (await api.get(f"/contact-persons/{shared['id']}")).json()
        assert top["clientIds"] == [a["id"], b["id"]] and top["clientId"] == a["id"]
        assert top["isMain"] is True

    async def test_first_linked_becomes_main(self, api: httpx.AsyncClient) -> None:
        a, b = await make_client(api), await make_client(api)
        made = await add_contact(api, a["id"])
        r = await api.put(f"/clients/{b['id']}/contact-persons/{made['id']}/link")
        assert r.status_code == 201 and r.json()["isMain"] is True

    async def test_unknown_contact_or_client(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        made = await add_contact(api, client["id"])
        r = await api.put(f"/clients/{client['id']}/contact-persons/{MISSING}/link", json={})
        assert r.status_code == 404
        r = await api.put(f"/clients/{MISSING}/contact-persons/{made['id']}/link", json={})
        assert r.status_code == 404
        r = await api.put(
            f"/clients/{client['id']}/contact-persons/{made['id']}/link", json={"isMain": "maybe"}
        )
        assert r.status_code == 400


class TestUnlink:
    async def test_unlink_keeps_shared_deletes_orphan(self, api: httpx.AsyncClient) -> None:
        a, b = await make_client(api), await make_client(api)
        shared = await add_contact(api, a["id"], name="Shared")
        await api.put(f"/clients/{b['id']}/contact-persons/{shared['id']}/link")
        r = await api.delete(f"/clients/{a['id']}/contact-persons/{shared['id']}")
        assert r.status_code == 200 and r.json()["id"] == shared["id"]
        assert await contacts_of(api, a["id"]) == []
        top = await api.get(f"/contact-persons/{shared['id']}")
        assert top.status_code == 200 and top.json()["clientIds"] == [b["id"]]
        r = await api.delete(f"/clients/{b['id']}/contact-persons/{shared['id']}")
        assert r.status_code == 200
        assert (await api.get(f"/contact-persons/{shared['id']}")).status_code == 404
        r = await api.put(f"/clients/{a['id']}/contact-persons/{shared['id']}/link")
        assert r.status_code == 404  # deleted for good
        r = await api.delete(f"/clients/{b['id']}/contact-persons/{shared['id']}")
        assert r.status_code == 404

    async def test_removing_main_promotes_next(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        first = await add_contact(api, client["id"], name="A")
        await add_contact(api, client["id"], name="B")
        await add_contact(api, client["id"], name="C")
        await api.delete(f"/clients/{client['id']}/contact-persons/{first['id']}")
        assert mains(await contacts_of(api, client["id"])) == ["B"]


class TestClientLifecycle:
    async def test_soft_delete_hides_restore_brings_back(self, api: httpx.AsyncClient) -> None:
        a, b = await make_client(api), await make_client(api)
        only = await add_contact(api, a["id"], name="Only")
        shared = await add_contact(api, a["id"], name="Shared")
        await api.put(f"/clients/{b['id']}/contact-persons/{shared['id']}/link")
        assert (await api.delete(f"/clients/{a['id']}")).status_code == 200
        nested = f"/clients/{a['id']}/contact-persons"
        assert (await api.get(nested)).status_code == 404
        assert (await api.get(f"{nested}/{only['id']}")).status_code == 404
        assert (await api.get(f"/contact-persons/{only['id']}")).status_code == 404
        top = (await api.get(f"/contact-persons/{shared['id']}")).json()
        assert top["clientIds"] == [b["id"]]
        listed = (await api.get("/contact-persons")).json()
        assert [c["name"] for c in listed["data"]] == ["Shared"]
        r = await api.get(f"/clients/{a['id']}", params={"includeDeleted": "true"})
        assert [c["name"] for c in r.json()["contactPersons"]] == ["Only", "Shared"]
        await api.post(f"/clients/{a['id']}/restore")
        assert [c["name"] for c in await contacts_of(api, a["id"])] == ["Only", "Shared"]
        assert mains(await contacts_of(api, a["id"])) == ["Only"]
        assert (await api.get(f"/contact-persons/{only['id']}")).status_code == 200

    async def test_purge_unlinks_and_deletes_orphans(
        self, api: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        a, b = await make_client(api), await make_client(api)
        only = await add_contact(api, a["id"], name="Only")
        shared = await add_contact(api, a["id"], name="Shared")
        await api.put(f"/clients/{b['id']}/contact-persons/{shared['id']}/link")
        await api.post(f"/clients/{a['id']}/addresses", json={"city": "Oslo"})
        await api.delete(f"/clients/{a['id']}")  # purging works on a soft-deleted client too
        r = await api.delete(f"/clients/{a['id']}?permanent=true", headers=tenant.headers("admin"))
        assert r.status_code == 200, r.text
        assert [c["name"] for c in r.json()["contactPersons"]] == ["Only", "Shared"]
        assert (await api.get(f"/contact-persons/{only['id']}")).status_code == 404
        top = (await api.get(f"/contact-persons/{shared['id']}")).json()
        assert top["clientIds"] == [b["id"]]
        # The orphan is gone for good, not just hidden: its externalId-free row is absent.
        r = await api.put(f"/clients/{b['id']}/contact-persons/{only['id']}/link")
        assert r.status_code == 404


class TestEmbedding:
    async def test_get_client_embeds_main_first(self, api: httpx.AsyncClient) -> None:
        client = await make_client(api)
        await add_contact(api, client["id"], name="A")
        await add_contact(api, client["id"], name="B", isMain=True)
        await api.post(f"/clients/{client['id']}/addresses", json={"city": "Oslo"})
        body = (await api.get(f"/clients/{client['id']}")).json()
        assert [(c["name"], c["isMain"]) for c in body["contactPersons"]] == [
            ("B", True),
            ("A", False),
        ]
        assert body["contactPersons"][0]["clientId"] == client["id"]
        assert [a["city"] for a in body["addresses"]] == ["Oslo"]
        listed = (await api.get("/clients")).json()["data"][0]
        assert listed["contactPersons"] is None and listed["addresses"] is None
        listed = (await api.get("/clients", params={"include": "addresses"})).json()["data"][0]
        assert listed["contactPersons"] is None and len(listed["addresses"]) == 1
        r = await api.get("/clients", params={"include": "orders"})
        assert r.status_code == 400

    async def test_list_include_uses_constant_queries(
        self, api: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        for i in range(12):
            await make_client(
                api,
                contactPersons=[{"name": f"C{i}-{j}"} for j in range(i % 3 + 1)],
                addresses=[{"city": f"City {i}"}],
            )
        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        counts = {}
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            for limit in (2, 11):
                statements.clear()
                r = await api.get(
                    "/clients", params={"limit": limit, "include": "contactPersons,addresses"}
                )
                assert r.status_code == 200
                data = r.json()["data"]
                assert len(data) == limit
                assert all(c["contactPersons"] and c["addresses"] for c in data)
                counts[limit] = len(statements)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert counts[2] == counts[11], counts

    async def test_client_q_matches_contact_names_and_emails(self, api: httpx.AsyncClient) -> None:
        a = await make_client(api, name="Alpha AB")
        await make_client(api, name="Beta AB")
        await add_contact(api, a["id"], firstName="Sixten", lastName="Zorn", email="sz@foo.example")
        for q in ("zorn", "SZ@FOO", "alpha"):
            r = await api.get("/clients", params={"q": q})
            assert [c["name"] for c in r.json()["data"]] == ["Alpha AB"], q
        r = await api.get("/clients", params={"q": "beta"})
        assert [c["name"] for c in r.json()["data"]] == ["Beta AB"]


class TestMainInvariant:
    async def test_database_refuses_two_mains(self, api: httpx.AsyncClient, sessions: Any) -> None:
        client = await make_client(api)
        await add_contact(api, client["id"], name="A")
        b = await add_contact(api, client["id"], name="B")
        with pytest.raises(IntegrityError):
            async with sessions() as session:
                await session.execute(
                    update(ContactLink)
                    .where(ContactLink.contact_person_id == UUID(b["id"]))
                    .values(is_main=True)
                )
                await session.commit()

    @pytest.mark.postgres_only
    async def test_concurrent_make_main_leaves_exactly_one(
        self, api: httpx.AsyncClient, backend: str
    ) -> None:
        if backend != "postgresql":
            pytest.skip("real row locks need PostgreSQL")
        client = await make_client(api, contactPersons=[{"name": f"Linked {i}"} for i in range(10)])
        linked = [c["id"] for c in client["contactPersons"]]
        donor = await make_client(api, contactPersons=[{"name": f"Other {i}"} for i in range(10)])
        others = [c["id"] for c in donor["contactPersons"]]
        url = f"/clients/{client['id']}/contact-persons"
        requests = [api.patch(f"{url}/{cid}", json={"isMain": True}) for cid in linked] + [
            api.put(f"{url}/{cid}/link", json={"isMain": True}) for cid in others
        ]
        responses = await asyncio.gather(*requests)
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 10 + [201] * 10, [
            r.text for r in responses if r.status_code >= 300
        ]
        contacts = (await api.get(url, params={"limit": 50})).json()["data"]
        assert len(contacts) == 20
        assert len([c for c in contacts if c["isMain"]]) == 1
        assert contacts[0]["isMain"] is True
