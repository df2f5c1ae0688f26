"""The delivery worker against a real local HTTP receiver, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.conftest import Tenant
from tests.factories import client_body
from tests.webhook_receiver import Receiver
from typer.testing import CliRunner

from rolodex.api.app import BASE_PATH, create_app
from rolodex.cli.main import app as cli_app
from rolodex.core.clock import now
from rolodex.core.events.models import Event
from rolodex.core.webhooks import signing
from rolodex.core.webhooks.worker import GIVE_UP_AFTER, LEASE, Worker, retry_delay
from rolodex.settings import Settings


class Clock:
    """The worker's notion of now, moved by hand."""

    def __init__(self) -> None:
        self.at = now()

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta

    def catch_up(self) -> None:
        """At least the real time: for what the API stamped with the real clock."""
        self.at = max(self.at, now()) + timedelta(milliseconds=1)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    yield found
    await found.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def worker(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock
) -> AsyncIterator[Worker]:
    async with Worker(sessions, settings, now=clock) as found:
        yield found


async def make_hook(api: httpx.AsyncClient, tenant: Tenant, url: str, **extra: Any) -> Any:
    r = await api.post("/webhooks", json={"url": url, **extra}, headers=tenant.headers("admin"))
    assert r.status_code == 201, r.text
    return r.json()


async def deliveries(api: httpx.AsyncClient, tenant: Tenant, hook_id: str) -> list[Any]:
    r = await api.get(f"/webhooks/{hook_id}/deliveries", headers=tenant.headers("admin"))
    assert r.status_code == 200, r.text
    data: list[Any] = r.json()["data"]
    return data


