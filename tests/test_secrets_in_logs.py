"""No API key, email or personal number reaches a log; no traceback reaches a response.

A representative slice of requests (every scope, writes, reads, searches and filters by email,
the error paths: 400, 401, 403, 404, 409, 500, 503) runs with every logger at DEBUG, SQLAlchemy's
included (its `echo` stays off, but DEBUG on its loggers logs every statement just the same);
then the captured text is searched for every secret and personal value the requests carried.
A real server's own log gets the same search.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant, make_tenant
from tests.servers import Server, make_tenant_at

from rolodex.api.app import BASE_PATH, create_app
from rolodex.core import migrate
from rolodex.settings import Settings

PEOPLE = [
    {"email": "anna.svensson@example.com", "personalNumber": "19811218-9876"},
    {"email": "Bo.Ek+crm@example.com", "personalNumber": "010203-4567"},
    {"email": "carl@sub.example.com", "personalNumber": "8112189876"},
]
FAKE_KEY = "rdx_" + "Z" * 43


def _failing_route(app: Any) -> None:
    async def explode() -> None:
        raise RuntimeError(f"boom for {PEOPLE[0]['email']} with {FAKE_KEY}")

    app.add_api_route("/_explode", explode, methods=["GET"])


async def _slice(client: httpx.AsyncClient, tenant: Tenant) -> list[httpx.Response]:
    """The requests whose traces the test looks for."""
    read, write, admin = (tenant.headers(s) for s in ("read", "write", "admin"))
    clients = f"{BASE_PATH}/clients"
    answers = []
    for person in PEOPLE:
        email, number = person["email"], person["personalNumber"]
        body = {"name": f"Client of {email}", **person, "billingEmail": email}
        requests: list[tuple[str, str, dict[str, Any]]] = [
            ("POST", clients, {"json": body, "headers": write}),
            ("POST", clients, {"json": body, "headers": write}),  # 409
            ("GET", clients, {"params": {"email": email}, "headers": read}),
            ("GET", clients, {"params": {"q": email}, "headers": read}),
            (
                "PUT",
                f"{clients}/external-id/{email}",
                {"json": {"name": "By mail", "personalNumber": number}, "headers": admin},
            ),
            ("POST", clients, {"json": {"email": email}, "headers": write}),  # 400
            ("POST", clients, {"json": {**body, "email": "not-an-email"}, "headers": write}),
        ]
        # The dialects carry the same values under their own names.
        timewave = {"title": f"TW {email}", "email": email, "personal_number": number}
        klant = {"naam": f"R {email}", "contactpersonen": [{"email1": email, "hoofdcontact": True}]}
        requests += [
            ("POST", "/v3/clients", {"json": timewave, "headers": write}),
            ("GET", "/v3/clients", {"params": {"email": email}, "headers": read}),
            ("POST", "/v3/clients", {"json": {**timewave, "www": email}, "headers": write}),  # 422
            ("POST", "/api2/klanten", {"json": klant, "headers": write}),
            ("POST", "/api2/klanten", {"json": {"naam": email}, "headers": write}),  # 406
            ("GET", "/api/clients", {"params": {"q": email}, "headers": read}),
            ("GET", "/v1.0/customers", {"headers": read}),
        ]
        for method, url, kwargs in requests:
            answers.append(await client.request(method, url, **kwargs))
    created = answers[0].json()
    one = f"{clients}/{created['id']}"
    stale = {**write, "If-Match": '"7"'}
    answers.append(await client.patch(one, json={"personalNumber": "19900101-1234"}, headers=stale))
    answers.append(await client.delete(one, headers=admin))
    answers.append(await client.get(clients, headers={"Authorization": f"Bearer {FAKE_KEY}"}))
    answers.append(await client.post(clients, json={"name": "x"}, headers=read))  # 403
    answers.append(await client.get("/_explode", headers=read))
    return answers


def _secrets(tenant: Tenant) -> list[str]:
    values = [*tenant.keys.values(), FAKE_KEY, "19900101-1234"]
    for person in PEOPLE:
        values += [person["email"], person["email"].lower(), person["personalNumber"]]
    return values


async def test_logs_at_debug_carry_no_secrets(
    settings: Settings, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await make_tenant(engine, "Secretive")
    app = create_app(settings, engine=engine)
    _failing_route(app)
    caplog.set_level(logging.DEBUG)  # every library's DEBUG
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # which SQLAlchemy sets to WARN itself
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = await _slice(client, tenant)
    statuses = {a.status_code for a in answers}
    assert {201, 200, 400, 401, 403, 406, 409, 412, 422, 500} <= statuses, statuses
    assert "SELECT" in caplog.text, "SQLAlchemy's statement log was captured"
    assert "boom for" in caplog.text, "the unhandled error was logged"
    leaked = [value for value in _secrets(tenant) if value in caplog.text]
    assert not leaked, leaked
    failure = answers[-1]
    assert failure.status_code == 500 and failure.json()["error"] == "INTERNAL_ERROR"
    for text in ("Traceback", "RuntimeError", "boom", FAKE_KEY, 'File "'):
        assert text not in failure.text


@pytest.mark.slow
async def test_a_real_servers_log_carries_no_secrets(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'secrets.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    tenant = await make_tenant_at(url, "Secretive")
    server = Server(url, tmp_path, ROLODEX_LOG_LEVEL="debug")
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            answers = await _slice(client, tenant)
    finally:
        server.stop()
    assert answers[-1].status_code == 404  # no test route in a real server
    log = server.log()
    assert "Application startup complete" in log, log[-2000:]
    leaked = [value for value in _secrets(tenant) if value in log]
    assert not leaked, leaked
