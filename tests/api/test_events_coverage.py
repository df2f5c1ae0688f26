"""Every write route emits exactly one event of the right type per record it changes.

The write routes (POST, PUT, PATCH, DELETE) are read from the app itself, native API and
dialects alike, so a new route fails `test_every_write_route_is_in_the_table` until it has an
entry in CASES (how to call it validly, and the events that call must emit) or in EXEMPT (with
the reason it changes no data). Adding a route's entry:

    CASES[("POST", N + "/orders")] = [
        Case("plain", ("order.created",), given=a_client, body=lambda r: {"clientId": r["id"]},
             status=201),
    ]

- The key is the method and the path exactly as the app declares it (path parameters in braces,
  dialect routes with their own prefix, e.g. `("PUT", "/v3/clients/{id}")`).
- `given` builds what the call needs through the native API (`Build` has helpers) and answers
  `Refs`: a dict holding the route's path parameters by name, and whatever else `body`,
  `subject` or `check` want (ids, numbers).
- `events` lists the types in the order the call emits them, one per record it changes (a
  contact person left with no client is the one record with two: `.unlinked` then `.deleted`);
  `()` for a valid call that changes nothing.
- `subject` says what the first event's object must contain (by default the `id` the response
  answers); `check` can assert more (previousAttributes, objects).

Every case then runs on SQLite and PostgreSQL in `test_every_write_route_emits_its_events`,
which also checks the generic rules: actor, one event per record, previousAttributes present on
every change of an existing record and absent on a creation.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
import httpx
from fastapi import APIRouter, FastAPI
from tests.conftest import Tenant
from tests.factories import client_body

from rolodex.api.app import BASE_PATH, create_app
from rolodex.settings import Settings

N = BASE_PATH
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Route = tuple[str, str]  # (method, path as the app declares it)
Refs = dict[str, Any]
CREATION = ("created", "purged")
CHANGE = ("updated", "linked", "unlinked", "restored")

# FastAPI >= 0.137.2 keeps included routers whole in `app.routes`; this walks into them.
# Older versions flatten every route into `app.routes` already.
_walk: Callable[[Any], Iterable[Any]] = getattr(fastapi.routing, "iter_route_contexts", iter)


def write_routes(app: FastAPI) -> set[Route]:
    """(method, path) of every POST/PUT/PATCH/DELETE the app serves, however it is mounted."""
    found: set[Route] = set()
    for route in _walk(app.routes):
        methods = getattr(route, "methods", None) or set()
        path = getattr(route, "path", None)
        found.update((method, path) for method in methods & WRITE_METHODS if path)
    return found


# ---------------------------------------------------------------- building records


class Build:
    """Records a case needs, made through the native API with the tenant's write key."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(self, path: str, body: Any = None) -> dict[str, Any]:
        r = await self.http.post(N + path, json=body)
        assert r.status_code in (200, 201), f"building {path}: {r.status_code} {r.text}"
        return dict(r.json())

    async def client(self, **fields: Any) -> dict[str, Any]:
        return await self.post("/clients", client_body(**fields))

    async def contact(self, client_id: str, **fields: Any) -> dict[str, Any]:
        return await self.post(
            f"/clients/{client_id}/contact-persons", {"name": "Anna Berg", **fields}
        )

    async def link(self, client_id: str, contact_id: str) -> dict[str, Any]:
        r = await self.http.put(f"{N}/clients/{client_id}/contact-persons/{contact_id}/link")
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def address(self, client_id: str, **fields: Any) -> dict[str, Any]:
        return await self.post(f"/clients/{client_id}/addresses", {"city": "Oslo", **fields})


Given = Callable[[Build], Awaitable[Refs]]
Check = Callable[[Refs, Any, list[dict[str, Any]]], None]


async def nothing(build: Build) -> Refs:
    return {}


def refs(**values: Any) -> Given:
    """A `given` that builds nothing and answers these values."""

    async def given(build: Build) -> Refs:
        return dict(values)

    return given