class TestDelivery:
    async def test_signed_post_of_the_feed_event(
        self, api: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, worker: Worker
    ) -> None:
        hook = await make_hook(api, tenant, receiver.url)
        made = (await api.post("/clients", json=client_body())).json()
        assert await worker.run_once() == 1
        assert len(receiver.requests) == 1
        got = receiver.requests[0]
        assert got.path == "/hook" and got.headers["content-type"] == "application/json"
        assert signing.verify(hook["secret"], got.headers["rolodex-signature"], got.body)
        assert not signing.verify("whsec_wrong", got.headers["rolodex-signature"], got.body)
        stamp, mac = got.headers["rolodex-signature"].split(",")
        assert stamp.startswith("t=") and mac.startswith("v1=") and len(mac) == 3 + 64
        event = (await api.get("/events")).json()["data"][0]
        assert got.json() == event and event["data"]["object"]["id"] == made["id"]
        assert got.headers["rolodex-event-type"] == "client.created"
        [delivery] = await deliveries(api, tenant, hook["id"])
        assert delivery["status"] == "succeeded" and delivery["eventId"] == event["id"]
        [attempt] = delivery["attempts"]
        assert attempt["attempt"] == 1 and attempt["status"] == "succeeded"
        assert attempt["responseCode"] == 200 and attempt["durationMs"] >= 0
        assert attempt["error"] is None and attempt["nextRetryAt"] is None
        assert await worker.run_once() == 0  # nothing more to do

    async def test_an_integer_beyond_64_bits_is_delivered_exactly(
        self, api: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, worker: Worker
    ) -> None:
        await make_hook(api, tenant, receiver.url)
        huge = 2**70 + 1  # JSONB keeps it; orjson neither writes it nor reads it exactly
        made = await api.post("/clients", json=client_body(metadata={"n": huge}))
        assert made.status_code == 201, made.text
        assert await worker.run_once() == 1
        assert receiver.requests[0].json()["data"]["object"]["metadata"] == {"n": huge}

    async def test_only_the_chosen_types_and_only_new_events(
        self, api: httpx.AsyncClient, tenant: Tenant, receiver: Receiver, worker: Worker
    ) -> None:
        old = (await api.post("/clients", json=client_body())).json()
        await make_hook(api, tenant, receiver.url, events=["client.deleted"])
        made = (await api.post("/clients", json=client_body())).json()
        await api.patch(f"/clients/{made['id']}", json={"city": "Oslo"})
        await api.delete(f"/clients/{made['id']}")
        await worker.run_once()
        assert [r.json()["type"] for r in receiver.requests] == ["client.deleted"]
        await api.delete(f"/clients/{old['id']}")
        await worker.run_once()
        assert [r.json()["data"]["object"]["id"] for r in receiver.requests] == [
            made["id"],
            old["id"],
        ]

    async def test_failures_are_retried_with_backoff_in_order(
        self,
        api: httpx.AsyncClient,
        tenant: Tenant,
        receiver: Receiver,
        worker: Worker,
        clock: Clock,
    ) -> None:
        hook = await make_hook(api, tenant, receiver.url)
        receiver.statuses.extend([500])
        for _ in range(2):
            await api.post("/clients", json=client_body())
        assert await worker.run_once() == 1  # the first fails; the second waits behind it
        [second, first] = await deliveries(api, tenant, hook["id"])
        assert first["status"] == "pending" and first["lastResponseCode"] == 500
        [failed] = first["attempts"]
        assert failed["status"] == "failed" and failed["responseCode"] == 500
        assert failed["error"] == "HTTP 500"
        retry_at = datetime.fromisoformat(failed["nextRetryAt"])
        assert timedelta(0) < retry_at - clock() <= timedelta(seconds=30)
        assert second["attempts"] == [] and second["status"] == "pending"

        assert await worker.run_once() == 0  # not due yet
        clock.advance(retry_at - clock() + timedelta(seconds=1))
        assert await worker.run_once() == 2
        sequences = [r.json()["sequence"] for r in receiver.requests]
        assert sequences == [1, 1, 2]
        assert [r.headers["rolodex-delivery-attempt"] for r in receiver.requests] == ["1", "2", "1"]
        statuses = [d["status"] for d in await deliveries(api, tenant, hook["id"])]
        assert statuses == ["succeeded", "succeeded"]

    async def test_gives_up_after_three_days_and_disables_the_endpoint(
        self,
        api: httpx.AsyncClient,
        tenant: Tenant,
        receiver: Receiver,
        worker: Worker,
        clock: Clock,
    ) -> None:
        hook = await make_hook(api, tenant, receiver.url)
        receiver.default = 503
        await api.post("/clients", json=client_body())
        await worker.run_once()
        clock.advance(timedelta(days=1))
        await worker.run_once()
        got = (await api.get(f"/webhooks/{hook['id']}", headers=tenant.headers("admin"))).json()
        assert got["enabled"] is True
        clock.advance(GIVE_UP_AFTER)
        await worker.run_once()
        got = (await api.get(f"/webhooks/{hook['id']}", headers=tenant.headers("admin"))).json()
        assert got["enabled"] is False and "3 days" in got["disabledReason"]
        [delivery] = await deliveries(api, tenant, hook["id"])
        assert delivery["status"] == "failed" and delivery["attemptCount"] == 3
        assert delivery["nextAttemptAt"] is None

        # Nothing goes to a disabled endpoint; enabling it resumes where it stopped.
        await api.post("/clients", json=client_body())
        clock.advance(timedelta(hours=2))
        assert await worker.run_once() == 0
        receiver.default = 200
        r = await api.patch(
            f"/webhooks/{hook['id']}", json={"enabled": True}, headers=tenant.headers("admin")
        )
        assert r.json()["enabled"] is True
        assert await worker.run_once() == 1
        assert receiver.requests[-1].json()["sequence"] == 2
        # The given-up delivery can be sent again by hand.
        r = await api.post(
            f"/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver",
            headers=tenant.headers("admin"),
        )
        assert r.status_code == 202 and r.json()["status"] == "pending"
        assert await worker.run_once() == 1
        assert receiver.requests[-1].json()["sequence"] == 1

    async def test_unreachable_endpoint_is_a_failed_attempt(
        self, api: httpx.AsyncClient, tenant: Tenant, worker: Worker, receiver: Receiver
    ) -> None:
        await receiver.stop()
        hook = await make_hook(api, tenant, receiver.url)
        await api.post("/clients", json=client_body())
        assert await worker.run_once() == 1
        [delivery] = await deliveries(api, tenant, hook["id"])
        [attempt] = delivery["attempts"]
        assert attempt["status"] == "failed" and attempt["responseCode"] is None
        assert "Connect" in attempt["error"] and attempt["nextRetryAt"]

    async def test_redeliver_sends_again(
        self,
        api: httpx.AsyncClient,
        tenant: Tenant,
        receiver: Receiver,
        worker: Worker,
        clock: Clock,
    ) -> None:
        hook = await make_hook(api, tenant, receiver.url)
        await api.post("/clients", json=client_body())
        await worker.run_once()
        [delivery] = await deliveries(api, tenant, hook["id"])
        url = f"/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver"
        r = await api.post(url, headers=tenant.headers("admin"))
        assert r.status_code == 202 and r.json()["status"] == "pending"
        assert (await api.post(url)).status_code == 403  # write scope is not enough
        clock.catch_up()  # the API stamped "due now" with the real clock
        assert await worker.run_once() == 1
        assert [r.attempt[1] for r in receiver.requests] == ["1", "2"]
        assert receiver.requests[0].body == receiver.requests[1].body


