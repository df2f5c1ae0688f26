"""The fast lane (api/fastlane.py) answers the hottest GETs beside FastAPI, exactly as the routes.

Whether the lane answered is seen from the key lookup: the route authenticates through
`keys_service.authenticate_cached`, the lane never does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant
from tests.factories import client_body

from rolodex.api.app import BASE_PATH, create_app
from rolodex.core.keys import service as keys_service
from rolodex.core.keys.cache import PRINCIPALS
from rolodex.settings import Settings

# Headers that differ between two answers to the same request.
_PER_ANSWER = {"x-request-id", "date"}


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The keys the routes authenticated (one entry per request FastAPI answered)."""
    seen: list[str] = []
    original = keys_service.authenticate_cached

    async def spy(sessions: Any, secret: str, *, cache_seconds: float) -> Any:
        seen.append(secret)
        return await original(sessions, secret, cache_seconds=cache_seconds)

    monkeypatch.setattr(keys_service, "authenticate_cached", spy)
    PRINCIPALS.clear()
    yield seen
    PRINCIPALS.clear()


def _without_lane(settings: Settings, engine: AsyncEngine) -> Any:
    """The app with the lane off: with no principal cache, no key is known to it."""
    return create_app(settings.model_copy(update={"key_cache_seconds": 0}), engine=engine)


async def _client(app: Any, tenant: Tenant, scope: str = "read") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://test{BASE_PATH}",
        headers=tenant.headers(scope),
    )


@pytest.fixture
async def reader(app: Any, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(app, tenant) as client:
        yield client


@pytest.fixture
async def created(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    bodies = [
        client_body(
            name=f"Lane {n}",
            contactPersons=[{"firstName": "Ann", "lastName": f"L{n}", "isMain": True}],
            addresses=[{"label": "Site", "city": "Lund"}],
        )
        for n in range(3)
    ]
    found = []
    for body in bodies:
        answer = await api.post("/clients", json=body)
        assert answer.status_code == 201, answer.text
        found.append(answer.json())
    return found


def _same(lane: httpx.Response, route: httpx.Response) -> None:
    assert lane.status_code == route.status_code
    assert lane.json() == route.json()
    assert {k: v for k, v in lane.headers.items() if k not in _PER_ANSWER} == {
        k: v for k, v in route.headers.items() if k not in _PER_ANSWER
    }


@pytest.mark.parametrize(
    "path",
    [
        "/clients/{id}",
        "/clients/{id}?includeDeleted=true",
        "/clients",
        "/clients?sort=-name&limit=2",
        "/clients?include=contactPersons,addresses&q=lane",
    ],
)
async def test_the_lane_answers_as_the_route(
    reader: httpx.AsyncClient,
    routed: list[str],
    created: list[dict[str, Any]],
    settings: Settings,
    engine: AsyncEngine,
    tenant: Tenant,
    path: str,
) -> None:
    path = path.format(id=created[0]["id"])
    PRINCIPALS.clear()
    routed.clear()
    first = await reader.get(path)  # the key is not known yet: the route answers
    assert len(routed) == 1
    lane = await reader.get(path)
    assert len(routed) == 1, "the lane answered"
    assert lane.status_code == 200, lane.text
    _same(lane, first)
    assert lane.headers["x-request-id"] and lane.headers["x-content-type-options"] == "nosniff"
    # The same request with the lane off (no principal cache) answers the same.
    without = _without_lane(settings, engine)
    async with await _client(without, tenant) as client:
        _same(lane, await client.get(path))


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/clients/0192f0c4-0000-7000-8000-000000000000", 404),
        ("/clients/not-a-uuid", 400),
        ("/clients/{id}?asOf=yesterday", 400),
        ("/clients/{id}?unknown=1", 400),
        ("/clients?limit=0", 400),
        ("/clients?sort=nope", 400),
    ],
)
async def test_what_the_lane_cannot_answer_the_route_does(
    reader: httpx.AsyncClient,
    routed: list[str],
    created: list[dict[str, Any]],
    path: str,
    status: int,
) -> None:
    await reader.get("/clients")  # the key is known from here on
    routed.clear()
    path = path.format(id=created[0]["id"])
    answer = await reader.get(path)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] in ("NOT_FOUND", "VALIDATION_ERROR")
    assert len(routed) == 1, "the route answered"


async def test_deleted_clients_and_other_tenants_are_the_routes_404(
    api: httpx.AsyncClient,
    reader: httpx.AsyncClient,
    routed: list[str],
    created: list[dict[str, Any]],
    app: Any,
    other_tenant: Tenant,
) -> None:
    client_id = created[0]["id"]
    assert (await reader.get(f"/clients/{client_id}")).status_code == 200
    assert (await api.delete(f"/clients/{client_id}")).status_code == 200
    assert (await reader.get(f"/clients/{client_id}")).status_code == 404
    shown = await reader.get(f"/clients/{client_id}?includeDeleted=true")
    assert shown.status_code == 200 and shown.json()["deletedAt"] is not None
    async with await _client(app, other_tenant) as other:
        await other.get("/clients")
        answer = await other.get(f"/clients/{created[1]['id']}")
    assert answer.status_code == 404 and answer.json()["error"] == "NOT_FOUND"


