"""Tenant isolation, generated from the app's own OpenAPI document.

For every operation whose path names a record, another organization's admin key gets a 404
with the same body shape (and, ids aside, the same message) as for a record that never existed,
whatever the method; afterwards the owner's records read exactly as before. Lists and searches
never show another organization's rows.

New routes are covered as they are mounted. A route whose path has a parameter that RECORDS
below cannot make fails `test_every_path_parameter_can_be_made`: add an entry for it.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from tests.conftest import Tenant
from tests.factories import client_body
from tests.openapi_routes import Operation, is_error_dto, operations

from rolodex.api.app import BASE_PATH


class Owner:
    """Makes, once each, the records path parameters name, with the owning tenant's admin key."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token = secrets.token_hex(6)
        self._made: dict[str, dict[str, Any]] = {}

    async def once(self, kind: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The record of this kind, created by a POST the first time it is asked for."""
        if kind not in self._made:
            answer = await self.client.post(path, json=body)
            assert answer.status_code in (200, 201), (kind, answer.text)
            self._made[kind] = answer.json()
        return self._made[kind]

    async def client_record(self) -> dict[str, Any]:
        body = client_body(
            name=f"Owner {self.token}",
            externalId=f"owner-{self.token}",
            externalIds=[{"system": "sap", "id": f"owner-{self.token}"}],
        )
        return await self.once("client", f"{BASE_PATH}/clients", body)

    async def under_client(self, kind: str, segment: str, body: dict[str, Any]) -> str:
        """A record nested under the owner's client, made once."""
        client = await self.client_record()
        path = f"{BASE_PATH}/clients/{client['id']}/{segment}"
        return str((await self.once(kind, path, body))["id"])

    async def top_level(
        self, kind: str, segment: str, body: dict[str, Any], key: str = "id"
    ) -> str:
        return str((await self.once(kind, f"{BASE_PATH}/{segment}", body))[key])


PathValue = Callable[[Owner], Awaitable[str]]


async def _client_id(owner: Owner) -> str:
    return str((await owner.client_record())["id"])


async def _client_external_id(owner: Owner) -> str:
    # The owner's client and its contact person carry the same externalId, so this one value
    # serves the client's and the nested contact person's external-id routes.
    await _contact_id(owner)
    return str((await owner.client_record())["externalId"])


async def _client_number(owner: Owner) -> str:
    return str((await owner.client_record())["number"])


async def _system(owner: Owner) -> str:
    return "sap"


async def _contact_id(owner: Owner) -> str:
    body = {
        "firstName": "Owner",
        "lastName": owner.token,
        "email": f"c{owner.token}@example.com",
        "externalId": f"owner-{owner.token}",  # what "external_id" names under a client too
        "externalIds": [{"system": "sap", "id": f"owner-{owner.token}"}],
    }
    return await owner.under_client("contact", "contact-persons", body)


async def _external_ref(owner: Owner) -> str:
    # The owner's client and its contact person both hold sap=owner-<token> in externalIds.
    await _contact_id(owner)
    return f"owner-{owner.token}"


async def _address_id(owner: Owner) -> str:
    return await owner.under_client("address", "addresses", {"city": "Oslo", "label": "HQ"})


async def _order_id(owner: Owner) -> str:
    client = await owner.client_record()
    return await owner.top_level("order", "orders", {"clientId": client["id"]})


async def _type_id(owner: Owner) -> str:
    return await owner.top_level("client_type", "client-types", {"name": f"Type {owner.token}"})


async def _field_key(owner: Owner) -> str:
    body = {"key": f"k{owner.token}", "label": "Owner field", "type": "text"}
    return await owner.top_level("custom_field", "custom-fields", body, key="key")


async def _webhook_id(owner: Owner) -> str:
    body = {"url": "http://127.0.0.1:9/owner-hook", "events": ["client.created"]}
    return await owner.top_level("webhook", "webhooks", body)


async def _no_delivery(owner: Owner) -> str:
    # Deliveries are made by the worker, which does not run in these tests: a redeliver names
    # the owner's webhook and an id that exists nowhere, so the webhook part is what is tested.
    return str(uuid.uuid4())


# How to make the record a path parameter names, looked up by the most specific key first:
# the whole path template, then "<segment before it>/{name}", then the parameter's name alone.
# So `{id}` in /clients/{clientId}/contact-persons/{id} can be "contact-persons/{id}".
RECORDS: dict[str, PathValue] = {
    "client_id": _client_id,
    "clientId": _client_id,
    "external_id": _client_external_id,
    "system": _system,
    "contact_id": _contact_id,
    # `.../external-ids/{system}/{external_id}` of clients and contact persons: both hold it.
    "{system}/{external_id}": _external_ref,
    "address_id": _address_id,
    "order_id": _order_id,
    "type_id": _type_id,
    "custom-fields/{key}": _field_key,
    "webhook_id": _webhook_id,
    "delivery_id": _no_delivery,
    # Dialects name clients by their per-organization number.
    "/api/clients/{clientId}": _client_number,
    "customers/{id}": _client_number,
    "/v3/clients/{id}": _client_number,
    "klanten/{id}": _client_number,
    "contacten/{id}": _client_number,
}

# Operations where another organization legitimately gets something other than a 404: the
# status it gets instead, and why. The owner's data must still be unchanged afterwards.
NOT_A_LOOKUP: dict[str, int] = {
    # An upsert by externalId: the other organization creates a client of its own.
    f"PUT {BASE_PATH}/clients/external-id/{{external_id}}": 201,
    f"PUT {BASE_PATH}/clients/external-ids/{{system}}/{{external_id}}": 201,
    # An upsert too: the other organization would create a contact person of its own, but the
    # example's clientId names no client of its own, which is a 400 (a body field, not a lookup).
    f"PUT {BASE_PATH}/contact-persons/external-ids/{{system}}/{{external_id}}": 400,
}

# Request bodies where the document's example does not fit (e.g. it names its own externalId).
BODIES: dict[str, Callable[[Any], Any]] = {
    f"PUT {BASE_PATH}/clients/external-id/{{external_id}}": lambda example: {
        k: v for k, v in example.items() if k not in ("externalId", "email")
    },
    f"PUT {BASE_PATH}/clients/external-ids/{{system}}/{{external_id}}": lambda example: {
        k: v for k, v in example.items() if k not in ("externalId", "email", "externalIds")
    },
}

# Query switches that widen what a route looks at: tried too, when the route declares them.
WIDENING = {"includeDeleted": "true", "permanent": "true"}


def maker(op: Operation, name: str) -> PathValue | None:
    segments = op.path.split("/")
    index = segments.index(f"{{{name}}}")
    keys = [op.path, f"{segments[index - 1]}/{{{name}}}", name]
    return next((RECORDS[key] for key in keys if key in RECORDS), None)


RECORD_OPERATIONS = [op for op in operations() if op.path_params]


def test_every_path_parameter_can_be_made() -> None:
    unknown = [
        f"{op.id}: {name}"
        for op in RECORD_OPERATIONS
        for name in op.path_params
        if maker(op, name) is None
    ]
    assert not unknown, "add these path parameters to RECORDS in test_isolation.py: " + str(unknown)


@pytest.fixture
async def owner(app: Any, tenant: Tenant) -> AsyncIterator[Owner]:
    async with _client(app, tenant) as client:
        yield Owner(client)


@pytest.fixture
async def intruder(app: Any, other_tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app, other_tenant) as client:
        yield client


def _client(app: Any, tenant: Tenant) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers=tenant.headers("admin"),
    )