class TestCrashes:
    async def test_worker_killed_between_claim_and_delivery(
        self,
        api: httpx.AsyncClient,
        tenant: Tenant,
        receiver: Receiver,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
    ) -> None:
        hook = await make_hook(api, tenant, receiver.url)
        await api.post("/clients", json=client_body())
        async with Worker(sessions, settings, now=clock) as doomed:
            await doomed.fan_out()
            claims = await doomed.claim()
            assert len(claims) == 1
            # ... and the process dies here: nothing sent, nothing reported.
        async with Worker(sessions, settings, now=clock) as survivor:
            assert await survivor.run_once() == 0  # the dead worker's lease still holds
            assert receiver.requests == []
            clock.advance(LEASE + timedelta(seconds=1))
            assert await survivor.run_once() == 1
        assert len(receiver.requests) == 1
        assert receiver.requests[0].headers["rolodex-delivery-attempt"] == "2"
        [delivery] = await deliveries(api, tenant, hook["id"])
        assert delivery["status"] == "succeeded"
        assert [(a["attempt"], a["status"]) for a in delivery["attempts"]] == [
            (1, "abandoned"),
            (2, "succeeded"),
        ]

    async def test_a_late_report_after_a_lost_lease_changes_nothing(
        self,
        api: httpx.AsyncClient,
        tenant: Tenant,
        receiver: Receiver,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
    ) -> None:
        hook = await make_hook(api, tenant, receiver.url)
        await api.post("/clients", json=client_body())
        async with Worker(sessions, settings, now=clock) as slow:
            await slow.fan_out()
            [claim] = await slow.claim()
            clock.advance(LEASE + timedelta(seconds=1))
            async with Worker(sessions, settings, now=clock) as other:
                assert await other.run_once() == 1
            receiver.default = 500
            await slow.process(claim)  # reports a failure, but no longer holds the delivery
        [delivery] = await deliveries(api, tenant, hook["id"])
        assert delivery["status"] == "succeeded"
        assert [a["status"] for a in delivery["attempts"]] == ["failed", "succeeded"]

    async def test_two_workers_never_send_one_attempt_twice(
        self,
        api: httpx.AsyncClient,
        tenant: Tenant,
        receiver: Receiver,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
    ) -> None:
        hooks = [await make_hook(api, tenant, f"{receiver.url}/{n}") for n in range(3)]
        for _ in range(6):
            await api.post("/clients", json=client_body())
        receiver.delay = 0.002
        async with (
            Worker(sessions, settings, now=clock) as one,
            Worker(sessions, settings, now=clock) as two,
        ):
            for _ in range(20):
                done = await asyncio.gather(one.run_once(), two.run_once(), one.run_once())
                if not sum(done):
                    break
        attempts = [r.attempt for r in receiver.requests]
        assert len(attempts) == len(set(attempts)) == 18
        assert {a for _, a in attempts} == {"1"}
        for n, _hook in enumerate(hooks):
            sequences = [r.json()["sequence"] for r in receiver.requests if r.path == f"/hook/{n}"]
            assert sequences == [1, 2, 3, 4, 5, 6]


class TestRetention:
    async def test_prune_keeps_recent_events(
        self,
        api: httpx.AsyncClient,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
    ) -> None:
        for _ in range(3):
            await api.post("/clients", json=client_body())
        async with sessions() as session:
            await session.execute(
                update(Event)
                .where(Event.sequence <= 2)
                .values(occurred_at=now() - timedelta(days=10))
            )
            await session.commit()
        forever = Worker(sessions, settings, now=clock)
        assert await forever.maybe_prune() == 0
        week = settings.model_copy(update={"event_retention_days": 7})
        pruner = Worker(sessions, week, now=clock)
        assert await pruner.maybe_prune() == 2
        assert await pruner.maybe_prune() == 0  # at most once an hour
        data = (await api.get("/events")).json()["data"]
        assert [e["sequence"] for e in data] == [3]


class TestSchedule:
    def test_backoff(self) -> None:
        assert retry_delay(1) == timedelta(seconds=10)
        assert retry_delay(2) == timedelta(seconds=20)
        assert retry_delay(10) == timedelta(hours=1)
        assert retry_delay(10_000) == timedelta(hours=1)
        waited, attempt = timedelta(0), 1
        while waited < GIVE_UP_AFTER:
            waited += retry_delay(attempt)
            attempt += 1
        assert 50 < attempt < 100  # about 80 tries over three days


class TestInTheServer:
    async def test_serve_runs_the_worker(
        self,
        settings: Settings,
        engine: AsyncEngine,
        tenant: Tenant,
        receiver: Receiver,
    ) -> None:
        live = settings.model_copy(update={"run_worker": True, "worker_poll_seconds": 0.05})
        app = create_app(live, engine=engine)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url=f"http://test{BASE_PATH}",
                headers=tenant.headers("admin"),
            ) as api,
        ):
            await make_hook(api, tenant, receiver.url)
            await api.post("/clients", json=client_body())
            for _ in range(500):  # up to 10 s on a busy machine
                if receiver.requests:
                    break
                await asyncio.sleep(0.02)
        assert [r.json()["type"] for r in receiver.requests] == ["client.created"]


def test_cli_worker_once(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'w.db'}"
    assert runner.invoke(cli_app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    result = runner.invoke(cli_app, ["worker", "--once", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "attempted=0" in result.output.splitlines()
