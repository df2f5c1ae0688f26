"""creates.Gathering: a tenant's concurrent one-statement creates written together, on a real
PostgreSQL (on SQLite a create is a transaction of its own). Each create must be written and
answered exactly as alone: its rows, its numbers, its events in one unbroken sequence, and its
own 409 when it is the one refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant

from rolodex.api.app import BASE_PATH

pytestmark = pytest.mark.postgres_only


@contextmanager
def create_statements(engine: AsyncEngine) -> Iterator[list[dict[str, Any]]]:
    """The clients' rows of each create statement `engine` runs inside the block."""
    seen: list[dict[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if sql.startswith("WITH step_0 AS (INSERT INTO clients"):
            seen.append({"clients": json.loads(params[0]), "sql": sql})

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def _body(n: int, email: str | None = None) -> dict[str, Any]:
    return {
        "name": f"Gathered {n}",
        "email": email or f"gathered.{n}@example.com",
        "contactPersons": [
            {"firstName": "Ann", "lastName": f"G{n}", "email": f"ann.{n}@example.com"},
            {"firstName": "Bo", "lastName": f"G{n}", "isMain": True},
        ],
    }


async def _client(app: Any, tenant: Tenant) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://test{BASE_PATH}",
        headers=tenant.headers("write"),
    )


async def test_concurrent_creates_share_statements_and_each_is_as_alone(
    app: Any, api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    assert (await api.post("/clients", json=_body(0))).status_code == 201  # counters exist
    with create_statements(engine) as statements:
        answers = await asyncio.gather(*(api.post("/clients", json=_body(n)) for n in range(1, 25)))
    assert [a.status_code for a in answers] == [201] * 24, [a.text for a in answers]
    written = sum(len(s["clients"]) for s in statements)
    assert written == 24 and len(statements) < 24, "creates shared statements"
    shown = [a.json() for a in answers]
    assert sorted(c["number"] for c in shown) == list(range(2, 26))
    contact_numbers = sorted(p["number"] for c in shown for p in c["contactPersons"])
    assert contact_numbers == list(range(3, 51))
    for client in shown:  # each reads back as it was answered
        assert (await api.get(f"/clients/{client['id']}")).json() == client
    # Three events per create, one unbroken sequence; each client's own object.
    events = (await api.get("/events", params={"limit": 1000})).json()["data"]
    assert [e["sequence"] for e in events] == list(range(1, 76))
    objects = {e["data"]["object"]["id"]: e for e in events}
    for client in shown:
        created = objects[client["id"]]
        assert created["type"] == "client.created"
        embedded = ("contactPersons", "addresses")
        assert created["data"]["object"] == {k: v for k, v in client.items() if k not in embedded}
        for person in client["contactPersons"]:
            assert objects[person["id"]]["type"] == "contact_person.created"


async def test_a_refused_create_is_refused_alone(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    assert (await api.post("/clients", json=_body(0))).status_code == 201
    bodies = [_body(n) for n in range(1, 13)]
    bodies[7] = _body(7, email="Gathered.3@EXAMPLE.com")  # the same email as bodies[3]
    with create_statements(engine) as statements:
        answers = await asyncio.gather(*(api.post("/clients", json=body) for body in bodies))
    statuses = [a.status_code for a in answers]
    assert sorted(statuses) == [201] * 11 + [409], [a.text for a in answers]
    refused = answers[statuses.index(409)]
    assert refused.json()["error"] == "CONFLICT" and "email" in refused.json()["message"]
    assert any(len(s["clients"]) > 1 for s in statements), "a statement was gathered"
    # Nothing of the refused create is left: 12 clients, 24 contact persons, 36 events.
    listed = await api.get("/clients", params={"limit": 50})
    assert listed.json()["meta"]["total"] == 12
    contacts = await api.get("/contact-persons", params={"limit": 100})
    assert contacts.json()["meta"]["total"] == 24
    events = (await api.get("/events", params={"limit": 1000})).json()["data"]
    assert [e["sequence"] for e in events] == list(range(1, 37))
    for answer in answers:
        if answer.status_code == 201:
            assert (await api.get(f"/clients/{answer.json()['id']}")).json() == answer.json()


async def test_tenants_never_share_a_statement(
    app: Any, tenant: Tenant, other_tenant: Tenant, engine: AsyncEngine
) -> None:
    async with await _client(app, tenant) as ours, await _client(app, other_tenant) as theirs:
        for client in (ours, theirs):
            assert (await client.post("/clients", json=_body(0))).status_code == 201
        with create_statements(engine) as statements:
            answers = await asyncio.gather(
                *(
                    client.post("/clients", json=_body(n))
                    for n in range(1, 11)
                    for client in (ours, theirs)
                )
            )
        assert [a.status_code for a in answers] == [201] * 20
        for client, tenant_id in ((ours, tenant.id), (theirs, other_tenant.id)):
            listed = await client.get("/clients", params={"limit": 50})
            assert listed.json()["meta"]["total"] == 11
            assert {c["organization"] for c in listed.json()["data"]} == {tenant_id}
    assert any(len(s["clients"]) > 1 for s in statements), "statements were gathered"
    for statement in statements:
        assert len({row["organization_id"] for row in statement["clients"]}) == 1


async def test_creates_with_and_without_contact_persons_go_together(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    assert (await api.post("/clients", json=_body(0))).status_code == 201
    bodies = [_body(n) if n % 3 else {"name": f"Alone {n}"} for n in range(1, 16)]
    with create_statements(engine) as statements:
        answers = await asyncio.gather(*(api.post("/clients", json=body) for body in bodies))
    assert [a.status_code for a in answers] == [201] * 15, [a.text for a in answers]
    assert any(len(s["clients"]) > 1 for s in statements), "a statement was gathered"
    for body, answer in zip(bodies, answers, strict=True):
        shown = answer.json()
        assert len(shown["contactPersons"]) == len(body.get("contactPersons", []))
        assert (await api.get(f"/clients/{shown['id']}")).json() == shown
    events = (await api.get("/events", params={"limit": 1000})).json()["data"]
    assert [e["sequence"] for e in events] == list(range(1, 3 + 5 * 1 + 10 * 3 + 1))
