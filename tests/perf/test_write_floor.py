"""The benchmark's write floor (bench/write_floor.py) writes what Rolodex's create writes.

Its creates per second are reported as the ceiling of the create scenario, so what it writes
must be what a create through Rolodex writes: a client Rolodex reads back as the floor answered
it, its contact persons, the search text `q` finds, and the three events in sequence.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench import write_floor
from tests.conftest import Tenant

from rolodex.api.app import BASE_PATH
from rolodex.settings import Settings

pytestmark = pytest.mark.postgres_only


def _body(n: int) -> dict[str, Any]:
    first = {"firstName": "Maja", "lastName": "Holm", "email": f"c1.floor.{n}@example.com"}
    second = {"firstName": "Nils", "lastName": "Wik", "email": f"c2.floor.{n}@example.com"}
    return write_floor.SAMPLE | {
        "name": f"Floor Client {n}",
        "email": f"floor.{n}@example.com",
        "billingEmail": f"invoices.floor.{n}@example.com",
        "contactPersons": [first | {"isMain": True}, second],
    }


async def test_the_write_floor_writes_what_a_create_writes(
    settings: Settings,
    tenant: Tenant,
    api: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = await write_floor.capture(settings.database_url, tenant.keys["write"])
    assert spec["organization"] == tenant.id
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    monkeypatch.setenv("ROLODEX_WRITE_FLOOR_SPEC", str(spec_file))
    monkeypatch.setenv("ROLODEX_WRITE_FLOOR_DSN", settings.database_url.replace("+asyncpg", ""))
    floor = write_floor.app
    async with floor.router.lifespan_context(floor):
        transport = httpx.ASGITransport(app=floor)
        async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
            answers = [await client.post(f"{BASE_PATH}/clients", json=_body(n)) for n in range(2)]
            # At once: written together, as Rolodex gathers its creates.
            answers += await asyncio.gather(
                *(client.post(f"{BASE_PATH}/clients", json=_body(n)) for n in range(2, 8))
            )
    assert [a.status_code for a in answers] == [201] * 8
    ours = await api.post("/clients", json=_body(9))
    assert ours.status_code == 201, ours.text
    for answer in answers:
        shown = answer.json()
        # Rolodex reads the client back as the floor answered it, contact persons included.
        read = await api.get(f"/clients/{shown['id']}")
        assert read.status_code == 200, read.text
        assert read.json() == shown
        assert read.headers["etag"] == answer.headers["etag"] == '"1"'
        # The same fields as Rolodex's own answer to such a create.
        assert set(shown) == set(ours.json())
        assert [set(c) for c in shown["contactPersons"]] == [
            set(c) for c in ours.json()["contactPersons"]
        ]
        # The search text and the contact persons' text on the client are written too.
        for q in (shown["name"], "floor.", shown["contactPersons"][1]["email"]):
            found = await api.get("/clients", params={"q": q, "limit": 50})
            assert shown["id"] in [c["id"] for c in found.json()["data"]], q
    # Numbers continue the organization's sequences: the capture's client, the floor's eight,
    # then Rolodex's.
    assert sorted(a.json()["number"] for a in answers) == list(range(2, 10))
    assert ours.json()["number"] == 10
    # Three events per create, in one unbroken sequence, the floor's as Rolodex's.
    events = (await api.get("/events", params={"limit": 100})).json()["data"]
    assert [e["sequence"] for e in events] == list(range(1, 31))
    created = {e["data"]["object"]["id"]: e for e in events}
    assert len(created) == 30
    for answer in answers:
        shown = answer.json()
        event = created[shown["id"]]
        assert event["type"] == "client.created"
        assert event["data"]["object"] == {
            k: v for k, v in shown.items() if k not in ("contactPersons", "addresses")
        }