async def test_a_revoked_key_is_refused_at_once(
    app: Any, tenant: Tenant, engine: AsyncEngine, created: list[dict[str, Any]]
) -> None:
    from uuid import UUID

    from rolodex.core.db import session_factory, session_scope

    async with await _client(app, tenant) as client:
        assert (await client.get(f"/clients/{created[0]['id']}")).status_code == 200
        async with session_scope(session_factory(engine)) as session:
            await keys_service.revoke(session, UUID(tenant.key_ids["read"]))
        answer = await client.get(f"/clients/{created[0]['id']}")
    assert answer.status_code == 401 and answer.json()["error"] == "UNAUTHORIZED"


async def test_the_rate_limit_counts_each_request_once(
    settings: Settings, engine: AsyncEngine, tenant: Tenant, created: list[dict[str, Any]]
) -> None:
    limited = settings.model_copy(update={"rate_limit_enabled": True, "rate_limit": "4/day"})
    app = create_app(limited, engine=engine)
    async with await _client(app, tenant) as client:
        paths = [
            "/clients",
            f"/clients/{created[0]['id']}",
            "/clients/nope",
            "/clients",
            "/clients",
        ]
        answers = [await client.get(path) for path in paths]
    # The lane counted /clients/nope before passing it on; the route did not count it again.
    assert [a.status_code for a in answers] == [200, 200, 400, 200, 429]
    assert [answers[n].headers["X-RateLimit-Remaining"] for n in (0, 1, 3)] == ["3", "2", "0"]
    refused = answers[-1]
    assert refused.json()["error"] == "RATE_LIMITED" and int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["content-type"] == "application/json"


async def test_metrics_count_the_lanes_answers_under_the_route(
    reader: httpx.AsyncClient,
    raw_client: httpx.AsyncClient,
    routed: list[str],
    created: list[dict[str, Any]],
) -> None:
    async def answered() -> float:
        line = 'rolodex_requests_total{method="GET",route="/clients/{client_id}",status="200"} '
        for row in (await raw_client.get("/metrics")).text.splitlines():
            if row.startswith(line):
                return float(row.removeprefix(line))
        return 0.0

    await reader.get("/clients")
    before = await answered()
    routed.clear()
    for _ in range(3):
        assert (await reader.get(f"/clients/{created[0]['id']}")).status_code == 200
    assert not routed, "the lane answered"
    assert await answered() == before + 3


# ---------------------------------------------------------------- POST /clients


def _comparable(answer: httpx.Response) -> Any:
    """A create's answer without what differs between two creates of the same body."""
    own = {"id", "number", "createdAt", "updatedAt", "clientId", "clientIds"}

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in own}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(answer.json())


def _create_body(n: int, **overrides: Any) -> dict[str, Any]:
    contacts = [
        {"firstName": "Ann", "lastName": f"C{n}", "email": f"ann.{n}@example.com"},
        {"firstName": "Bo", "lastName": f"C{n}", "isMain": True},
    ]
    fields = {"name": f"Lane create {n}", "email": f"lane.create.{n}@example.com"}
    return client_body(**fields | {"contactPersons": contacts} | overrides)


def _same_error(one: httpx.Response, other: httpx.Response) -> None:
    """Two error answers alike but for their request ids."""
    assert one.status_code == other.status_code
    assert {**one.json(), "requestId": None} == {**other.json(), "requestId": None}
    assert {k: v for k, v in one.headers.items() if k not in _PER_ANSWER} == {
        k: v for k, v in other.headers.items() if k not in _PER_ANSWER
    }


async def test_the_lane_creates_as_the_route(
    api: httpx.AsyncClient,
    routed: list[str],
    settings: Settings,
    engine: AsyncEngine,
    tenant: Tenant,
) -> None:
    PRINCIPALS.clear()
    routed.clear()
    first = await api.post("/clients", json=_create_body(1))  # the key is new: the route
    assert first.status_code == 201, first.text
    assert len(routed) == 1
    lane = await api.post("/clients", json=_create_body(1, email="lane.create.1b@example.com"))
    assert len(routed) == 1, "the lane answered"
    assert lane.status_code == 201, lane.text
    assert lane.json()["number"] == first.json()["number"] + 1
    expected = _comparable(first) | {"email": "lane.create.1b@example.com"}
    assert _comparable(lane) == expected
    assert {k: v for k, v in lane.headers.items() if k not in _PER_ANSWER | {"content-length"}} == {
        k: v for k, v in first.headers.items() if k not in _PER_ANSWER | {"content-length"}
    }
    assert lane.headers["etag"] == '"1"' and lane.headers["x-request-id"]
    # What the lane wrote reads back as it answered, and as a create with the lane off.
    assert (await api.get(f"/clients/{lane.json()['id']}")).json() == lane.json()
    without = _without_lane(settings, engine)
    async with await _client(without, tenant, "write") as client:
        routed_answer = await client.post(
            "/clients", json=_create_body(1, email="lane.create.1c@example.com")
        )
    assert _comparable(routed_answer) == expected | {"email": "lane.create.1c@example.com"}