async def _values(owner: Owner, op: Operation) -> dict[str, str]:
    values = {}
    for name in op.path_params:
        make = maker(op, name)
        assert make is not None, f"{op.id}: no RECORDS entry for {name}"
        values[name] = await make(owner)
    return values


def _missing(value: str) -> str:
    """A value of the same shape that names nothing."""
    try:
        uuid.UUID(value)
    except ValueError:
        return str(10**9 + secrets.randbelow(10**6)) if value.isdigit() else f"gone-{value}"
    return str(uuid.uuid4())


async def snapshot(owner: Owner) -> dict[str, Any]:
    """What the owner reads on every GET that names a record it has."""
    seen: dict[str, Any] = {}
    readable = [
        op
        for op in RECORD_OPERATIONS
        if op.method == "GET" and all(maker(op, name) is not None for name in op.path_params)
    ]
    # Make every record first: making one later would change what an earlier GET embeds.
    urls = [op.url(await _values(owner, op)) for op in readable]
    for op, url in zip(readable, urls, strict=True):
        answer = await owner.client.get(url)
        assert answer.status_code == 200, (op.id, answer.text)
        seen[url] = answer.json()
    listed = await owner.client.get(f"{BASE_PATH}/clients", params={"includeDeleted": "true"})
    seen["list"] = listed.json()
    return seen


