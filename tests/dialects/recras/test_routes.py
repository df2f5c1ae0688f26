"""The Recras routes over HTTP: create, merge, read, update, errors and auth, and the same
records through the native API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.conftest import Tenant

from rolodex.core import listing

MAIN = {"voornaam": "Anna", "achternaam": "de Vries", "email1": "anna@example.com"}


def klant(
    naam: str = "Familie de Vries", *contacts: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """A create body; the first contact person is the main one unless told otherwise."""
    people = list(contacts) or [MAIN]
    listed = [{"hoofdcontact": index == 0, **person} for index, person in enumerate(people)]
    return {"naam": naam, "contactpersonen": listed, **fields}


async def create(recras: httpx.AsyncClient, body: dict[str, Any], status: int = 201) -> Any:
    r = await recras.post("/api2/klanten", json=body)
    assert r.status_code == status, r.text
    return r.json()


async def native(api: httpx.AsyncClient, number: int) -> dict[str, Any]:
    (found,) = (await api.get("/clients", params={"number": number})).json()["data"]
    return dict((await api.get(f"/clients/{found['id']}")).json())


def assert_406(r: httpx.Response, *fields: str) -> None:
    assert r.status_code == 406, r.text
    body = r.json()
    assert (body["status"], body["error"], body["success"]) == (406, "VALIDATION_ERROR", False)
    assert [d["field"] for d in body["details"]] == list(fields), body
    assert body["requestId"]


NO_MATCH: list[Any] = [
    {"naam": "Familie de Vries-Jansen"},
    {"contactpersonen": [{**MAIN, "email1": "anna2@example.com", "hoofdcontact": True}]},
    {"contactpersonen": [{"voornaam": "Anna", "hoofdcontact": True}]},
    # The same email on a contact that is not the main one does not count.
    {
        "contactpersonen": [
            {"voornaam": "Kees", "email1": "kees@example.com", "hoofdcontact": True},
            {**MAIN, "hoofdcontact": False},
        ]
    },
]


BAD_CREATES: list[Any] = [
    ({"naam": "A"}, ["contactpersonen"]),
    ({"naam": "A", "contactpersonen": []}, ["contactpersonen"]),
    ({"contactpersonen": [{**MAIN, "hoofdcontact": True}]}, ["naam"]),
    ({**klant(), "naam": " "}, ["naam"]),
    ({**klant(), "kleur": "rood"}, ["kleur"]),
    ({**klant(), "bedrijf_id": "1"}, ["bedrijf_id"]),
    ({**klant(), "bedrijf_id": 0}, ["bedrijf_id"]),
    ({**klant(), "website": "geen url"}, ["website"]),
    ({**klant(), "provinciecode": "XX"}, ["provinciecode"]),
    ({**klant(), "adres": "x" * 256}, ["adres"]),
    (klant("A", {**MAIN, "geslacht": "M"}), ["contactpersonen[0].geslacht"]),
    (klant("A", {**MAIN, "email1": "geen"}), ["contactpersonen[0].email1"]),
    (klant("A", {**MAIN, "telefoon2": "bel me"}), ["contactpersonen[0].telefoon2"]),
    (klant("A", {"email1": "x@example.com"}), ["contactpersonen[0]"]),
    (klant("A", {**MAIN, "hoofdcontact": "ja"}), ["contactpersonen[0].hoofdcontact"]),
    (klant("A", {**MAIN, "id": "15"}), ["contactpersonen[0].id"]),
    (
        {**klant(), "extra_fields": [{"name": "D", "type": "date", "value": "1-2-2024"}]},
        ["extra_fields[0].value"],
    ),
    (
        {
            **klant(),
            "extra_fields": [{"name": "D", "type": "multiplechoice", "value": "a"}],
        },
        ["extra_fields[0].value"],
    ),
    (
        {**klant(), "extra_fields": [{"name": "D", "type": "json", "value": 1}]},
        ["extra_fields[0].type"],
    ),
    (
        {**klant(), "extra_fields": [{"name": "D", "type": "multiplechoice", "value": []}]},
        ["extra_fields[0].value"],
    ),
]


UNKNOWN_PATHS: list[Any] = [
    "/api2/klanten/999",
    "/api2/contacten/999",
    "/api2/klanten/abc",
    "/api2/klanten/99999999999",
]


BAD_UPDATES: list[Any] = [
    ({"naam": None}, ["naam"]),
    ({"contactpersonen": []}, ["contactpersonen"]),
    ({"contactpersonen": [{"voornaam": "A", "hoofdcontact": False}]}, ["contactpersonen"]),
    ({"contactpersonen": [{"id": 999, "hoofdcontact": True}]}, ["contactpersonen[0].id"]),
    (
        {"contactpersonen": [{"voornaam": "A", "email1": "x", "hoofdcontact": True}]},
        ["contactpersonen[0].email1"],
    ),
    ({"website": "ftp://x"}, ["website"]),
]


class TestCreate:
    async def test_fields_and_defaults(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(recras, klant(provinciecode="nl-nh", website="https://x.example.com"))
        assert made["provinciecode"] == "NL-NH" and made["bedrijf_id"] == 1
        assert made["type"] == "klant" and made["displaynaam"] == "Familie de Vries"
        record = await native(api, made["id"])
        assert record["metadata"] == {"recras.bedrijf_id": 1}
        assert record["website"] == "https://x.example.com" and record["customFields"] == {}
        (anna,) = record["contactPersons"]
        assert (anna["firstName"], anna["lastName"], anna["isMain"]) == ("Anna", "de Vries", True)

    async def test_empty_strings(self, recras: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
        person = {**MAIN, "email1": "", "email2": "", "telefoon1": "", "telefoon2": ""}
        made = await create(
            recras, klant("Leeg", person, provinciecode="", website="", soort_klant="", afdeling="")
        )
        assert (made["provinciecode"], made["website"], made["soort_klant"]) == (None, "", "")
        assert made["afdeling"] == ""
        (shown,) = (await recras.get(f"/api2/klanten/{made['id']}")).json()["contactpersonen"]
        assert [shown[k] for k in ("email1", "email2", "telefoon1", "telefoon2")] == [None] * 4
        record = await native(api, made["id"])
        assert (record["provinceCode"], record["website"], record["department"]) == (None, None, "")

    async def test_soort_klant_is_a_client_type_by_name(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        existing = (await api.post("/client-types", json={"name": "Bedrijf"})).json()
        made = await create(recras, klant(soort_klant="BEDRIJF"))
        assert made["soort_klant"] == "Bedrijf"
        assert (await native(api, made["id"]))["clientTypeId"] == existing["id"]
        other = await create(
            recras, klant("Ander", {**MAIN, "email1": "b@example.com"}, soort_klant="School")
        )
        assert other["soort_klant"] == "School"
        names = [t["name"] for t in (await api.get("/client-types")).json()["data"]]
        assert sorted(names) == ["Bedrijf", "School"]

    async def test_extra_fields_of_every_type(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        extras = [
            {"name": "Opmerking", "type": "text", "value": "Graag op tijd"},
            {"name": "Aantal", "type": "number", "value": 12},
            {"name": "Sinds", "type": "date", "value": "2024-05-01"},
            {"name": "Kleur", "type": "singlechoice", "value": "rood"},
            {"name": "Dagen", "type": "multiplechoice", "value": ["ma", "di"]},
            {"name": "Leeg", "type": "text", "value": None},
        ]
        made = await create(recras, klant(extra_fields=extras))
        assert "extra_fields" not in made
        record = await native(api, made["id"])
        assert record["customFields"] == {
            "opmerking": "Graag op tijd",
            "aantal": 12,
            "sinds": "2024-05-01",
            "kleur": "rood",
            "dagen": ["ma", "di"],
        }
        fields = {f["key"]: f for f in (await api.get("/custom-fields")).json()["data"]}
        assert fields["kleur"]["options"] == ["rood"] and fields["leeg"]["type"] == "text"
        # Matched by label or key in any case; choices in use are added to the options.
        again = [
            {"name": "KLEUR", "type": "singlechoice", "value": "blauw"},
            {"name": "dagen", "type": "multiplechoice", "value": ["wo"]},
        ]
        second = await create(
            recras, klant("Tweede", {**MAIN, "email1": "t@example.com"}, extra_fields=again)
        )
        assert (await native(api, second["id"]))["customFields"] == {
            "kleur": "blauw",
            "dagen": ["wo"],
        }
        fields = {f["key"]: f for f in (await api.get("/custom-fields")).json()["data"]}
        assert fields["kleur"]["options"] == ["rood", "blauw"]
        assert fields["dagen"]["options"] == ["ma", "di", "wo"]

    async def test_native_definition_matched_by_key(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        admin = {"headers": tenant.headers("admin")}
        r = await api.post(
            "/custom-fields",
            json={"key": "segment", "label": "Marktsegment", "type": "text"},
            **admin,
        )
        assert r.status_code == 201, r.text
        made = await create(
            recras, klant(extra_fields=[{"name": "Segment", "type": "text", "value": "zakelijk"}])
        )
        assert (await native(api, made["id"]))["customFields"] == {"segment": "zakelijk"}
        r = await recras.post(
            "/api2/klanten",
            json=klant(
                extra_fields=[{"name": "marktsegment", "type": "date", "value": "2024-01-01"}]
            ),
        )
        assert_406(r, "extra_fields[0].type")

    async def test_existing_contact_linked_to_a_second_customer(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        first = await create(recras, klant())
        anna = (await recras.get(f"/api2/klanten/{first['id']}")).json()["contactpersonen"][0]
        body = klant("Tweede", {"voornaam": "Bob", "email1": "bob@example.com"})
        body["contactpersonen"].append({"id": anna["id"], "hoofdcontact": False})
        second = await create(recras, body)
        listed = (await recras.get(f"/api2/klanten/{second['id']}")).json()["contactpersonen"]
        assert [(c["voornaam"], c["hoofdcontact"]) for c in listed] == [
            ("Bob", True),
            ("Anna", False),
        ]
        assert (await recras.get(f"/api2/klanten/{first['id']}")).json()["contactpersonen"][0][
            "hoofdcontact"
        ]


class TestMerge:
    async def test_same_name_and_main_email_merges(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        first = await create(
            recras,
            klant(plaats="Assen", extra_fields=[{"name": "Aantal", "type": "number", "value": 4}]),
        )
        again = klant(
            " familie  DE vries ",
            {**MAIN, "email1": "ANNA@example.com", "telefoon1": "0612345678", "voornaam": "X"},
            {"voornaam": "Piet", "email1": "piet@example.com"},
            plaats="Utrecht",
            postcode="1234 AB",
            soort_klant="Familie",
            bedrijf_id=3,
            extra_fields=[
                {"name": "Aantal", "type": "number", "value": 9},
                {"name": "Sinds", "type": "date", "value": "2020-02-02"},
            ],
        )
        merged = await create(recras, again, status=200)
        assert merged["id"] == first["id"] and merged["naam"] == "Familie de Vries"
        assert (merged["plaats"], merged["postcode"]) == ("Assen", "1234 AB")
        assert merged["soort_klant"] == "Familie" and merged["bedrijf_id"] == 1
        record = await native(api, first["id"])
        assert record["customFields"] == {"aantal": 4, "sinds": "2020-02-02"}
        people = [
            (c["firstName"], c["email"], c["phone"], c["isMain"]) for c in record["contactPersons"]
        ]
        assert people == [
            ("Anna", "anna@example.com", "0612345678", True),
            ("Piet", "piet@example.com", None, False),
        ]
        assert (await api.get("/clients")).json()["meta"]["total"] == 1
        # A third time with Piet's email in another case: merged into Piet, not a new person.
        third = klant(
            "Familie de Vries",
            MAIN,
            {"voornaam": "P.", "email1": "Piet@Example.com", "telefoon2": "010-1234567"},
        )
        await create(recras, third, status=200)
        record = await native(api, first["id"])
        assert [(c["firstName"], c["phone2"]) for c in record["contactPersons"]] == [
            ("Anna", None),
            ("Piet", "010-1234567"),
        ]

    async def test_merge_is_recorded_as_an_update(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        first = await create(recras, klant())
        await create(recras, klant(afdeling="Inkoop"), status=200)
        events = (await api.get("/events")).json()["data"]
        assert [e["type"] for e in events] == [
            "client.created",
            "contact_person.created",
            "client.updated",
        ]
        assert events[2]["data"]["object"]["number"] == first["id"]
        assert events[2]["data"]["previousAttributes"] == {"department": None}
        # A contact filled in and one added by a merge have their events too.
        body = klant("Familie de Vries", {**MAIN, "telefoon1": "0612345678"}, {"voornaam": "Piet"})
        await create(recras, body, status=200)
        after = (await api.get("/events", params={"after": events[-1]["sequence"]})).json()["data"]
        # Nothing of the customer's own was empty: no client.updated this time.
        assert [(e["type"], e["data"]["object"]["firstName"]) for e in after] == [
            ("contact_person.updated", "Anna"),
            ("contact_person.created", "Piet"),
        ]
        assert after[0]["data"]["previousAttributes"] == {"phone": None}

    async def test_otherwise_a_new_customer(self, recras: httpx.AsyncClient) -> None:
        first = await create(recras, klant())
        for change in NO_MATCH:
            second = await create(recras, {**klant(), **change})
            assert second["id"] != first["id"], change

    async def test_phone_and_address_are_no_signal(self, recras: httpx.AsyncClient) -> None:
        first = await create(
            recras, klant(adres="Dorpsstraat 1", postcode="1234 AB", plaats="Assen")
        )
        other = klant(
            "Fam. de Vries",
            {**MAIN, "email1": "ander@example.com"},
            adres="Dorpsstraat 1",
            postcode="1234 AB",
            plaats="Assen",
        )
        assert (await create(recras, other))["id"] != first["id"]

    async def test_deleted_customer_is_not_merged_into(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        first = await create(recras, klant())
        record = await native(api, first["id"])
        assert (await api.delete(f"/clients/{record['id']}")).status_code == 200
        assert (await create(recras, klant()))["id"] != first["id"]

    async def test_main_linked_by_id_matches_by_its_email(self, recras: httpx.AsyncClient) -> None:
        first = await create(recras, klant())
        anna = (await recras.get(f"/api2/klanten/{first['id']}")).json()["contactpersonen"][0]
        body = {
            "naam": "Familie de Vries",
            "afdeling": "X",
            "contactpersonen": [{"id": anna["id"], "hoofdcontact": True}],
        }
        merged = await create(recras, body, status=200)
        assert merged["id"] == first["id"] and merged["afdeling"] == "X"
        listed = (await recras.get(f"/api2/klanten/{first['id']}")).json()["contactpersonen"]
        assert [c["id"] for c in listed] == [anna["id"]]


class TestErrors:
    async def test_bad_input_is_406(self, recras: httpx.AsyncClient) -> None:
        for body, fields in BAD_CREATES:
            assert_406(await recras.post("/api2/klanten", json=body), *fields)

    async def test_malformed_json_is_406(self, recras: httpx.AsyncClient) -> None:
        r = await recras.post(
            "/api2/klanten", content=b'{"naam": ', headers={"content-type": "application/json"}
        )
        assert_406(r, "body")

    async def test_input_refused_before_any_route_is_406_too(
        self, recras: httpx.AsyncClient
    ) -> None:
        json = {"content-type": "application/json"}
        nul = b'{"naam": "A\\u0000", "contactpersonen": []}'
        assert_406(await recras.post("/api2/klanten", content=nul, headers=json), "naam")
        assert_406(await recras.get("/api2/klanten", params={"id>": "1\x00"}), "query")
        assert_406(await recras.put("/api2/klanten/1", content=b"\xff\xfe", headers=json), "body")
        # Outside /api2/ the native 400 stays.
        r = await recras.post("/api/clients", content=b'{"name": "A\\u0000"}', headers=json)
        assert r.status_code == 400

    async def test_a_406_leaves_nothing_behind(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        body = klant(
            soort_klant="Nieuw soort",
            extra_fields=[{"name": "Nieuw veld", "type": "text", "value": "x"}],
        )
        body["contactpersonen"].append({"id": 999, "hoofdcontact": False})
        assert_406(await recras.post("/api2/klanten", json=body), "contactpersonen[1].id")
        assert (await api.get("/client-types")).json()["meta"]["total"] == 0
        assert (await api.get("/custom-fields")).json()["meta"]["total"] == 0
        assert (await api.get("/clients")).json()["meta"]["total"] == 0

    async def test_another_tenants_contact_is_unknown(
        self, recras: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        theirs = await recras.post("/api2/klanten", json=klant(), headers=other_tenant.headers())
        (person,) = (
            await recras.get(f"/api2/klanten/{theirs.json()['id']}", headers=other_tenant.headers())
        ).json()["contactpersonen"]
        body = klant("Mine", {"id": person["id"]})
        assert_406(await recras.post("/api2/klanten", json=body), "contactpersonen[0].id")

    async def test_unknown_id_is_404(self, recras: httpx.AsyncClient) -> None:
        await create(recras, klant())
        for path in UNKNOWN_PATHS:
            r = await recras.get(path)
            assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND", path
            r = await recras.put(path.replace("contacten", "klanten"), json={"plaats": "Assen"})
            assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND", path

    async def test_other_tenant_is_404(
        self, recras: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        made = await create(recras, klant())
        headers = other_tenant.headers("admin")
        for method in ("GET", "PUT"):
            r = await recras.request(
                method, f"/api2/klanten/{made['id']}", json={}, headers=headers
            )
            assert r.status_code == 404, method
        assert (await recras.get("/api2/klanten", headers=headers)).json() == []
        # And not merged into: another organization's customer is not a match.
        assert (
            await recras.post("/api2/klanten", json=klant(), headers=headers)
        ).status_code == 201


class TestAuth:
    async def test_keys_and_scopes(self, raw_client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await raw_client.get("/api2/klanten")
        assert r.status_code == 401 and r.json()["error"] == "UNAUTHORIZED"
        read = tenant.headers("read")
        assert (await raw_client.get("/api2/klanten", headers=read)).status_code == 200
        for method, path in (("POST", "/api2/klanten"), ("PUT", "/api2/klanten/1")):
            r = await raw_client.request(method, path, json=klant(), headers=read)
            assert r.status_code == 403, method
            body = r.json()
            assert (body["status"], body["error"]) == (403, "FORBIDDEN")
            assert "editContact" in body["message"]
        # Scope first: even a bad body from a read key is a 403, not a 406.
        r = await raw_client.post("/api2/klanten", json={}, headers=read)
        assert r.status_code == 403


class TestRead:
    async def test_list_and_id_filter(self, recras: httpx.AsyncClient) -> None:
        numbers = []
        for index in range(3):
            made = await create(recras, klant(f"Klant {index}"))
            numbers.append(made["id"])
        listed = (await recras.get("/api2/klanten")).json()
        assert [k["id"] for k in listed] == numbers[::-1]
        assert all("contactpersonen" not in k for k in listed)
        r = await recras.get("/api2/klanten", params={"id>": str(numbers[1])})
        assert [k["id"] for k in r.json()] == numbers[:0:-1]
        # As written in the document, unencoded: `?id>=62`.
        r = await recras.get(f"/api2/klanten?id>={numbers[2]}")
        assert [k["id"] for k in r.json()] == [numbers[2]]
        for huge in ("99999999999", "-99999999999"):
            r = await recras.get("/api2/klanten", params={"id>": huge})
            assert r.status_code == 200 and len(r.json()) == (0 if huge[0] == "9" else 3)
        # Parameters the document does not name are ignored.
        r = await recras.get("/api2/klanten", params={"limit": "1", "includeDeleted": "yes"})
        assert len(r.json()) == 3
        assert_406(await recras.get("/api2/klanten", params={"id>": "abc"}), "id>")

    async def test_list_is_not_paged(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(listing, "MAX_LIMIT", 2)  # pages of 2: five customers take three
        for index in range(5):
            assert (await api.post("/clients", json={"name": f"K{index}"})).status_code == 201
        listed = (await recras.get("/api2/klanten")).json()
        assert [k["naam"] for k in listed] == ["K4", "K3", "K2", "K1", "K0"]

    async def test_native_client_in_recras_terms(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = (
            await api.post(
                "/clients",
                json={
                    "name": "Jansen",
                    "kind": "PERSON",
                    "firstName": "Jan",
                    "lastName": "Jansen",
                    "street": "Kerkstraat",
                    "city": "Assen",
                    "metadata": {"recras.bedrijf_id": "x"},
                    "contactPersons": [
                        {"firstName": "Jan", "gender": "MALE", "email": "j@example.com"}
                    ],
                },
            )
        ).json()
        r = await recras.get(f"/api2/contacten/{made['number']}")
        assert r.status_code == 200
        body = r.json()
        assert (body["displaynaam"], body["naam"], body["adres"]) == (
            "Jan Jansen",
            "Jansen",
            "Kerkstraat",
        )
        assert body["bedrijf_id"] == 1 and body["website"] is None and body["soort_klant"] is None
        (jan,) = body["contactpersonen"]
        assert (jan["geslacht"], jan["email1"], jan["hoofdcontact"]) == (
            "man",
            "j@example.com",
            True,
        )


class TestUpdate:
    async def test_partial_and_exact_contact_list(
        self, recras: httpx.AsyncClient, api: httpx.AsyncClient
    ) -> None:
        made = await create(
            recras,
            klant(
                "Club",
                MAIN,
                {"voornaam": "Bob", "email1": "bob@example.com"},
                plaats="Assen",
                soort_klant="Vereniging",
                bedrijf_id=2,
                extra_fields=[{"name": "Leden", "type": "number", "value": 30}],
            ),
        )
        path = f"/api2/klanten/{made['id']}"
        before = (await recras.get(path)).json()
        anna, bob = before["contactpersonen"]
        r = await recras.put(path, json={"afdeling": "Bestuur"})
        assert r.status_code == 200
        assert r.json() == {**before, "afdeling": "Bestuur"}
        # The list becomes exactly the one given: Anna gone, Bob main, Cor new.
        r = await recras.put(
            path,
            json={
                "plaats": None,
                "soort_klant": "",
                "bedrijf_id": None,
                "extra_fields": [
                    {"name": "leden", "type": "number", "value": 31},
                    {"name": "Opgericht", "type": "date", "value": "1990-01-01T00:00:00Z"},
                ],
                "contactpersonen": [
                    {"id": bob["id"], "hoofdcontact": True, "telefoon1": "0101"},
                    {"voornaam": "Cor", "hoofdcontact": False},
                ],
            },
        )
        assert r.status_code == 200, r.text
        after = r.json()
        assert (after["plaats"], after["soort_klant"], after["bedrijf_id"]) == (None, "", 1)
        assert [
            (c["voornaam"], c["hoofdcontact"], c["telefoon1"]) for c in after["contactpersonen"]
        ] == [
            ("Bob", True, "0101"),
            ("Cor", False, None),
        ]
        record = await native(api, made["id"])
        assert record["customFields"] == {"leden": 31, "opgericht": "1990-01-01"}
        assert record["clientTypeId"] is None and record["city"] is None
        assert record["metadata"] == {"recras.bedrijf_id": 1, "recras.soort_klant": ""}
        # Anna belonged to no other customer: she is gone.
        people = (await api.get("/contact-persons", params={"q": "anna"})).json()["data"]
        assert people == []
        # A fetched record can be sent back as it is.
        r = await recras.put(path, json=after)
        assert r.status_code == 200 and r.json() == {**after}
        # Custom fields not named stay; a null value removes one.
        await recras.put(
            path, json={"extra_fields": [{"name": "Leden", "type": "number", "value": None}]}
        )
        assert (await native(api, made["id"]))["customFields"] == {"opgericht": "1990-01-01"}

    async def test_bad_input_is_406_and_changes_nothing(self, recras: httpx.AsyncClient) -> None:
        made = await create(recras, klant())
        path = f"/api2/klanten/{made['id']}"
        before = (await recras.get(path)).json()
        for body, fields in BAD_UPDATES:
            assert_406(await recras.put(path, json=body), *fields)
            assert (await recras.get(path)).json() == before


async def test_openapi(raw_client: httpx.AsyncClient) -> None:
    spec = (await raw_client.get("/openapi.json")).json()
    operations = {
        (method, path): op
        for path, item in spec["paths"].items()
        if path.startswith("/api2/")
        for method, op in item.items()
    }
    assert set(operations) == {
        ("get", "/api2/klanten"),
        ("post", "/api2/klanten"),
        ("get", "/api2/klanten/{id}"),
        ("put", "/api2/klanten/{id}"),
        ("get", "/api2/contacten/{id}"),
    }
    for op in operations.values():
        assert op["tags"] == ["dialect: Recras"] and op["description"]
        assert "406" in op["responses"] and "400" not in op["responses"]
    post = operations["post", "/api2/klanten"]
    assert {"200", "201", "403"} <= set(post["responses"])
    assert [p["name"] for p in operations["get", "/api2/klanten"]["parameters"]] == ["id>"]
