"""`q` on clients follows their contact persons through every change, on both backends.

On PostgreSQL the contacts' texts live in clients.contact_search_text, kept by triggers
(migration 0012); after every step the column must equal a recomputation from the links, and the
search must answer what the contacts say now. SQLite searches the contacts directly.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.api.test_contacts import add_contact, make_client
from tests.conftest import Tenant

DRIFT = text(
    """
    SELECT c.id FROM clients AS c
    WHERE c.contact_search_text IS DISTINCT FROM coalesce((
        SELECT string_agg(cp.search_text, E'\\x01' ORDER BY cp.id)
        FROM client_contact_persons AS l JOIN contact_persons AS cp ON cp.id = l.contact_person_id
        WHERE l.client_id = c.id), '')
    """
)


async def _found(api: httpx.AsyncClient, q: str) -> list[str]:
    r = await api.get("/clients", params={"q": q, "sort": "name"})
    assert r.status_code == 200, r.text
    return [c["name"] for c in r.json()["data"]]


async def _no_drift(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        assert (await conn.execute(DRIFT)).all() == []


async def test_search_follows_contacts(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    a = await make_client(api, name="Alpha")
    b = await make_client(api, name="Beta")
    zorn = await add_contact(api, a["id"], firstName="Sixten", lastName="Zorn")
    await _no_drift(engine)
    assert await _found(api, "zorn") == ["Alpha"]

    # Renamed: the old name no longer finds the client, the new one does.
    r = await api.patch(
        f"/clients/{a['id']}/contact-persons/{zorn['id']}", json={"lastName": "Quist"}
    )
    assert r.status_code == 200, r.text
    await _no_drift(engine)
    assert await _found(api, "zorn") == []
    assert await _found(api, "quist") == ["Alpha"]

    # Linked to a second client: both are found.
    r = await api.put(f"/clients/{b['id']}/contact-persons/{zorn['id']}/link")
    assert r.status_code == 201, r.text
    await _no_drift(engine)
    assert await _found(api, "quist") == ["Alpha", "Beta"]

    # Unlinked from the first.
    r = await api.delete(f"/clients/{a['id']}/contact-persons/{zorn['id']}")
    assert r.status_code == 200, r.text
    await _no_drift(engine)
    assert await _found(api, "quist") == ["Beta"]

    # Deleted with its last link.
    r = await api.delete(f"/clients/{b['id']}/contact-persons/{zorn['id']}")
    assert r.status_code == 200, r.text
    await _no_drift(engine)
    assert await _found(api, "quist") == []
    assert await _found(api, "sixten") == []


async def test_nested_writes_and_purge(
    api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    body: dict[str, Any] = {
        "name": "Gamma",
        "contactPersons": [
            {"firstName": "Greta", "lastName": "Lindqvist"},
            {"firstName": "Ole", "lastName": "Brun", "email": "ole@brun.example"},
        ],
    }
    r = await api.post("/clients", json=body)
    assert r.status_code == 201, r.text
    gamma = r.json()
    await _no_drift(engine)
    assert await _found(api, "lindqvist") == ["Gamma"]
    assert await _found(api, "ole@brun") == ["Gamma"]
    # No match across two contacts' texts, not even with the separator itself in `q`.
    assert await _found(api, "lindqvist ole") == []
    assert await _found(api, "lindqvist\x01ole") == []
    assert await _found(api, "\x01") == []

    second = await make_client(api, name="Delta")
    ole = next(c for c in gamma["contactPersons"] if c["lastName"] == "Brun")
    await api.put(f"/clients/{second['id']}/contact-persons/{ole['id']}/link")
    r = await api.delete(
        f"/clients/{gamma['id']}", params={"permanent": "true"}, headers=tenant.headers("admin")
    )
    assert r.status_code == 200, r.text
    await _no_drift(engine)
    assert await _found(api, "lindqvist") == []
    assert await _found(api, "brun") == ["Delta"]


async def test_bulk_created_contacts_are_searchable(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    operations = [
        {
            "op": "create",
            "data": {
                "name": f"Bulk {n}",
                "contactPersons": [{"firstName": "Ebba", "lastName": f"Ek{n}x"}],
            },
        }
        for n in range(3)
    ]
    r = await api.post("/clients/batch", json={"operations": operations})
    assert r.status_code == 200, r.text
    await _no_drift(engine)
    assert await _found(api, "ek1x") == ["Bulk 1"]
    assert await _found(api, "ebba") == ["Bulk 0", "Bulk 1", "Bulk 2"]


# The estimate of the plan's `unnest(ids)`: 10 rows in the generic plan, the array's own length
# in a custom plan.
GENERIC_UNNEST = "Function Scan on unnest u  (cost=0.00..0.10 rows=10 "


@pytest.mark.postgres_only
async def test_refresh_is_planned_once(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """The trigger's UPDATE keeps a generic plan (migration 0015): with a custom plan for each
    call, planning it was a fifth of a create's PostgreSQL time. auto_explain sends each run's
    plan back as a notice; past the plan cache's five custom plans, every one is the generic."""
    client = await make_client(api, name="Planned")
    await add_contact(api, client["id"], firstName="Siv", lastName="Plan")
    plans: list[str] = []
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None

        def listen(_conn: object, message: object) -> None:
            plans.append(str(message))

        driver.add_log_listener(listen)
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_nested_statements = on",
            "SET auto_explain.log_level = notice",
        ):
            await conn.execute(text(setting))
        for _ in range(7):
            await conn.execute(
                text("SELECT rolodex_refresh_contact_search(ARRAY[CAST(:id AS uuid)])"),
                {"id": client["id"]},
            )
        await conn.rollback()  # the settings too
        driver.remove_log_listener(listen)
    updates = [plan for plan in plans if "Function Scan on unnest u" in plan]
    assert len(updates) == 7, plans
    assert all(GENERIC_UNNEST in plan for plan in updates), updates
    await _no_drift(engine)
    assert await _found(api, "siv plan") == ["Planned"]
