"""A read costs a fixed number of SQL statements, whatever the page size or the embedded lists.

Counted with a listener on the engine (`count_statements`): a key seen a moment ago costs none
(the principal cache); COMMIT is not counted, nor BEGIN on PostgreSQL (reads run without a
transaction there), while SQLite's `BEGIN IMMEDIATE` is (db.py issues it as a statement).
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant, count_statements
from tests.factories import client_body

from rolodex.core.clients.documents import DOCUMENTS
from rolodex.core.ids import new_id

EMBEDDED = ("contactPersons", "addresses")

CLIENTS = 30


@pytest.fixture
async def clients(api: httpx.AsyncClient) -> list[str]:
    """Clients with 0 to 2 contact persons and 0 or 1 address each."""
    ids = []
    for index in range(CLIENTS):
        body = client_body(
            contactPersons=[
                {"firstName": f"C{index}", "lastName": f"P{n}", "email": f"c{index}.{n}@x.example"}
                for n in range(index % 3)
            ],
            addresses=[{"label": "Site", "city": "Lund"}] if index % 2 else [],
        )
        answer = await api.post("/clients", json=body)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    await api.get("/clients", params={"limit": "1"})  # the key is seen (cached) from here on
    return ids


async def _statements(
    api: httpx.AsyncClient, engine: AsyncEngine, params: dict[str, str], *, cold: bool = True
) -> int:
    if cold:  # no client's document remembered (documents.DocumentCache)
        DOCUMENTS.clear()
    with count_statements(engine) as seen:
        answer = await api.get("/clients", params=params)
    assert answer.status_code == 200, answer.text
    return len(seen)


@pytest.mark.parametrize("include", ["", "contactPersons", "contactPersons,addresses"])
async def test_a_list_page_costs_the_same_whatever_its_size(
    api: httpx.AsyncClient, engine: AsyncEngine, clients: list[str], include: str
) -> None:
    extra = {"include": include} if include else {}
    by_limit = {
        limit: await _statements(api, engine, {"limit": str(limit), **extra})
        for limit in (1, 5, 10, CLIENTS - 1)
    }
    assert len(set(by_limit.values())) == 1, by_limit
    if engine.dialect.name == "postgresql":
        expected = 3  # the page, the total, the documents (with what they embed)
    else:  # BEGIN, the page, the total; contacts with their other clients, addresses
        expected = 3 + (2 if include else 0) + (1 if "addresses" in include else 0)
    assert by_limit[1] == expected


async def test_a_cursor_page_costs_the_same_whatever_its_size(
    api: httpx.AsyncClient, engine: AsyncEngine, clients: list[str]
) -> None:
    counts = set()
    for limit in (1, 5, 10):
        first = await api.get("/clients", params={"limit": str(limit), "sort": "name"})
        cursor = first.json()["meta"]["nextCursor"]
        counts.add(
            await _statements(api, engine, {"limit": str(limit), "sort": "name", "cursor": cursor})
        )
    # No total: on PostgreSQL the page, then its documents; on SQLite BEGIN, then the page.
    assert counts == {2}


@pytest.mark.postgres_only
async def test_a_page_asked_again_runs_on_the_read_pool(
    api: httpx.AsyncClient, engine: AsyncEngine, clients: list[str]
) -> None:
    """A kept list statement runs once through SQLAlchemy, then as the SQL it sent."""
    params = {"limit": "50", "sort": "-name", "status": "ACTIVE"}  # a single page: no count
    first = await api.get("/clients", params=params)
    through_sqlalchemy: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        through_sqlalchemy.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        with count_statements(engine) as everything:
            again = await api.get("/clients", params=params)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert again.json() == first.json()
    assert not through_sqlalchemy, through_sqlalchemy
    assert len(everything) == 1, "the page on the read pool, its documents remembered"


@pytest.mark.postgres_only
async def test_a_page_read_again_needs_no_documents(
    api: httpx.AsyncClient, engine: AsyncEngine, clients: list[str]
) -> None:
    params = {"limit": "10", "sort": "name"}
    first = await _statements(api, engine, params)
    again = await _statements(api, engine, params, cold=False)
    assert again == first - 1, "the documents of unchanged clients are remembered"
    with_embedded = {**params, "include": "contactPersons"}
    assert await _statements(api, engine, with_embedded, cold=False) == first


async def test_one_client_costs_the_same_whatever_it_embeds(
    api: httpx.AsyncClient, engine: AsyncEngine, clients: list[str]
) -> None:
    counts = set()
    for client_id in clients[:6]:  # 0, 1 and 2 contact persons, with and without an address
        with count_statements(engine) as seen:
            answer = await api.get(f"/clients/{client_id}")
        assert answer.status_code == 200
        counts.add(len(seen))
    if engine.dialect.name == "postgresql":
        assert counts == {1}
    else:  # BEGIN, the client, its contacts, their other clients (when it has some), addresses
        assert counts == {4, 5}


@pytest.mark.postgres_only  # SQLite has one writer at a time: nothing waits on the counter
async def test_a_create_takes_the_event_counter_in_its_last_statement(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # The counter row stays locked until COMMIT and the organization's other writers wait for
    # it: no statement may run between taking it and committing.
    await api.post("/clients", json=client_body())  # the organization's counter exists
    body = client_body(
        contactPersons=[
            {"firstName": "Ada", "lastName": "One", "isMain": True},
            {"firstName": "Bo", "lastName": "Two"},
        ]
    )
    with count_statements(engine) as seen:
        answer = await api.post("/clients", json=body)
    assert answer.status_code == 201, answer.text
    counters = [index for index, sql in enumerate(seen) if "counters" in sql]
    assert counters == [len(seen) - 1], seen
    # ... and that statement inserts the three events with their numbers: each written once.
    assert "INSERT INTO events" in seen[-1]
    assert [sql for sql in seen if "events" in sql] == [seen[-1]], seen
    events = (await api.get("/events", params={"after": "0", "limit": "10"})).json()["data"]
    sequences = [event["sequence"] for event in events]
    assert sequences == list(range(sequences[0], sequences[0] + len(events)))
    assert [event["type"] for event in events][-3:] == [
        "client.created",
        "contact_person.created",
        "contact_person.created",
    ]


async def test_a_create_compiles_no_statement_the_second_time(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # SQLAlchemy keeps compiled statements; one it cannot keep (a multi-row `insert().values()`
    # was one) is compiled again on every create, which cost a create a tenth of its time.
    body = client_body(
        contactPersons=[
            {"firstName": "Ada", "lastName": "One", "isMain": True},
            {"firstName": "Bo", "lastName": "Two"},
        ]
    )
    assert (await api.post("/clients", json=body)).status_code == 201
    hits: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, _p: Any, context: Any, _m: Any) -> None:
        hits.append((statement, context.cache_hit))

    event.listen(engine.sync_engine, "after_cursor_execute", record)
    try:
        answer = await api.post("/clients", json=client_body(contactPersons=body["contactPersons"]))
    finally:
        event.remove(engine.sync_engine, "after_cursor_execute", record)
    assert answer.status_code == 201, answer.text
    # Every statement came from the cache; SQLite's BEGIN IMMEDIATE is SQL text (db.py).
    compiled = [sql for sql, hit in hits if hit != CacheStats.CACHE_HIT]
    assert hits and compiled in ([], ["BEGIN IMMEDIATE"]), compiled


@pytest.mark.postgres_only
async def test_a_plain_create_is_one_statement(
    api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    # The organization's first create: no event counter yet (the statement makes it).
    await api.get("/clients", params={"limit": "1"})  # the key is seen (cached) from here on
    body = client_body(
        email="first@x.example",
        contactPersons=[
            {"firstName": "Ada", "lastName": "One", "email": "ada@x.example"},
            {"firstName": "Bo", "lastName": "Two", "isMain": True},
        ],
    )
    with count_statements(engine) as seen:
        answer = await api.post("/clients", json=body)
    assert answer.status_code == 201, answer.text
    # On the request's pool only this statement, in autocommit (the numbers and the custom-field
    # definitions come from the side pool): rows, links and the three events.
    assert len(seen) == 1, seen
    for table in ("clients", "contact_persons", "client_contact_persons", "events"):
        assert f"INSERT INTO {table} " in seen[0]
    created = answer.json()
    assert (await api.get(f"/clients/{created['id']}")).json() == created
    events = (await api.get("/events", params={"after": "0", "limit": "10"})).json()["data"]
    assert [(e["type"], e["sequence"]) for e in events] == [
        ("client.created", 1),
        ("contact_person.created", 2),
        ("contact_person.created", 3),
    ]
    objects = [event["data"]["object"] for event in events]
    assert objects[0] == {k: v for k, v in created.items() if k not in EMBEDDED}
    shown = {c["id"]: c for c in created["contactPersons"]}
    assert [shown[o["id"]] == o for o in objects[1:]] == [True, True]

    # A create the database refuses (the email is taken) leaves nothing behind: no contact
    # person, no link, no event, and the counter where it was.
    again = await api.post("/clients", json=body | {"name": "Other"})
    assert again.status_code == 409, again.text
    contacts = await api.get("/contact-persons", params={"limit": "10"})
    assert contacts.json()["meta"]["total"] == 2
    assert len((await api.get("/events", params={"after": "0"})).json()["data"]) == 3
    later = await api.post("/clients", json=client_body())
    assert later.status_code == 201
    events = (await api.get("/events", params={"after": "3"})).json()["data"]
    assert [e["sequence"] for e in events] == [4]


@pytest.mark.postgres_only
async def test_a_create_with_custom_values_writes_its_rows_in_one_statement(
    api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    # Values for a custom field lock its definition in the request's transaction, so the create
    # stays in it: the client, its new contact persons and their links in one statement, then
    # the events; the new contacts' search text was written with the client's row.
    definition = {"key": "tier", "type": "text"}
    made = await api.post("/custom-fields", json=definition, headers=tenant.headers("admin"))
    assert made.status_code == 201, made.text
    await api.post("/clients", json=client_body())  # the organization's counters exist
    body = client_body(
        contactPersons=[
            {"firstName": "Ada", "lastName": "One", "email": "ada@x.example"},
            {"firstName": "Bo", "lastName": "Two", "isMain": True},
        ],
        customFields={"tier": "gold"},
    )
    with count_statements(engine) as seen:
        answer = await api.post("/clients", json=body)
    assert answer.status_code == 201, answer.text
    writes = [sql for sql in seen if "FROM custom_fields" not in sql]  # the definition locked
    assert len(writes) == 2, writes
    assert all(f"INSERT INTO {table}" in writes[0] for table in ("clients", "contact_persons"))
    assert "INSERT INTO client_contact_persons" in writes[0]
    assert "INSERT INTO events" in writes[1]
    created = answer.json()
    again = (await api.get(f"/clients/{created['id']}")).json()
    assert again == created
    assert [(c["firstName"], c["isMain"]) for c in again["contactPersons"]] == [
        ("Bo", True),
        ("Ada", False),
    ]
    assert again["customFields"] == {"tier": "gold"}
    found = await api.get("/clients", params={"q": "ada@x.example"})
    assert [c["id"] for c in found.json()["data"]] == [created["id"]]


@pytest.mark.postgres_only
async def test_a_one_statement_create_takes_the_counter_after_its_unique_values(
    api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    # A transaction elsewhere holds a client's email, and will take the event counter next (as
    # a PATCH does at COMMIT). A create of the same email must wait at the email, not take the
    # counter first: the two would then wait for each other (a deadlock, one of them refused).
    await api.post("/clients", json=client_body())  # the counters exist
    async with engine.connect() as other:
        await other.execute(
            text(
                "INSERT INTO clients (id, organization_id, number, name, kind, status, email, "
                'tags, metadata, external_ids, custom_fields, "references", archived, '
                "search_text, version, created_at, updated_at) VALUES (:id, :org, 999999, "
                "'Held', 'COMPANY', 'ACTIVE', 'held@x.example', '[]', '{}', '[]', '{}', '[]', "
                "false, '', 1, now(), now())"
            ),
            {"id": new_id(), "org": UUID(tenant.id)},
        )
        create = asyncio.create_task(api.post("/clients", json=client_body(email="held@x.example")))
        await asyncio.sleep(0.5)  # the create is under way, waiting at the email
        assert not create.done()
        bump = "UPDATE counters SET value = value WHERE organization_id = :org AND kind = 'event'"
        await asyncio.wait_for(other.execute(text(bump), {"org": UUID(tenant.id)}), timeout=5)
        await other.commit()
    answer = await create
    assert answer.status_code == 409, answer.text
