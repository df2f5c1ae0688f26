"""The change feed, history and time travel, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.conftest import Tenant
from tests.factories import client_body

from rolodex.core.clients import service as clients_service
from rolodex.core.clients.schemas import ClientCreate
from rolodex.core.clock import format_timestamp
from rolodex.core.events import service as events_service
from rolodex.core.principal import Principal, Scope

EVENT_KEYS = {"id", "sequence", "type", "occurredAt", "actor", "data"}


async def feed(api: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    r = await api.get("/events", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def new_events(api: httpx.AsyncClient, after: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = (await feed(api, after=after))["data"]
    return events


def principal_of(tenant: Tenant, scope: str = "write") -> Principal:
    return Principal(
        UUID(tenant.id), tenant.number, Scope.parse(scope), UUID(tenant.key_ids[scope])
    )


class TestEmission:
    async def test_each_client_write_emits_exactly_one_event(
        self, api: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        seen = 0

        async def one(expected_type: str, key: str = "write") -> dict[str, Any]:
            nonlocal seen
            events = await new_events(api, seen)
            assert [e["type"] for e in events] == [expected_type]
            event = events[0]
            assert set(event) == EVENT_KEYS
            assert set(event["data"]) == {"object", "previousAttributes"}
            assert event["sequence"] == seen + 1
            assert event["actor"] == {"keyId": tenant.key_ids[key]}
            seen = event["sequence"]
            return event

        r = await api.post("/clients", json=client_body(name="Acme", city="Oslo"))
        made = r.json()
        created = await one("client.created")
        assert created["data"]["previousAttributes"] is None
        shown = {k: v for k, v in made.items() if k not in ("contactPersons", "addresses")}
        assert created["data"]["object"] == shown
        url = f"/clients/{made['id']}"

        r = await api.patch(url, json={"city": "Bergen", "name": "Acme AB"})
        updated = await one("client.updated")
        assert updated["data"]["previousAttributes"] == {"name": "Acme", "city": "Oslo"}
        assert updated["data"]["object"]["city"] == "Bergen"
        assert updated["data"]["object"]["version"] == r.json()["version"] == 2

        await api.put("/clients/external-id/E-1", json={"name": "Put", "tags": ["a"]})
        put_created = await one("client.created")
        await api.put("/clients/external-id/E-1", json={"name": "Put", "city": "Lund"})
        replaced = await one("client.updated")
        assert replaced["data"]["previousAttributes"] == {"city": None, "tags": ["a"]}
        assert replaced["data"]["object"]["id"] == put_created["data"]["object"]["id"]

        await api.delete(url)
        deleted = await one("client.deleted")
        assert deleted["data"]["previousAttributes"] == {"deletedAt": None}
        assert deleted["data"]["object"]["deletedAt"]

        await api.post(f"{url}/restore")
        restored = await one("client.restored")
        assert restored["data"]["object"]["deletedAt"] is None
        # Restoring a live client changes nothing and says nothing.
        assert (await api.post(f"{url}/restore")).status_code == 200
        assert await new_events(api, seen) == []

        r = await api.delete(url, params={"permanent": "true"}, headers=tenant.headers("admin"))
        assert r.status_code == 200
        purged = await one("client.purged", key="admin")
        assert purged["data"]["object"]["id"] == made["id"]

    async def test_failed_writes_leave_no_event(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body(email="taken@example.com"))).json()
        before = (await feed(api))["meta"]["nextAfter"]
        url = f"/clients/{made['id']}"
        assert (
            await api.post("/clients", json=client_body(email="taken@example.com"))
        ).status_code == 409
        assert (await api.post("/clients", json={"city": "x"})).status_code == 400
        assert (
            await api.patch(url, json={"city": "x"}, headers={"If-Match": '"9"'})
        ).status_code == 412
        assert (await api.patch(url, json={"paymentType": "EMAIL"})).status_code == 400
        assert (await api.delete(url, headers={"If-Match": '"7"'})).status_code == 412
        assert (
            await api.patch("/clients/0192f0c4-0000-7000-8000-000000000000", json={})
        ).status_code == 404
        assert await new_events(api, before) == []

    async def test_rolled_back_transaction_and_savepoint_leave_no_event(
        self, api: httpx.AsyncClient, tenant: Tenant, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        principal = principal_of(tenant)
        async with sessions() as session:
            await clients_service.create(session, principal, ClientCreate(name="Gone"))
            await session.rollback()
        async with sessions() as session:
            async with session.begin_nested() as savepoint:
                await clients_service.create(session, principal, ClientCreate(name="Undone"))
                await savepoint.rollback()
            kept = await clients_service.create(session, principal, ClientCreate(name="Kept"))
            await session.commit()
        events = (await feed(api))["data"]
        assert [(e["sequence"], e["data"]["object"]["name"]) for e in events] == [(1, "Kept")]
        assert events[0]["data"]["object"]["id"] == str(kept.id)

    async def test_sequences_are_per_organization(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        await api.post("/clients", json=client_body())
        other = {"headers": other_tenant.headers("write")}
        await api.post("/clients", json=client_body(), **other)  # type: ignore[arg-type]
        await api.post("/clients", json=client_body(), **other)  # type: ignore[arg-type]
        mine = (await feed(api))["data"]
        theirs = (await api.get("/events", headers=other_tenant.headers("read"))).json()["data"]
        assert [e["sequence"] for e in mine] == [1]
        assert [e["sequence"] for e in theirs] == [1, 2]
        assert {e["id"] for e in mine}.isdisjoint({e["id"] for e in theirs})

    async def test_concurrent_writers_never_hide_an_event_from_a_reader(
        self, api: httpx.AsyncClient, tenant: Tenant, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        principal = principal_of(tenant)
        done = asyncio.Event()
        seen: list[int] = []

        async def write(n: int) -> None:
            async with sessions() as session:
                await clients_service.create(session, principal, ClientCreate(name=f"C{n}"))
                await asyncio.sleep(0.005)  # hold the transaction open a little
                await session.commit()

        async def read() -> None:
            after = 0
            while True:
                finished = done.is_set()
                async with sessions() as session:
                    events, after = await events_service.feed(session, principal, after=after)
                seen.extend(int(e.sequence or 0) for e in events)
                if finished:
                    return
                await asyncio.sleep(0)

        reader = asyncio.create_task(read())
        await asyncio.gather(*(write(n) for n in range(24)))
        done.set()
        await reader
        # A reader that resumes from the last sequence it saw got every event, each once.
        assert seen == list(range(1, 25))


class TestFeed:
    async def test_after_and_limit_page_in_sequence_order(
        self, api: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        ids = [(await api.post("/clients", json=client_body())).json()["id"] for _ in range(5)]
        for client_id in ids[:2]:
            await api.patch(f"/clients/{client_id}", json={"city": "Malmö"})
        first = await feed(api, limit=3)
        assert [e["sequence"] for e in first["data"]] == [1, 2, 3]
        assert first["meta"] == {"limit": 3, "nextAfter": 3}
        second = await feed(api, after=3, limit=3)
        assert [e["sequence"] for e in second["data"]] == [4, 5, 6]
        third = await feed(api, after=6, limit=3)
        assert [e["sequence"] for e in third["data"]] == [7]
        empty = await feed(api, after=7)
        assert empty == {"data": [], "meta": {"limit": 100, "nextAfter": 7}}
        reader = await api.get("/events", headers=tenant.headers("read"))
        assert reader.status_code == 200 and len(reader.json()["data"]) == 7

    async def test_type_filter(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        await api.patch(f"/clients/{made['id']}", json={"city": "Turku"})
        await api.delete(f"/clients/{made['id']}")
        updated = await feed(api, type="client.updated")
        assert [e["type"] for e in updated["data"]] == ["client.updated"]
        assert updated["meta"]["nextAfter"] == 2
        both = await feed(api, type="client.created,client.deleted")
        assert [e["type"] for e in both["data"]] == ["client.created", "client.deleted"]
        assert len((await feed(api, type="client.*"))["data"]) == 3
        assert (await feed(api, type="order.*"))["data"] == []

    async def test_bad_params_are_400(self, api: httpx.AsyncClient) -> None:
        for params in [
            {"type": "client.exploded"},
            {"limit": "0"},
            {"limit": "1001"},
            {"after": "-1"},
            {"after": "x"},
            {"since": "1"},
        ]:
            r = await api.get("/events", params=params)
            assert r.status_code == 400, params
            assert r.json()["error"] == "VALIDATION_ERROR"

    async def test_needs_a_key(self, raw_client: httpx.AsyncClient) -> None:
        r = await raw_client.get("/master-data/v1/client-management/events")
        assert r.status_code == 401


class TestHistory:
    async def test_newest_first_with_field_changes(
        self, api: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        made = (await api.post("/clients", json=client_body(name="Hist", city="Oslo"))).json()
        url = f"/clients/{made['id']}"
        await api.patch(url, json={"city": "Bergen"})
        await api.patch(url, json={"creditLimit": 500}, headers=tenant.headers("admin"))
        await api.delete(url)
        r = await api.get(f"{url}/history", headers=tenant.headers("read"))
        assert r.status_code == 200, r.text
        entries = r.json()["data"]
        assert [e["type"] for e in entries] == [
            "client.deleted",
            "client.updated",
            "client.updated",
            "client.created",
        ]
        assert entries[1]["changes"] == [{"field": "creditLimit", "before": None, "after": 500.0}]
        assert entries[1]["actor"] == {"keyId": tenant.key_ids["admin"]}
        assert entries[2]["changes"] == [{"field": "city", "before": "Oslo", "after": "Bergen"}]
        assert entries[2]["actor"] == {"keyId": tenant.key_ids["write"]}
        assert entries[0]["changes"][0]["field"] == "deletedAt"
        created = {c["field"]: c for c in entries[3]["changes"]}
        assert created["name"] == {"field": "name", "before": None, "after": "Hist"}
        assert entries[3]["occurredAt"] == made["createdAt"]
        paged = (await api.get(f"{url}/history", params={"limit": 1})).json()
        assert len(paged["data"]) == 1 and paged["meta"]["total"] == 4
        cursor = paged["meta"]["nextCursor"]
        nxt = (await api.get(f"{url}/history", params={"limit": 2, "cursor": cursor})).json()
        assert [e["sequence"] for e in nxt["data"]] == [3, 2]
        only = (await api.get(f"{url}/history", params={"type": "client.updated"})).json()
        assert [e["type"] for e in only["data"]] == ["client.updated"] * 2

    async def test_unknown_and_foreign_clients_are_404(
        self, api: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        r = await api.get(f"/clients/{made['id']}/history", headers=other_tenant.headers("read"))
        assert r.status_code == 404
        r = await api.get("/clients/0192f0c4-0000-7000-8000-000000000000/history")
        assert r.status_code == 404

    async def test_purged_client_keeps_its_history(
        self, api: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        url = f"/clients/{made['id']}"
        await api.delete(url, params={"permanent": "true"}, headers=tenant.headers("admin"))
        entries = (await api.get(f"{url}/history")).json()["data"]
        assert [e["type"] for e in entries] == ["client.purged", "client.created"]


def _shift(stamp: str, **delta: float) -> str:
    moment = datetime.fromisoformat(stamp) + timedelta(**delta)
    return format_timestamp(moment)


class TestAsOf:
    async def test_time_travel(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body(city="Oslo"))).json()
        url = f"/clients/{made['id']}"
        await asyncio.sleep(0.01)
        patched = (await api.patch(url, json={"city": "Bergen"})).json()
        await asyncio.sleep(0.01)
        deleted = (await api.delete(url)).json()

        r = await api.get(url, params={"asOf": _shift(made["createdAt"], seconds=-1)})
        assert r.status_code == 404
        r = await api.get(url, params={"asOf": made["createdAt"]})
        assert r.status_code == 200 and r.json()["city"] == "Oslo"
        assert r.headers["ETag"] == '"1"' and r.json()["version"] == 1
        between = _shift(patched["updatedAt"], milliseconds=5)
        r = await api.get(url, params={"asOf": between})
        assert r.status_code == 200 and r.json()["city"] == "Bergen"
        r = await api.get(url, params={"asOf": deleted["deletedAt"]})
        assert r.status_code == 404
        r = await api.get(url, params={"asOf": deleted["deletedAt"], "includeDeleted": "true"})
        assert r.status_code == 200 and r.json()["deletedAt"] == deleted["deletedAt"]
        # A zone offset and a bare date are understood too.
        r = await api.get(url, params={"asOf": "2001-01-01T00:00:00+02:00"})
        assert r.status_code == 404
        assert (await api.get(url, params={"asOf": "2999-01-01"})).status_code == 404

    async def test_bad_timestamp_is_400(self, api: httpx.AsyncClient) -> None:
        made = (await api.post("/clients", json=client_body())).json()
        r = await api.get(f"/clients/{made['id']}", params={"asOf": "yesterday"})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "asOf"


class TestRecord:
    async def test_unknown_type_is_a_programming_error(
        self, tenant: Tenant, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessions() as session:
            with pytest.raises(ValueError, match="catalog"):
                await events_service.record(
                    session, principal_of(tenant), "client.exploded", {"id": tenant.id}
                )

    def test_changed_lists_only_changed_fields(self) -> None:
        before = {"a": 1, "b": [1], "version": 1, "updatedAt": "x", "gone": 3}
        after = {"a": 1, "b": [2], "version": 2, "updatedAt": "y", "new": 4}
        assert events_service.changed(before, after) == {"b": [1], "new": None, "gone": 3}