def _normalized(message: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        message = message.replace(value, f"{{{name}}}")
    return message


@pytest.mark.parametrize("op", RECORD_OPERATIONS, ids=lambda op: op.id)
async def test_another_tenant_gets_a_404_like_a_missing_record(
    owner: Owner, intruder: httpx.AsyncClient, op: Operation
) -> None:
    if any(maker(op, name) is None for name in op.path_params):
        pytest.skip("see test_every_path_parameter_can_be_made")
    values = await _values(owner, op)
    before = await snapshot(owner)
    missing = {name: _missing(value) for name, value in values.items()}
    body = None
    if op.has_body:
        body = op.example if op.example is not None else {}
        body = BODIES[op.id](body) if op.id in BODIES else body
    queries = [{}] + [{k: v} for k, v in WIDENING.items() if k in op.query_params]
    for params in queries:
        real = await intruder.request(op.method, op.url(values), json=body, params=params)
        if op.id in NOT_A_LOOKUP:
            assert real.status_code == NOT_A_LOOKUP[op.id], (params, real.text)
            continue
        never = await intruder.request(op.method, op.url(missing), json=body, params=params)
        assert real.status_code == 404, (params, real.text)
        assert never.status_code == 404, (params, never.text)
        assert is_error_dto(real.json(), 404) and real.json()["error"] == "NOT_FOUND"
        assert real.json().keys() == never.json().keys()
        assert real.json()["details"] == never.json()["details"]
        assert _normalized(real.json()["message"], values) == _normalized(
            never.json()["message"], missing
        ), "the message tells an existing record from a missing one"
    assert await snapshot(owner) == before, "another organization changed the owner's data"


LIST_OPERATIONS = [op for op in operations() if op.method == "GET" and not op.path_params]


async def test_lists_and_searches_never_show_another_tenants_rows(
    owner: Owner, intruder: httpx.AsyncClient
) -> None:
    record = await owner.client_record()
    marks = [owner.token, str(record["id"])]
    mine = await owner.client.get(f"{BASE_PATH}/clients", params={"q": owner.token})
    assert [c["id"] for c in mine.json()["data"]] == [record["id"]], "the owner finds it"
    await intruder.post(f"{BASE_PATH}/clients", json=client_body(name="Intruder's own"))
    for op in LIST_OPERATIONS:
        for params in [{}, *([{"q": owner.token}] if "q" in op.query_params else [])]:
            for key, value in WIDENING.items():
                if key in op.query_params:
                    params = {**params, key: value}
            answer = await intruder.get(op.path, params=params)
            assert answer.status_code < 500, (op.id, answer.text)
            leaked = [mark for mark in marks if mark in answer.text]
            assert not leaked, f"{op.id} {params} shows another organization's rows"


async def test_records_stay_in_their_own_organization_by_number_and_external_id(
    owner: Owner, intruder: httpx.AsyncClient
) -> None:
    """Numbers and external ids are per organization: the same values name different rows."""
    record = await owner.client_record()
    theirs = await intruder.post(
        f"{BASE_PATH}/clients", json=client_body(externalId=record["externalId"])
    )
    assert theirs.status_code == 201, "externalId is unique per organization only"
    assert theirs.json()["number"] == 1 and record["number"] == 1
    got = await intruder.get(f"{BASE_PATH}/clients/external-id/{record['externalId']}")
    assert got.json()["id"] == theirs.json()["id"]
    listed = await intruder.get(f"{BASE_PATH}/clients", params={"number": "1"})
    assert [c["id"] for c in listed.json()["data"]] == [theirs.json()["id"]]
    assert re.fullmatch(r"[0-9a-f-]{36}", theirs.json()["id"])
