"""The write floor: what the benchmark's create costs with nothing of Rolodex's Python around it.

The `create` scenario's target is a ratio to the framework floor, which writes nothing. This app
shows how far any implementation of that create can get on the machine: a bare FastAPI route
(served as the floor and Rolodex are: uvicorn, the same workers, each on its own socket, no
access log) that writes exactly what Rolodex writes for the scenario's body, a client with two
contact persons, in Rolodex's own two statements (the numbers; then the rows, the links and the
three events), with the same SQL text, the same row shapes and each request's own values, on
plain asyncpg connections; each statement gathered with the creates that come while one is under
way, as Rolodex gathers them (with its `core/turns.py`). It validates nothing, checks no key,
runs no middleware and answers the client as Rolodex does. Rolodex's create cannot be faster
than this; `make bench` runs it beside the create scenario and reports both.

`capture` takes the statements from one real create, run through Rolodex in process, and
writes them to the file that ROLODEX_WRITE_FLOOR_SPEC names for the app (the statements follow
Rolodex's code as it is, by construction).

    python -m bench.write_floor --port 8703 --workers 2
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request, Response

from rolodex.api.app import BASE_PATH
from rolodex.core.ids import new_id
from rolodex.core.turns import Turns

# What the scenario posts (bench/lua.py, "post"), and one such body for the capture.
SAMPLE = {
    "name": "Bench Client capture-1",
    "email": "bench.capture.1@example.com",
    "phone": "+46 8 555 0001",
    "city": "Lund",
    "country": "SE",
    "status": "ACTIVE",
    "paymentType": "EMAIL",
    "billingEmail": "invoices.capture.1@example.com",
    "paymentTerms": 30,
    "tags": ["bench"],
    "contactPersons": [
        {
            "firstName": "Anna",
            "lastName": "Berg",
            "email": "c1.capture.1@example.com",
            "isMain": True,
        },
        {"firstName": "Erik", "lastName": "Lund", "email": "c2.capture.1@example.com"},
    ],
}


async def capture(database_url: str, key: str) -> dict[str, Any]:
    """POST SAMPLE through Rolodex in process: its two statements and their parameters, the
    app's spec. Fails when the create no longer takes exactly those two statements."""
    import httpx
    from sqlalchemy import event

    from rolodex.api.app import create_app
    from rolodex.core.db import counter_pool
    from rolodex.settings import Settings

    app = create_app(
        Settings(database_url=database_url, rate_limit_enabled=False, run_worker=False)
    )
    numbers: list[tuple[str, tuple[Any, ...]]] = []
    writes: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, *_rest: Any) -> None:
        if "INSERT INTO clients" in sql:  # not the key's lookup, for one
            writes.append((sql, params))

    async with app.router.lifespan_context(app):
        pool = counter_pool(app.state.engine)
        assert pool is not None, "the write floor needs PostgreSQL"
        # A new organization's first create also makes its counters: its bump is asked twice.
        pool.listeners.append(
            lambda sql, args: numbers.append((sql, args)) if "UPDATE counters" in sql else None
        )
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            answer = await client.post(
                f"{BASE_PATH}/clients", json=SAMPLE, headers={"Authorization": f"Bearer {key}"}
            )
    if answer.status_code != 201 or not numbers or len(writes) != 1:
        raise RuntimeError(
            f"the capture expected a 201 in two statements: {answer.status_code}, "
            f"{len(numbers)} on the counters, {len(writes)} writing the client"
        )
    (number_sql, (organization, kinds, counts)), (insert_sql, params) = numbers[-1], writes[0]
    clients, contacts, links, events = (json.loads(params[i]) for i in (0, 1, 2, 5))
    return {
        "numbers": {"sql": number_sql, "kinds": kinds, "counts": counts},
        "insert": {"sql": insert_sql, "client": clients[0], "contacts": contacts},
        "links": links,
        "events": events,
        "organization": str(organization),
    }


# Set at startup: the capture (ROLODEX_WRITE_FLOOR_SPEC) and the pools.
SPEC: dict[str, Any] = {}
POOLS: dict[str, asyncpg.Pool] = {}


def _read_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(Path(os.environ["ROLODEX_WRITE_FLOOR_SPEC"]).read_text())
    return spec


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    SPEC.update(_read_spec())
    dsn = os.environ["ROLODEX_WRITE_FLOOR_DSN"]
    # Rolodex's pool sizes and session settings: 10 for requests, 5 for the counters (whose
    # commits do not wait for the WAL flush). A connection goes back as it is: asyncpg's own
    # reset would add a statement per request (RESET ALL, UNLISTEN, ...), which Rolodex's
    # pools do not send either.
    settings = {"jit": "off", "application_name": "write-floor"}
    POOLS["rows"] = await asyncpg.create_pool(
        dsn, min_size=10, max_size=10, server_settings=settings, reset=_keep
    )
    POOLS["numbers"] = await asyncpg.create_pool(
        dsn,
        min_size=5,
        max_size=5,
        server_settings=settings | {"synchronous_commit": "off"},
        reset=_keep,
    )
    yield
    for pool in POOLS.values():
        await pool.close()


async def _keep(_conn: asyncpg.Connection) -> None:
    """A connection back in its pool is not reset."""


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)


@app.get("/readyz")
async def ready() -> Response:
    return Response(b"{}", media_type="application/json")