def same_id(refs: Refs, answer: Any) -> dict[str, Any]:
    return {"id": answer["id"]}


@dataclass(frozen=True)
class Case:
    """One valid call of a write route and the events it must emit, in order."""

    name: str
    events: tuple[str, ...]
    given: Given = nothing
    body: Callable[[Refs], Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    scope: str = "write"
    status: int = 200
    subject: Callable[[Refs, Any], dict[str, Any]] = same_id
    check: Check | None = None


# ---------------------------------------------------------------- what each case builds


async def a_client(build: Build) -> Refs:
    made = await build.client(city="Oslo")
    return {"client_id": made["id"], "id": made["id"], "number": made["number"]}


async def a_deleted_client(build: Build) -> Refs:
    refs = await a_client(build)
    assert (await build.http.delete(f"{N}/clients/{refs['client_id']}")).status_code == 200
    return refs


async def a_client_with_records(build: Build) -> Refs:
    """A client with one contact (its main one, linked nowhere else) and one address."""
    refs = await a_client(build)
    contact = await build.contact(refs["client_id"])
    address = await build.address(refs["client_id"])
    return refs | {"contact_id": contact["id"], "address_id": address["id"]}


async def a_client_to_upsert(build: Build) -> Refs:
    refs = await a_client_with_records(build)
    external_id = f"EXT-{refs['number']}"
    r = await build.http.patch(f"{N}/clients/{refs['client_id']}", json={"externalId": external_id})
    assert r.status_code == 200, r.text
    return refs | {"external_id": external_id}


async def a_client_for_a_crm_contact(build: Build) -> Refs:
    return await a_client(build) | {"system": "crm", "external_id": secrets.token_hex(4)}


async def a_crm_contact(build: Build) -> Refs:
    """A client's contact person (its main one) holding a crm id in its externalIds."""
    refs = await a_client_for_a_crm_contact(build)
    contact = await build.contact(refs["client_id"], externalIds=crm(refs))
    return refs | {"contact_id": contact["id"]}


def crm(refs: Refs) -> list[dict[str, str]]:
    return [{"system": "crm", "id": refs["external_id"]}]


async def a_crm_contact_and_another_client(build: Build) -> Refs:
    refs = await a_crm_contact(build)
    return refs | {"other_id": (await build.client())["id"]}


async def a_contact_elsewhere(build: Build) -> Refs:
    """A client, and a contact person of another client (the main one there)."""
    refs = await a_client(build)
    other = await build.client()
    contact = await build.contact(other["id"])
    return refs | {"contact_id": contact["id"], "other_id": other["id"]}


async def a_client_with_main_and_stranger(build: Build) -> Refs:
    """A client with a main contact, and a contact of another client to link as the new main."""
    refs = await a_contact_elsewhere(build)
    main = await build.contact(refs["client_id"], name="Old Main")
    return refs | {"main_id": main["id"]}


async def a_client_with_main(build: Build) -> Refs:
    refs = await a_client(build)
    main = await build.contact(refs["client_id"], name="Old Main")
    return refs | {"main_id": main["id"]}


async def a_shared_contact(build: Build) -> Refs:
    """A contact person linked to two clients."""
    refs = await a_contact_elsewhere(build)
    await build.link(refs["client_id"], refs["contact_id"])
    return refs


async def a_main_and_second(build: Build) -> Refs:
    """A client whose main contact (`contact_id`) is linked nowhere else, and a second one."""
    refs = await a_client(build)
    main = await build.contact(refs["client_id"], name="Main")
    second = await build.contact(refs["client_id"], name="Second")
    return refs | {"contact_id": main["id"], "second_id": second["id"]}


async def a_second_contact(build: Build) -> Refs:
    """A client's second contact (`contact_id`) and its main one (`main_id`)."""
    refs = await a_main_and_second(build)
    return refs | {"contact_id": refs["second_id"], "main_id": refs["contact_id"]}


async def an_address(build: Build) -> Refs:
    refs = await a_client(build)
    address = await build.address(refs["client_id"], label="HQ")
    return refs | {"address_id": address["id"]}


async def an_order(build: Build) -> Refs:
    refs = await a_client(build)
    order = await build.post("/orders", {"clientId": refs["client_id"]})
    return refs | {"order_id": order["id"]}


async def a_numbered_client(build: Build) -> Refs:
    """A client named by its number as `{id}` (the customers v1.0, TimeWave and Recras routes)."""
    refs = await a_client(build)
    return refs | {"id": refs["number"]}


async def a_recras_customer(build: Build) -> Refs:
    """A Recras customer (`id`: its number) whose main contact Anna has an email of her own."""
    email = f"anna.{secrets.token_hex(4)}@example.com"
    body = {
        "naam": "Groep Oost",
        "contactpersonen": [{"voornaam": "Anna", "email1": email, "hoofdcontact": True}],
    }
    r = await build.http.post("/api2/klanten", json=body)
    assert r.status_code in (200, 201), r.text
    return {"id": r.json()["id"], "email": email}


def merged_into_the_customer(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    assert answer["id"] == refs["id"], answer
    assert previous(events, 0) == {"department": None}
    assert previous(events, 1) == {"phone": None}


def answered_number(*path: str) -> Callable[[Refs, Any], dict[str, Any]]:
    """The subject is the client whose number the answer shows at `path`."""

    def subject(refs: Refs, answer: Any) -> dict[str, Any]:
        for key in path:
            answer = answer[key]
        return {"number": answer}

    return subject


def first_result(refs: Refs, answer: Any) -> dict[str, Any]:
    return {"id": answer["results"][0]["data"]["id"]}


async def a_summit_client(build: Build) -> Refs:
    refs = await a_client(build)
    return refs | {"clientId": refs["number"]}


# ---------------------------------------------------------------- checks on the events


def objects(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["data"]["object"] for e in events]


def previous(events: list[dict[str, Any]], index: int) -> Any:
    return events[index]["data"]["previousAttributes"]


def nested_created(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    _, new, linked, address = objects(events)
    assert new["clientId"] == linked["clientId"] == address["clientId"] == answer["id"]
    assert new["isMain"] is True and linked["isMain"] is False
    assert linked["id"] == refs["contact_id"]
    assert linked["clientIds"] == [refs["other_id"], answer["id"]]
    assert previous(events, 2)["clientIds"] == [refs["other_id"]]
    assert {"contactPersons", "addresses"}.isdisjoint(events[0]["data"]["object"])


def replaced_lists(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    _, unlinked, deleted, updated, created = objects(events)
    assert unlinked["id"] == deleted["id"] == refs["contact_id"]
    assert deleted == unlinked and unlinked["clientIds"] == []
    assert previous(events, 1)["clientIds"] == [refs["client_id"]]
    assert previous(events, 2) is None
    assert updated["id"] == refs["address_id"] and updated["city"] == "Bergen"
    assert previous(events, 3) == {"city": "Oslo"}
    assert created["clientId"] == refs["client_id"] and created["city"] == "Lund"


def purged(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    _, unlinked, deleted, address = objects(events)
    assert unlinked["id"] == deleted["id"] == refs["contact_id"]
    assert unlinked["clientId"] == refs["client_id"] and unlinked["clientIds"] == []
    assert address["id"] == refs["address_id"] and address["clientId"] == refs["client_id"]


def demoted(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    new, old = objects(events)
    assert new["isMain"] is True
    assert old["id"] == refs["main_id"] and old["isMain"] is False
    assert previous(events, 1) == {"isMain": True}
    assert old["version"] == 1  # a link flag moved, not the contact's own fields


def linked_as_main(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    new, old = objects(events)
    assert new["id"] == refs["contact_id"] and new["clientId"] == refs["client_id"]
    assert new["clientIds"] == [refs["other_id"], refs["client_id"]] and new["isMain"] is True
    assert previous(events, 0) == {"clientIds": [refs["other_id"]], "isMain": None}
    assert old["id"] == refs["main_id"] and previous(events, 1) == {"isMain": True}


def made_main(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    promoted, demoted = objects(events)
    assert promoted["isMain"] is True and previous(events, 0) == {"isMain": False}
    assert demoted["id"] == refs["main_id"] and previous(events, 1) == {"isMain": True}


def unlinked_shared(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    (obj,) = objects(events)
    assert obj["clientId"] == refs["client_id"] and obj["clientIds"] == [refs["other_id"]]
    assert previous(events, 0) == {
        "clientIds": [refs["other_id"], refs["client_id"]],
        "isMain": True,
    }


def unlinked_main(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    unlinked, deleted, promoted = objects(events)
    assert unlinked["id"] == deleted["id"] == refs["contact_id"]
    assert previous(events, 0) == {"clientIds": [refs["client_id"]], "isMain": True}
    assert promoted["id"] == refs["second_id"] and promoted["isMain"] is True
    assert previous(events, 2) == {"isMain": False}


def contact_patched(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    assert previous(events, 0) == {"jobTitle": None}
    assert objects(events)[0]["jobTitle"] == "CFO" and objects(events)[0]["version"] == 2


def address_patched(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    assert previous(events, 0) == {"label": "HQ", "isInvoice": False}
    assert objects(events)[0]["clientId"] == refs["client_id"]


def address_deleted(refs: Refs, answer: Any, events: list[dict[str, Any]]) -> None:
    assert objects(events)[0]["label"] == "HQ" and previous(events, 0) is None


def by_number(refs: Refs, answer: Any) -> dict[str, Any]:
    return {"number": answer["id"]}


# ---------------------------------------------------------------- the table

CASES: dict[Route, list[Case]] = {
    ("POST", N + "/clients"): [
        Case("plain", ("client.created",), body=lambda r: client_body(), status=201),
        Case(
            "with a new and an existing contact and an address",
            (
                "client.created",
                "contact_person.created",
                "contact_person.linked",
                "address.created",
            ),
            given=a_contact_elsewhere,
            body=lambda r: client_body(
                contactPersons=[{"name": "New One"}, {"id": r["contact_id"]}],
                addresses=[{"city": "Lund"}],
            ),
            status=201,
            check=nested_created,
        ),
    ],
    ("PUT", N + "/clients/external-id/{external_id}"): [
        Case(
            "creating",
            ("client.created",),
            given=refs(external_id="NEW-1"),
            body=lambda r: {"name": "Upserted"},
            status=201,
        ),
        Case(
            "replacing",
            ("client.updated",),
            given=a_client_to_upsert,
            body=lambda r: {"name": "Replaced"},
        ),
        Case(
            "replacing the lists",
            (
                "client.updated",
                "contact_person.unlinked",
                "contact_person.deleted",
                "address.updated",
                "address.created",
            ),
            given=a_client_to_upsert,
            body=lambda r: {
                "name": "Replaced",
                "contactPersons": [],
                "addresses": [{"id": r["address_id"], "city": "Bergen"}, {"city": "Lund"}],
            },
            check=replaced_lists,
        ),
    ],
    ("PATCH", N + "/clients/{client_id}"): [
        Case("a field", ("client.updated",), given=a_client, body=lambda r: {"city": "Bergen"}),
    ],
    ("DELETE", N + "/clients/{client_id}"): [
        Case("soft", ("client.deleted",), given=a_client),
        Case(
            "purge, with a contact and an address",
            (
                "client.purged",
                "contact_person.unlinked",
                "contact_person.deleted",
                "address.deleted",
            ),
            given=a_client_with_records,
            params={"permanent": "true"},
            scope="admin",
            check=purged,
        ),
    ],
    ("POST", N + "/clients/{client_id}/restore"): [
        Case("deleted", ("client.restored",), given=a_deleted_client),
        Case("live (no change)", (), given=a_client),
    ],
    ("POST", N + "/clients/{client_id}/contact-persons"): [
        Case(
            "first",
            ("contact_person.created",),
            given=a_client,
            body=lambda r: {"firstName": "Anna", "lastName": "Berg"},
            status=201,
        ),
        Case(
            "new main",
            ("contact_person.created", "contact_person.updated"),
            given=a_client_with_main,
            body=lambda r: {"name": "New Main", "isMain": True},
            status=201,
            check=demoted,
        ),
    ],
    ("PATCH", N + "/clients/{client_id}/contact-persons/{contact_id}"): [
        Case(
            "a field",
            ("contact_person.updated",),
            given=a_client_with_records,
            body=lambda r: {"jobTitle": "CFO"},
            check=contact_patched,
        ),
        Case(
            "nothing changed",
            (),
            given=a_client_with_records,
            body=lambda r: {"name": "Anna Berg", "isMain": True},
        ),
        Case(
            "made main",
            ("contact_person.updated", "contact_person.updated"),
            given=a_second_contact,
            body=lambda r: {"isMain": True},
            check=made_main,
        ),
    ],
    ("DELETE", N + "/clients/{client_id}/contact-persons/{contact_id}"): [
        Case(
            "linked elsewhere too",
            ("contact_person.unlinked",),
            given=a_shared_contact,
            check=unlinked_shared,
        ),
        Case(
            "the main one, linked nowhere else",
            ("contact_person.unlinked", "contact_person.deleted", "contact_person.updated"),
            given=a_main_and_second,
            check=unlinked_main,
        ),
    ],
    ("PUT", N + "/clients/{client_id}/contact-persons/{contact_id}/link"): [
        Case("new link", ("contact_person.linked",), given=a_contact_elsewhere, status=201),
        Case(
            "new link as the main one",
            ("contact_person.linked", "contact_person.updated"),
            given=a_client_with_main_and_stranger,
            body=lambda r: {"isMain": True},
            status=201,
            check=linked_as_main,
        ),
        Case("already linked (no change)", (), given=a_client_with_records),
    ],
    ("PUT", N + "/contact-persons/external-ids/{system}/{external_id:text}"): [
        Case(
            "creating",
            ("contact_person.created",),
            given=a_client_for_a_crm_contact,
            body=lambda r: {"clientId": r["client_id"], "name": "Anna Berg"},
            status=201,
        ),
        Case(
            "replacing",
            ("contact_person.updated",),
            given=a_crm_contact,
            body=lambda r: {"name": "Anna Berg", "jobTitle": "CFO"},
        ),
        Case(
            "replacing and linking to another client",
            ("contact_person.linked",),
            given=a_crm_contact_and_another_client,
            body=lambda r: {"clientId": r["other_id"], "name": "Anna Berg"},
        ),
        Case(
            "nothing changed",
            (),
            given=a_crm_contact,
            body=lambda r: {"name": "Anna Berg", "externalIds": crm(r)},
        ),
    ],
    ("POST", N + "/clients/{client_id}/addresses"): [
        Case(
            "plain",
            ("address.created",),
            given=a_client,
            body=lambda r: {"city": "Lund", "isDelivery": True},
            status=201,
        ),
    ],
    ("PATCH", N + "/clients/{client_id}/addresses/{address_id}"): [
        Case(
            "fields",
            ("address.updated",),
            given=an_address,
            body=lambda r: {"label": "Depot", "isInvoice": True},
            check=address_patched,
        ),
        Case("nothing changed", (), given=an_address, body=lambda r: {"label": "HQ"}),
    ],
    ("DELETE", N + "/clients/{client_id}/addresses/{address_id}"): [
        Case("plain", ("address.deleted",), given=an_address, check=address_deleted),
    ],
    ("POST", N + "/orders"): [
        Case(
            "plain",
            ("order.created",),
            given=a_client,
            body=lambda r: {"clientId": r["client_id"], "quantity": 2},
            status=201,
        ),
    ],
    ("PATCH", N + "/orders/{order_id}"): [
        Case("submit", ("order.updated",), given=an_order, body=lambda r: {"status": "SUBMITTED"}),
    ],
    ("DELETE", N + "/orders/{order_id}"): [
        Case("plain", ("order.deleted",), given=an_order),
    ],
    ("POST", N + "/clients/batch"): [
        Case(
            "two creates",
            ("client.created", "client.created"),
            body=lambda r: {
                "operations": [
                    {"op": "create", "data": client_body()},
                    {"op": "create", "data": client_body()},
                ]
            },
            subject=first_result,
        ),
    ],
    ("PUT", N + "/clients/external-ids/{system}/{external_id:text}"): [
        Case(
            "creating",
            ("client.created",),
            given=refs(system="sap", external_id="K-1"),
            body=lambda r: {"name": "Upserted"},
            status=201,
        ),
    ],
    # customers & orders v1.0: `_id` is the client's number.
    ("POST", "/v1.0/customers"): [
        Case(
            "plain",
            ("client.created",),
            body=lambda r: {
                "customerName": "Ann",
                "customerLastName": "Lee",
                "customerEmail": "ann.lee@example.com",
                "customerStatus": 1,
            },
            subject=answered_number("customer", "_id"),
        ),
    ],
    ("PUT", "/v1.0/customers/{id}"): [
        Case(
            "a field",
            ("client.updated",),
            given=a_numbered_client,
            body=lambda r: {"customerDescription": "changed"},
            subject=answered_number("customer", "_id"),
        ),
    ],
    ("DELETE", "/v1.0/customers/{id}"): [
        Case(
            "plain",
            ("client.deleted",),
            given=a_numbered_client,
            subject=lambda r, a: {"number": r["number"]},
        ),
    ],
    # TimeWave: `id` is the client's number.
    ("POST", "/v3/clients"): [
        Case(
            "with an address object",
            ("client.created", "address.created"),
            body=lambda r: {
                "title": "Tw Addressed",
                "address": {"address": "Storgatan 1", "postal_code": "11122", "city": "Stockholm"},
            },
            status=201,
            subject=answered_number("data", "id"),
        ),
        Case(
            "plain",
            ("client.created",),
            body=lambda r: {"title": "Tw Client"},
            status=201,
            subject=answered_number("data", "id"),
        ),
    ],
    ("PUT", "/v3/clients/{id}"): [
        Case(
            "a field",
            ("client.updated",),
            given=a_numbered_client,
            body=lambda r: {"title": "Tw Renamed"},
            subject=answered_number("data", "id"),
        ),
    ],
    ("DELETE", "/v3/clients/{id}"): [
        Case(
            "plain",
            ("client.deleted",),
            given=a_numbered_client,
            subject=lambda r, a: {"number": r["number"]},
        ),
    ],
    # Recras: `id` is the client's number.
    ("POST", "/api2/klanten"): [
        Case(
            "with a new main contact",
            ("client.created", "contact_person.created"),
            body=lambda r: {
                "naam": "Groep Noord",
                "contactpersonen": [
                    {
                        "voornaam": "Sanne",
                        "achternaam": "Vries",
                        "email1": "sanne@example.com",
                        "hoofdcontact": True,
                    }
                ],
            },
            status=201,
            subject=answered_number("id"),
        ),
        Case(
            "merged into the customer with the same name and main contact email",
            ("client.updated", "contact_person.updated", "contact_person.created"),
            given=a_recras_customer,
            body=lambda r: {
                "naam": " groep  OOST ",
                "afdeling": "Verkoop",
                "contactpersonen": [
                    {
                        "voornaam": "Anna",
                        "email1": r["email"],
                        "telefoon1": "0612345678",
                        "hoofdcontact": True,
                    },
                    {"voornaam": "Piet", "hoofdcontact": False},
                ],
            },
            subject=answered_number("id"),
            check=merged_into_the_customer,
        ),
    ],
    ("PUT", "/api2/klanten/{id}"): [
        Case(
            "a field",
            ("client.updated",),
            given=a_numbered_client,
            body=lambda r: {"naam": "Groep Zuid"},
            subject=answered_number("id"),
        ),
        Case(
            "the contact persons only: Bob replaces Anna, who has no other customer",
            (
                "contact_person.created",
                "contact_person.unlinked",
                "contact_person.deleted",
            ),
            given=a_recras_customer,
            body=lambda r: {"contactpersonen": [{"voornaam": "Bob", "hoofdcontact": True}]},
            subject=lambda refs, answer: {"firstName": "Bob"},
        ),
    ],
    # Summit dialect: ids are the clients' numbers.
    ("POST", "/api/clients"): [
        Case(
            "plain",
            ("client.created",),
            body=lambda r: {"name": "Beta", "email": "beta@example.com", "paymentTerms": 15},
            status=201,
            subject=by_number,
        ),
    ],
    ("PUT", "/api/clients/{clientId}"): [
        Case(
            "fields",
            ("client.updated",),
            given=a_summit_client,
            body=lambda r: {"name": "Beta 2", "paymentTerms": 45},
            subject=by_number,
        ),
    ],
    ("DELETE", "/api/clients/{clientId}"): [
        Case("soft", ("client.deleted",), given=a_summit_client, subject=by_number),
    ],
}

WEBHOOKS = "webhook management is configuration, not data: it is not in the change feed"
DEFINITIONS = (
    "client types and custom-field definitions are the organization's configuration; the "
    "change feed carries data records (clients, contact persons, addresses, orders)"
)
EXEMPT: dict[Route, str] = {
    ("POST", N + "/client-types"): DEFINITIONS,
    ("PATCH", N + "/client-types/{type_id}"): DEFINITIONS,
    ("DELETE", N + "/client-types/{type_id}"): DEFINITIONS,
    ("POST", N + "/custom-fields"): DEFINITIONS,
    ("PATCH", N + "/custom-fields/{key}"): DEFINITIONS,
    ("DELETE", N + "/custom-fields/{key}"): DEFINITIONS,
    ("POST", N + "/webhooks"): WEBHOOKS,
    ("PATCH", N + "/webhooks/{webhook_id}"): WEBHOOKS,
    ("DELETE", N + "/webhooks/{webhook_id}"): WEBHOOKS,
    ("POST", N + "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): (
        "resends an event already in the feed; changes no data"
    ),
}


# ---------------------------------------------------------------- the guard


def uncovered(app: FastAPI) -> tuple[set[Route], set[Route]]:
    """(write routes in neither table, table entries the app does not serve)."""
    served = write_routes(app)
    listed = set(CASES) | set(EXEMPT)
    return served - listed, listed - served


def bare_app() -> FastAPI:
    """The app with every router, and no database behind it (nothing is called)."""
    return create_app(Settings(database_url="sqlite+aiosqlite://", run_worker=False))


def test_every_write_route_is_in_the_table() -> None:
    missing, stale = uncovered(bare_app())
    assert not missing, (
        "write routes with no entry in CASES (how to call them, which events they emit) "
        f"or EXEMPT (why they change no data): {sorted(missing)}"
    )
    assert not stale, f"entries for routes the app does not serve: {sorted(stale)}"
    assert not set(CASES) & set(EXEMPT)
    assert all(EXEMPT.values()), "every exemption says why"
    idle = [route for route, cases in CASES.items() if not any(case.events for case in cases)]
    assert not idle, f"routes none of whose cases changes a record: {idle}"


def test_the_guard_sees_a_new_route_however_it_is_mounted() -> None:
    app = bare_app()
    missing, stale = uncovered(app)
    outer, inner = APIRouter(), APIRouter()

    @inner.post("/orders")
    async def create_order() -> None:
        """A route nobody put in the table."""

    outer.include_router(inner, prefix="/nested")
    app.include_router(outer, prefix="/v9")
    assert uncovered(app) == (missing | {("POST", "/v9/nested/orders")}, stale)


# ---------------------------------------------------------------- running the table


async def last_sequence(http: httpx.AsyncClient, after: int) -> int:
    while True:
        r = await http.get(f"{N}/events", params={"after": after, "limit": 1000})
        assert r.status_code == 200, r.text
        body = r.json()
        if not body["data"]:
            return after
        after = body["meta"]["nextAfter"]


async def run_case(http: httpx.AsyncClient, tenant: Tenant, route: Route, case: Case) -> list[str]:
    """Build, call, compare the events; answers what went wrong (nothing when all is well)."""
    method, path = route
    build = Build(http)
    refs = await case.given(build)
    seen = await last_sequence(http, 0)
    body = case.body(refs) if case.body is not None else None
    r = await http.request(
        method,
        re.sub(r":\w+}", "}", path).format(**refs),  # `{name:convertor}`
        json=body,
        params=case.params,
        headers=tenant.headers(case.scope),
    )
    if r.status_code != case.status:
        return [f"answered {r.status_code}, not {case.status}: {r.text[:300]}"]
    got = await http.get(f"{N}/events", params={"after": seen, "limit": 1000})
    events: list[dict[str, Any]] = got.json()["data"]
    types = tuple(e["type"] for e in events)
    if types != case.events:
        return [f"emitted {list(types)}, not {list(case.events)}"]
    problems = [f"{e['type']}: {p}" for e in events for p in event_problems(e, tenant, case)]
    problems += one_per_record(events)
    if events:
        expected = case.subject(refs, r.json())
        shown = {k: events[0]["data"]["object"].get(k) for k in expected}
        if shown != expected:
            problems.append(f"first event is about {shown}, not {expected}")
    if not problems and case.check is not None:
        try:
            case.check(refs, r.json(), events)
        except AssertionError as exc:
            problems.append(f"check: {exc!r}")
    return problems


def event_problems(event: dict[str, Any], tenant: Tenant, case: Case) -> list[str]:
    problems = []
    if event["actor"] != {"keyId": tenant.key_ids[case.scope]}:
        problems.append(f"actor {event['actor']}")
    verb = event["type"].partition(".")[2]
    before = event["data"]["previousAttributes"]
    if verb in CREATION and before is not None:
        problems.append(f"previousAttributes {before} on a {verb} event")
    if verb in CHANGE and not before:
        problems.append("no previousAttributes on a change")
    if not event["data"]["object"].get("id"):
        problems.append("object without id")
    return problems


def one_per_record(events: list[dict[str, Any]]) -> list[str]:
    """No record has two events, but for a contact person unlinked and then deleted."""
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for event in events:
        kind, _, verb = event["type"].partition(".")
        key = (kind, event["data"]["object"]["id"])
        if key in seen and not (seen[key] == "unlinked" and verb == "deleted"):
            problems.append(f"a second event for {key}: {seen[key]} then {verb}")
        seen[key] = verb
    return problems


ALL_CASES = [(route, case) for route, cases in CASES.items() for case in cases]


async def test_every_write_route_emits_its_events(
    raw_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """All cases in one test per backend (one tenant, no per-case setup); all failures listed."""
    raw_client.headers.update(tenant.headers("write"))
    failures = []
    for route, case in ALL_CASES:
        try:
            problems = await run_case(raw_client, tenant, route, case)
        except AssertionError as exc:  # its `given` could not build the records
            problems = [repr(exc)]
        failures += [f"{route[0]} {route[1]} [{case.name}]: {p}" for p in problems]
    assert not failures, "\n".join(failures)
