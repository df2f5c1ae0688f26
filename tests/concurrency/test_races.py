"""Races between two real `rolodex serve` processes on one fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.conftest import ClusterTurns, Tenant, create_pg_database, drop_pg_database
from tests.servers import Server, make_tenant_at

from rolodex.api.app import BASE_PATH
from rolodex.core import migrate

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

CREATES = 50
PATCHES = 10
CONTACTS = 5
MAKE_MAIN = 16  # parallel requests per round
ROUNDS = 3
RETRIES = 10


@dataclass
class Cluster:
    servers: list[Server]
    tenant: Tenant
    database_url: str

    def client(self, index: int, scope: str = "write") -> httpx.AsyncClient:
        """A client on server `index % 2`, so that requests alternate between the processes."""
        server = self.servers[index % len(self.servers)]
        return httpx.AsyncClient(
            base_url=f"{server.url}{BASE_PATH}", headers=self.tenant.headers(scope), timeout=30
        )


@pytest.fixture(scope="module")
async def cluster(
    tmp_path_factory: pytest.TempPathFactory, cluster_turns: ClusterTurns
) -> AsyncIterator[Cluster]:
    async with cluster_turns.turn():  # not beside a quiet_cluster test
        url = await create_pg_database("rolodex_race")
    servers: list[Server] = []
    try:
        async with cluster_turns.turn():
            await asyncio.to_thread(migrate.upgrade, url)
            tenant = await make_tenant_at(url)
        logs: Path = tmp_path_factory.mktemp("race-logs")
        servers = [Server(url, logs), Server(url, logs)]
        for server in servers:
            await server.wait_ready()
        yield Cluster(servers, tenant, url)
    finally:
        for server in servers:
            server.stop()
        async with cluster_turns.turn():
            await drop_pg_database(url)


async def test_numbers_stay_unique_under_parallel_creates(cluster: Cluster) -> None:
    clients = [cluster.client(0), cluster.client(1)]
    try:
        answers = await asyncio.gather(
            *(clients[i % 2].post("/clients", json={"name": f"Race {i}"}) for i in range(CREATES))
        )
    finally:
        for client in clients:
            await client.aclose()
    assert [a.status_code for a in answers] == [201] * CREATES, [a.text for a in answers][:3]
    numbers = sorted(a.json()["number"] for a in answers)
    assert numbers == list(range(numbers[0], numbers[0] + CREATES)), "unique and without gaps"
    async with cluster.client(0, "read") as reader:
        listed = await reader.get("/clients", params={"limit": "200", "q": "Race"})
    assert sorted(c["number"] for c in listed.json()["data"]) == numbers


async def test_client_and_contact_numbers_stay_unique_when_reserved_together(
    cluster: Cluster,
) -> None:
    # A client created with new contact persons reserves both kinds in one statement
    # (numbers.reserve); bare contact persons reserve theirs alone, at the same time.
    clients = [cluster.client(0), cluster.client(1)]
    with_contacts = [
        {"name": f"Pair {i}", "contactPersons": [{"name": f"P{i}a"}, {"name": f"P{i}b"}]}
        for i in range(CREATES)
    ]
    try:
        anchor = (await clients[0].post("/clients", json={"name": "Anchor"})).json()["id"]
        lone_url = f"/clients/{anchor}/contact-persons"
        answers = await asyncio.gather(
            *(clients[i % 2].post("/clients", json=body) for i, body in enumerate(with_contacts)),
            *(clients[i % 2].post(lone_url, json={"name": f"Lone {i}"}) for i in range(20)),
        )
    finally:
        for client in clients:
            await client.aclose()
    assert {a.status_code for a in answers} == {201}, [
        a.text for a in answers if a.status_code != 201
    ][:3]
    made, lone = answers[:CREATES], answers[CREATES:]
    client_numbers = sorted(a.json()["number"] for a in made)
    assert len(set(client_numbers)) == CREATES
    contact_numbers = sorted(
        [c["number"] for a in made for c in a.json()["contactPersons"]]
        + [a.json()["number"] for a in lone]
    )
    assert contact_numbers == list(range(contact_numbers[0], contact_numbers[0] + 2 * CREATES + 20))
    # Every create's events were inserted, numbered, by the counter's own statement, from two
    # processes at once: the feed holds each event once, numbered 1, 2, 3, ... without a gap.
    async with cluster.client(0, "read") as reader:
        feed = await reader.get("/events", params={"after": "0", "limit": "1000"})
    events = feed.json()["data"]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert len({e["id"] for e in events}) == len(events)
    mine = {a.json()["id"] for a in made}
    created = [e for e in events if e["type"] == "client.created"]
    assert mine <= {e["data"]["object"]["id"] for e in created}
    contacts_created = [e for e in events if e["type"] == "contact_person.created"]
    assert len(contacts_created) >= 2 * CREATES + 20


async def test_if_match_has_exactly_one_winner(cluster: Cluster) -> None:
    async with cluster.client(0) as client:
        created = await client.post("/clients", json={"name": "Contested"})
    url = f"/clients/{created.json()['id']}"
    etag = created.headers["ETag"]
    clients = [cluster.client(i) for i in range(PATCHES)]
    try:
        answers = await asyncio.gather(
            *(
                clients[i].patch(url, json={"city": f"City {i}"}, headers={"If-Match": etag})
                for i in range(PATCHES)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * (PATCHES - 1), [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200).json()
    for loser in (a for a in answers if a.status_code == 412):
        assert loser.json()["error"] == "PRECONDITION_FAILED"
    async with cluster.client(1, "read") as reader:
        final = await reader.get(url)
    assert final.json()["version"] == 2 and final.json()["city"] == winner["city"]


async def test_main_contact_invariant_under_parallel_updates(cluster: Cluster) -> None:
    """Parallel "make main" requests of every kind, across both servers: one main contact."""
    async with cluster.client(0) as client:
        people = [{"firstName": f"Person {i}", "lastName": "Main"} for i in range(CONTACTS)]
        created = await client.post("/clients", json={"name": "Mains", "contactPersons": people})
        donor = await client.post("/clients", json={"name": "Donor", "contactPersons": people[:3]})
    assert created.status_code == donor.status_code == 201, (created.text, donor.text)
    url = f"/clients/{created.json()['id']}/contact-persons"
    own = [contact["id"] for contact in created.json()["contactPersons"]]
    foreign = [contact["id"] for contact in donor.json()["contactPersons"]]
    clients = [cluster.client(i) for i in range(MAKE_MAIN)]

    def make_main(i: int) -> Awaitable[httpx.Response]:
        """PATCH isMain on a linked contact, link another client's contact as main, or create
        a new main contact: three paths to the same invariant."""
        client = clients[i]
        if i % 4 == 3:
            return client.put(f"{url}/{foreign[i % len(foreign)]}/link", json={"isMain": True})
        if i % 8 == 5:
            return client.post(url, json={"firstName": f"New {i}", "isMain": True})
        return client.patch(f"{url}/{own[i % len(own)]}", json={"isMain": True})

    try:
        for _ in range(ROUNDS):
            answers = await asyncio.gather(*(make_main(i) for i in range(MAKE_MAIN)))
            statuses = [a.status_code for a in answers]
            assert set(statuses) <= {200, 201}, [a.text for a in answers if a.status_code > 201]
            assert all(a.json()["isMain"] for a in answers), "each answered as main when it ran"
    finally:
        for client in clients:
            await client.aclose()
    async with cluster.client(1, "read") as reader:
        listed = (await reader.get(url, params={"limit": "200"})).json()["data"]
        nested = (await reader.get(f"/clients/{created.json()['id']}")).json()["contactPersons"]
        donated = (await reader.get(f"/clients/{donor.json()['id']}")).json()["contactPersons"]
    assert [c["isMain"] for c in listed].count(True) == 1 and listed[0]["isMain"], listed
    assert [c["isMain"] for c in nested].count(True) == 1 and nested[0]["isMain"]
    assert len(listed) == CONTACTS + len(foreign) + ROUNDS * MAKE_MAIN // 8
    # Linking the donor's contacts elsewhere as main leaves the donor's own main alone.
    assert [c["isMain"] for c in donated] == [True, False, False]


async def test_one_idempotency_key_executes_once(cluster: Cluster) -> None:
    """Parallel POSTs with one Idempotency-Key and body, across both servers: one client."""
    body = {"name": "Idempotent Ltd", "city": "Once"}
    headers = {"Idempotency-Key": "race-once-1"}
    clients = [cluster.client(i) for i in range(RETRIES)]
    try:
        answers = await asyncio.gather(
            *(client.post("/clients", json=body, headers=headers) for client in clients)
        )
    finally:
        for client in clients:
            await client.aclose()
    done = [a for a in answers if a.status_code == 201]
    busy = [a for a in answers if a.status_code == 409]
    assert len(done) + len(busy) == RETRIES, [(a.status_code, a.text) for a in answers]
    first = [a for a in done if "Idempotent-Replayed" not in a.headers]
    assert len(first) == 1, [dict(a.headers) for a in done]
    for replay in done:
        assert replay.json() == first[0].json()
        assert replay.headers["ETag"] == first[0].headers["ETag"]
        if replay is not first[0]:
            assert replay.headers["Idempotent-Replayed"] == "true"
    for answer in busy:  # still in flight after the wait: retry later
        assert answer.json()["error"] == "CONFLICT" and answer.headers["Retry-After"] == "1"
    async with cluster.client(1, "read") as reader:
        listed = await reader.get("/clients", params={"q": "Idempotent Ltd"})
    assert [c["id"] for c in listed.json()["data"]] == [first[0].json()["id"]]
