"""Clients written with their contact persons and addresses: all or nothing, replace on PUT."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.conftest import Tenant
from tests.factories import client_body


async def totals(api: httpx.AsyncClient) -> tuple[int, int]:
    clients = (await api.get("/clients", params={"includeDeleted": "true"})).json()
    contacts = (await api.get("/contact-persons")).json()
    return clients["meta"]["total"], contacts["meta"]["total"]


async def existing_contact(api: httpx.AsyncClient, name: str = "Existing") -> dict[str, Any]:
    r = await api.post("/clients", json=client_body(contactPersons=[{"name": name}]))
    assert r.status_code == 201, r.text
    return dict(r.json()["contactPersons"][0])


class TestCreate:
    async def test_everything_in_one_request(self, api: httpx.AsyncClient) -> None:
        old = await existing_contact(api)
        r = await api.post(
            "/clients",
            json=client_body(
                contactPersons=[
                    {"firstName": "Ann", "lastName": "Ek", "email": "ann@example.com"},
                    {"id": old["id"], "isMain": True},
                    {"name": "Bo", "isMain": False},
                ],
                addresses=[{"city": "Oslo", "isDelivery": True}, {"city": "Bergen"}],
            ),
        )
        assert r.status_code == 201, r.text
        body = r.json()
        people = [(c["name"], c["isMain"]) for c in body["contactPersons"]]
        assert people == [("Existing", True), ("Ann Ek", False), ("Bo", False)]
        assert body["contactPersons"][0]["clientIds"] == [old["clientId"], body["id"]]
        assert [a["city"] for a in body["addresses"]] == ["Oslo", "Bergen"]
        assert (await api.get(f"/clients/{body['id']}")).json()["contactPersons"] == body[
            "contactPersons"
        ]

    async def test_first_is_main_when_none_marked(self, api: httpx.AsyncClient) -> None:
        r = await api.post(
            "/clients",
            json=client_body(contactPersons=[{"name": "A", "isMain": False}, {"name": "B"}]),
        )
        assert [(c["name"], c["isMain"]) for c in r.json()["contactPersons"]] == [
            ("B", True),
            ("A", False),
        ]

    @pytest.mark.parametrize(
        "nested",
        [
            {},
            {"contactPersons": None, "addresses": None},
            {"contactPersons": [], "addresses": []},
            {"contactPersons": [{"name": "A"}, {"name": "B", "isMain": True}, {"name": "C"}]},
            {
                "contactPersons": [
                    {"firstName": "Ann", "lastName": "Ek", "email": "ann@example.com"},
                    {"name": "Bo", "isMain": False, "phone": "+46 8 555 0100", "tags": ["x"]},
                ],
                "addresses": [{"city": "Oslo"}],
            },
            {"contactPersons": [{"name": "D", "externalId": "crm-d"}]},
        ],
        ids=["absent", "null", "empty", "main-last", "with-addresses", "external-id"],
    )
    async def test_answer_is_what_a_get_shows(
        self, api: httpx.AsyncClient, nested: dict[str, Any]
    ) -> None:
        # A create with only new contact persons answers them as written, without reading them
        # back (clients_service.create_view): the answer must still be the stored client's.
        r = await api.post("/clients", json=client_body(**nested))
        assert r.status_code == 201, r.text
        got = await api.get(f"/clients/{r.json()['id']}")
        assert r.json() == got.json()
        assert r.headers["ETag"] == got.headers["ETag"]

    async def test_link_item_may_update_fields(self, api: httpx.AsyncClient) -> None:
        old = await existing_contact(api)
        r = await api.post(
            "/clients", json=client_body(contactPersons=[{"id": old["id"], "jobTitle": "CEO"}])
        )
        assert r.status_code == 201, r.text
        assert (await api.get(f"/contact-persons/{old['id']}")).json()["jobTitle"] == "CEO"

    @pytest.mark.parametrize(
        ("items", "addresses", "status", "field"),
        [
            ([{"name": "A"}, {"name": "B", "email": "nope"}], [], 400, "contactPersons[1].email"),
            ([{"name": "A"}, {"jobTitle": "no name"}], [], 400, "contactPersons[1].name"),
            ([{"name": "A", "isMain": True}, {"name": "B", "isMain": True}], [], 400,
             "contactPersons[1].isMain"),
            ([{"name": "A"}, {"name": "B", "colour": "red"}], [], 400, "contactPersons[1].colour"),
            ([{"name": "A", "externalId": "X"}, {"name": "B", "externalId": "X"}], [], 409,
             "contactPersons[1].externalId"),
            ([{"name": "A"}], [{"city": "Oslo"}, {"provinceCode": "NL-NH", "country": "SE"}], 400,
             "addresses[1].provinceCode"),
            ([{"name": "A"}], [{"id": "0192f0c4-0000-7000-8000-000000000000"}], 400,
             "addresses[0].id"),
        ],
    )  # fmt: skip
    async def test_any_invalid_part_creates_nothing(
        self,
        api: httpx.AsyncClient,
        items: list[dict[str, Any]],
        addresses: list[dict[str, Any]],
        status: int,
        field: str,
    ) -> None:
        r = await api.post("/clients", json=client_body(contactPersons=items, addresses=addresses))
        assert r.status_code == status, r.text
        assert field in [d["field"] for d in r.json()["details"]], r.json()
        assert await totals(api) == (0, 0)

    async def test_bad_links(self, api: httpx.AsyncClient, other_tenant: Tenant) -> None:
        old = await existing_contact(api)
        theirs = await api.post(
            "/clients",
            json=client_body(contactPersons=[{"name": "Theirs"}]),
            headers=other_tenant.headers("write"),
        )
        foreign = theirs.json()["contactPersons"][0]["id"]
        for items, field in (
            ([{"name": "New"}, {"id": foreign}], "contactPersons[1].id"),
            ([{"id": old["id"]}, {"id": old["id"]}], "contactPersons[1].id"),
            ([{"id": "not-a-uuid"}], "contactPersons[0].id"),
        ):
            r = await api.post("/clients", json=client_body(contactPersons=items))
            assert r.status_code == 400, r.text
            assert r.json()["details"][0]["field"] == field
        assert await totals(api) == (1, 1)

    async def test_external_id_taken_in_database(self, api: httpx.AsyncClient) -> None:
        await api.post(
            "/clients", json=client_body(contactPersons=[{"name": "A", "externalId": "E"}])
        )
        r = await api.post(
            "/clients", json=client_body(contactPersons=[{"name": "B", "externalId": "E"}])
        )
        assert r.status_code == 409
        assert r.json()["details"][0]["field"] == "contactPersons[0].externalId"
        assert await totals(api) == (1, 1)


class TestReplace:
    async def test_put_replaces_only_when_given(self, api: httpx.AsyncClient) -> None:
        url = "/clients/external-id/X-1"
        old = await existing_contact(api, "Shared")
        r = await api.put(
            url,
            json={
                "name": "X",
                "contactPersons": [{"name": "A"}, {"name": "B", "isMain": True}, {"id": old["id"]}],
                "addresses": [{"label": "Keep", "city": "Oslo"}, {"label": "Drop"}],
            },
        )
        assert r.status_code == 201, r.text
        made = r.json()
        by_name = {c["name"]: c["id"] for c in made["contactPersons"]}
        keep = made["addresses"][0]["id"]

        r = await api.put(url, json={"name": "X2"})
        assert r.status_code == 200
        assert [c["name"] for c in r.json()["contactPersons"]] == ["B", "Shared", "A"]
        assert len(r.json()["addresses"]) == 2

        r = await api.put(
            url,
            json={
                "name": "X3",
                "contactPersons": [{"id": by_name["A"]}, {"name": "C"}],
                "addresses": [{"id": keep, "city": "Bergen"}, {"city": "Tromsø"}],
            },
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert [(c["name"], c["isMain"]) for c in body["contactPersons"]] == [
            ("A", True),
            ("C", False),
        ]
        # B had no other client: deleted. Shared still belongs to its first client.
        assert (await api.get(f"/contact-persons/{by_name['B']}")).status_code == 404
        assert (await api.get(f"/contact-persons/{old['id']}")).json()["clientIds"] == [
            old["clientId"]
        ]
        addresses = body["addresses"]
        assert [(a["id"] == keep, a["label"], a["city"]) for a in addresses] == [
            (True, None, "Bergen"),
            (False, None, "Tromsø"),
        ]

        r = await api.put(url, json={"name": "X4", "contactPersons": [], "addresses": []})
        assert r.json()["contactPersons"] == [] and r.json()["addresses"] == []
        assert (await api.get(f"/contact-persons/{by_name['A']}")).status_code == 404

    async def test_put_keeps_current_main(self, api: httpx.AsyncClient) -> None:
        url = "/clients/external-id/X-2"
        r = await api.put(url, json={"name": "X", "contactPersons": [{"name": "A"}, {"name": "B"}]})
        ids = {c["name"]: c["id"] for c in r.json()["contactPersons"]}
        r = await api.put(
            url, json={"name": "X", "contactPersons": [{"id": ids["B"]}, {"id": ids["A"]}]}
        )
        assert [(c["name"], c["isMain"]) for c in r.json()["contactPersons"]] == [
            ("A", True),
            ("B", False),
        ]

    async def test_put_round_trip_of_a_get(self, api: httpx.AsyncClient) -> None:
        url = "/clients/external-id/X-3"
        r = await api.put(
            url,
            json={"name": "X", "contactPersons": [{"name": "A"}], "addresses": [{"city": "Oslo"}]},
        )
        got = (await api.get(f"/clients/{r.json()['id']}")).json()
        r = await api.put(url, json=got)
        assert r.status_code == 200, r.text
        assert r.json()["contactPersons"] == got["contactPersons"]
        assert [a["id"] for a in r.json()["addresses"]] == [a["id"] for a in got["addresses"]]