# `routed`: whether the route authenticated the key. A body that is not JSON is refused before
# the route's dependencies run, and one sent as another type by the input guard.
@pytest.mark.parametrize(
    ("content", "headers", "status", "error", "routed_to"),
    [
        (b'{"name": ""}', {}, 400, "VALIDATION_ERROR", 1),
        (b'{"name": "X", "colour": "red"}', {}, 400, "VALIDATION_ERROR", 1),
        (b"[1, 2]", {}, 400, "VALIDATION_ERROR", 1),
        (b"", {}, 400, "VALIDATION_ERROR", 1),
        (b'{"name": "X"', {}, 400, "VALIDATION_ERROR", 0),
        # JSON the lane's parser (orjson) refuses and FastAPI's (the json module) takes.
        (b'{"name": "X", "paymentTerms": NaN}', {}, 400, "VALIDATION_ERROR", 1),
        (b'{"name": "X", "paymentTerms": 1180591620717411303424}', {}, 400, "VALIDATION_ERROR", 1),
        (b'{"name": "X"}', {"content-type": "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE", 0),
    ],
)
async def test_what_the_lane_cannot_create_the_route_answers(
    api: httpx.AsyncClient,
    routed: list[str],
    settings: Settings,
    engine: AsyncEngine,
    tenant: Tenant,
    content: bytes,
    headers: dict[str, str],
    status: int,
    error: str,
    routed_to: int,
) -> None:
    await api.get("/clients")  # the key is known from here on
    routed.clear()
    sent = {"content-type": "application/json"} | headers
    answer = await api.post("/clients", content=content, headers=sent)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error
    assert len(routed) == routed_to
    without = _without_lane(settings, engine)
    async with await _client(without, tenant, "write") as client:
        _same_error(answer, await client.post("/clients", content=content, headers=sent))
    assert (await api.get("/clients")).json()["meta"]["total"] == 0


async def test_the_lanes_refused_create_is_the_routes_409_and_writes_nothing(
    api: httpx.AsyncClient,
    routed: list[str],
    settings: Settings,
    engine: AsyncEngine,
    tenant: Tenant,
) -> None:
    assert (await api.post("/clients", json=_create_body(2))).status_code == 201
    total = (await api.get("/clients")).json()["meta"]["total"]
    events = len((await api.get("/events")).json()["data"])
    routed.clear()
    lane = await api.post("/clients", json=_create_body(3, email="LANE.create.2@example.com"))
    assert not routed, "the lane answered"
    assert lane.status_code == 409 and lane.json()["error"] == "CONFLICT", lane.text
    assert lane.json()["requestId"] == lane.headers["x-request-id"]
    assert (await api.get("/clients")).json()["meta"]["total"] == total
    assert len((await api.get("/events")).json()["data"]) == events
    # The route's own 409 for the same request (the lane off), alike but for the request id.
    without = _without_lane(settings, engine)
    async with await _client(without, tenant, "write") as client:
        routed_answer = await client.post(
            "/clients", json=_create_body(3, email="LANE.create.2@example.com")
        )
    _same_error(routed_answer, lane)


async def test_an_idempotent_create_is_the_routes(api: httpx.AsyncClient) -> None:
    # The idempotency middleware, inside the lane, keeps the first answer for the replay.
    await api.get("/clients")
    headers = {"Idempotency-Key": "lane-create-1"}
    first = await api.post("/clients", json=_create_body(4), headers=headers)
    again = await api.post("/clients", json=_create_body(4), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert (await api.get("/clients")).json()["meta"]["total"] == 1


async def test_a_read_key_cannot_create_in_the_lane(
    reader: httpx.AsyncClient, routed: list[str]
) -> None:
    await reader.get("/clients")  # the read key is known
    routed.clear()
    answer = await reader.post("/clients", json=_create_body(5))
    assert answer.status_code == 403 and answer.json()["error"] == "FORBIDDEN"
    assert len(routed) == 1, "the route answered"


async def test_a_create_that_fails_after_writing_is_not_written_again(
    api: httpx.AsyncClient, routed: list[str], monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    from rolodex.api.routes import clients as clients_routes

    await api.get("/clients")
    routed.clear()
    answered: list[int] = []

    def failing(_response: Any, version: int) -> None:
        answered.append(version)
        raise RuntimeError("after the write")

    monkeypatch.setattr(clients_routes, "set_etag", failing)
    answer = await api.post("/clients", json=_create_body(6))
    # The app's own 500, answered by the lane; the route never ran the create a second time.
    assert answer.status_code == 500 and answer.json()["error"] == "INTERNAL_ERROR"
    assert answered == [1] and not routed
    # On PostgreSQL the create was one statement in autocommit, committed before the failure
    # (as through the route); on SQLite the request's transaction was rolled back.
    listed = (await api.get("/clients", params={"q": "Lane create 6"})).json()["data"]
    assert len(listed) == (1 if backend == "postgresql" else 0)