@app.post(f"{BASE_PATH}/clients")
async def create(request: Request) -> Response:
    """The scenario's create: the captured statements with this request's values."""
    body = orjson.loads(await request.body())
    given = body["contactPersons"]
    number, first = await NUMBERS.take("bench", len(given))
    moment = datetime.now(UTC)
    stamp = moment.isoformat()
    shown_stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    client_id = str(new_id())
    client = SPEC["insert"]["client"] | {
        "id": client_id,
        "number": number,
        "name": body["name"],
        "email": body["email"],
        "phone": body["phone"],
        "city": body["city"],
        "country": body["country"],
        "status": body["status"],
        "payment_type": body["paymentType"],
        "billing_email": body["billingEmail"],
        "payment_terms": body["paymentTerms"],
        "tags": body["tags"],
        "search_text": " ".join(
            (body["name"].lower(), body["email"], body["city"].lower(), body["phone"], str(number))
        ),
        "created_at": stamp,
        "updated_at": stamp,
    }
    contacts, links, objects = [], [], []
    for index, (template, person) in enumerate(zip(SPEC["insert"]["contacts"], given, strict=True)):
        name = f"{person['firstName']} {person['lastName']}"
        contact = template | {
            "id": str(new_id()),
            "number": first + index,
            "name": name,
            "first_name": person["firstName"],
            "last_name": person["lastName"],
            "email": person["email"],
            "search_text": f"{name.lower()} {name.lower()} {person['email']} {first + index}",
            "created_at": stamp,
            "updated_at": stamp,
        }
        contacts.append(contact)
        link = {"client_id": client_id, "contact_person_id": contact["id"], "created_at": stamp}
        links.append(SPEC["links"][index] | link | {"is_main": bool(person.get("isMain"))})
    client["contact_search_text"] = "\x01".join(c["search_text"] for c in contacts)
    client_event, *contact_events = SPEC["events"]
    shown = client_event["data"]["object"] | {
        key: client[column]
        for key, column in (
            ("id", "id"),
            ("number", "number"),
            ("name", "name"),
            ("displayName", "name"),
            ("email", "email"),
            ("phone", "phone"),
            ("city", "city"),
            ("billingEmail", "billing_email"),
        )
    }
    shown |= {"createdAt": shown_stamp, "updatedAt": shown_stamp}
    events = [_event(client_event, shown, stamp)]
    for template, contact, link in zip(contact_events, contacts, links, strict=True):
        shown_contact = template["data"]["object"] | {
            "id": contact["id"],
            "number": contact["number"],
            "name": contact["name"],
            "firstName": contact["first_name"],
            "lastName": contact["last_name"],
            "email": contact["email"],
            "isMain": link["is_main"],
            "clientId": client_id,
            "clientIds": [client_id],
            "createdAt": shown_stamp,
            "updatedAt": shown_stamp,
        }
        objects.append(shown_contact)
        events.append(_event(template, shown_contact, stamp))
    await WRITES.take("bench", ([client], contacts, links, events))
    answer = shown | {"contactPersons": objects, "addresses": []}
    return Response(orjson.dumps(answer), 201, {"ETag": '"1"'}, media_type="application/json")


Rows = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


async def _reserve(_key: str, asks: list[int]) -> list[tuple[int, int]]:
    """One bump for the creates gathered (each asking for a client and its contact persons):
    each create's client number and its first contact person's, in turn."""
    numbers = SPEC["numbers"]
    kinds = numbers["kinds"]  # ["client", "contact_person"], as the capture saw them
    counts = [len(asks), sum(asks)]
    async with POOLS["numbers"].acquire() as conn:
        reserved = await conn.fetch(numbers["sql"], SPEC["organization"], kinds, counts)
    last = {row[0]: row[1] for row in reserved}
    client, contact = last["client"] - len(asks) + 1, last["contact_person"] - sum(asks) + 1
    handed = []
    for asked in asks:
        handed.append((client, contact))
        client, contact = client + 1, contact + asked
    return handed


async def _write(_key: str, creates: list[Rows]) -> list[None]:
    await _insert(creates)
    return [None] * len(creates)


# Rolodex's gathering (core/turns.py), for both statements: one under way at a time (the
# benchmark has one tenant); what comes meanwhile goes together in the next, in order. (The
# benchmark's creates are never refused: a failed statement fails all of its creates.)
NUMBERS: Turns[str, int, tuple[int, int]] = Turns(_reserve, alone=False)
WRITES: Turns[str, Rows, None] = Turns(_write, alone=False)


async def _insert(creates: list[Rows]) -> None:
    clients, contacts, links, events = (
        [row for rows in creates for row in rows[i]] for i in range(4)
    )
    async with POOLS["rows"].acquire() as conn:
        await conn.execute(
            SPEC["insert"]["sql"],
            orjson.dumps(clients).decode(),
            orjson.dumps(contacts).decode(),
            orjson.dumps(links).decode(),
            SPEC["organization"],
            len(events),
            orjson.dumps(events).decode(),
        )


def _event(template: dict[str, Any], shown: dict[str, Any], stamp: str) -> dict[str, Any]:
    data = {"object": shown, "previousAttributes": None}
    return template | {
        "id": str(new_id()),
        "subject_id": shown["id"],
        "occurred_at": stamp,
        "data": data,
    }


if __name__ == "__main__":
    from bench.floor_app import serve

    raise SystemExit(
        serve("bench.write_floor:app", "Serve the write floor as `rolodex serve` serves.", 8703)
    )
