"""Hostile input on every operation of the OpenAPI document: never a 500, always the error DTO."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from tests.conftest import Tenant
from tests.openapi_routes import Operation, is_error_dto, operations

from rolodex.api.app import BASE_PATH

HOSTILE = [
    "' OR '1'='1",
    "1; DROP TABLE clients; --",
    "%",
    "_",
    "\\",
    '"',
    "😀💥",
    "Ω≈ç√ ﬀ",
    "\u202eevil",
    "a" * 3000,
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "\x00",
    " ",
    "null",
    "²",  # str.isdigit() says yes, int() says no (fuzz finding: 500s)
    "١٢",  # Arabic-Indic digits: int() takes them
]
JSON = {"Content-Type": "application/json"}
RAW_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"{",
    b'{"name": NaN}',
    b'{"name": "x", "creditLimit": Infinity}',
    b'{"name": "x", "creditLimit": 1e400, "paymentTerms": 123456789012345678901234567890}',
    b'{"name": "x", "name": "y"}',
    b'{"name": "\xff\xfe"}',
    b'{"name": "\\ud800"}',
    b'{"name": "x", "metadata": {"k\\u0000": "v"}}',
    b"[" * 5000,
    b'{"a":' * 40 + b"1" + b"}" * 40,
]


@pytest.fixture
async def admin(app: Any, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=tenant.headers("admin")
    ) as client:
        yield client


def _check(answer: httpx.Response, what: str) -> None:
    assert answer.status_code < 500, (what, answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        assert is_error_dto(answer.json(), answer.status_code), (what, answer.text[:300])


async def _send(
    client: httpx.AsyncClient, op: Operation, url: str, **kwargs: Any
) -> httpx.Response:
    if op.has_body and "content" not in kwargs:
        kwargs["json"] = op.example if op.example is not None else {}
    return await client.request(op.method, url, **kwargs)


@pytest.mark.parametrize("op", operations(), ids=lambda op: op.id)
async def test_hostile_path_and_query_values(admin: httpx.AsyncClient, op: Operation) -> None:
    sane = {name: "00000000-0000-4000-8000-000000000000" for name in op.path_params}
    for value in HOSTILE:
        for name in op.path_params:
            url = op.url({**sane, name: quote(value, safe="")})
            _check(await _send(admin, op, url), f"{op.id} {name}={value[:20]!r}")
        for name in op.query_params:
            answer = await _send(admin, op, op.url(sane), params={name: value})
            _check(answer, f"{op.id} ?{name}={value[:20]!r}")


@pytest.mark.parametrize("op", [op for op in operations() if op.has_body], ids=lambda op: op.id)
async def test_hostile_bodies(admin: httpx.AsyncClient, op: Operation) -> None:
    url = op.url({name: "00000000-0000-4000-8000-000000000000" for name in op.path_params})
    for raw in RAW_BODIES:
        answer = await _send(
            admin, op, url, content=raw, headers={"Content-Type": "application/json"}
        )
        _check(answer, f"{op.id} {raw[:40]!r}")


async def test_hostile_list_parameters(admin: httpx.AsyncClient) -> None:
    """Filter names and operators a list does not know, SQL in values, absurd sizes: all 400."""
    url = f"{BASE_PATH}/clients"
    for params in [
        {"name'; DROP TABLE clients; --": "x"},
        {"metadata.x') OR 1=1 --": "x"},
        {'customFields.a"b': "1"},
        {"name[eq]": "x"},
        {"number[gt]": "9" * 40},
        {"number[between]": "1"},
        {"creditLimit[gte]": "1e309"},
        {"createdAt[gt]": "2024-13-45"},
        {"createdAt[lt]": "99999-01-01"},
        {"tags": "," * 50},
        {"sort": "-" * 500},
        {"sort": "name;DROP"},
        {"limit": "9" * 30},
        {"page": "99999999999"},
        {"cursor": "A" * 5000},
        {"q": "x" * 201},
        {"a" * 2000: "1"},
        {f"f{i}": "1" for i in range(31)},
    ]:
        answer = await admin.get(url, params=params)
        assert answer.status_code == 400, (params, answer.text[:300])
        assert is_error_dto(answer.json(), 400)
    answer = await admin.get(url, params={"q": "' OR 1=1 --", "status": "ACTIVE"})
    assert answer.status_code == 200 and answer.json()["data"] == []


async def test_hostile_headers(admin: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await admin.post(f"{BASE_PATH}/clients", json={"name": "Target"})
    url = f"{BASE_PATH}/clients/{created.json()['id']}"
    for if_match in ['"99999999999999999999"', "W/", "garbage", '"1", "2"', "*" * 3000]:
        answer = await admin.patch(url, json={"city": "X"}, headers={"If-Match": if_match})
        _check(answer, f"If-Match {if_match[:20]}")
    for auth in ["Bearer " + "x" * 5000, "Bearer rdx_' OR 1=1 --", "Basic Zm9vOmJhcg==", "Bearer"]:
        answer = await admin.get(url, headers={"Authorization": auth})
        assert answer.status_code == 401 and is_error_dto(answer.json(), 401), auth
    answer = await admin.get(url, headers={"X-Request-ID": "evil\r\nSet-Cookie: x=1" + "a" * 500})
    assert answer.status_code == 200 and "evil" not in answer.headers["X-Request-ID"]


async def test_unicode_digits_in_stored_values(admin: httpx.AsyncClient) -> None:
    """Values written natively that a dialect reads as numbers: `²` is no number (fuzz finding:
    `isdigit()` then `int()` answered 500 on every read of such a record)."""
    meta = {"recras.bedrijf_id": "²", "timewave.number": "²", "timewave.employee_id": "²"}
    body = {"name": "Digits", "metadata": meta, "references": [{"id": "²", "name": "r"}]}
    client = (await admin.post(f"{BASE_PATH}/clients", json=body)).json()
    licensing = {"activationbirthdate": "²", "activationlimit": "²", "isdemo": "²"}
    order = {"clientId": client["id"], "metadata": licensing}
    assert (await admin.post(f"{BASE_PATH}/orders", json=order)).status_code == 201
    number = client["number"]
    for url in [
        f"/v3/clients/{number}",
        "/v3/clients",
        "/v3/clients?number=²",
        f"/api2/klanten/{number}",
        "/api2/klanten",
        f"/v1.0/customers/{number}",
        f"/v1.0/customers/{number}/orders",
        f"/api/clients/{number}",
        f"{BASE_PATH}/orders?q=²",
    ]:
        answer = await admin.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
    klant = (await admin.get(f"/api2/klanten/{number}")).json()
    assert klant["bedrijf_id"] == 1
    (shown,) = (await admin.get(f"/v1.0/customers/{number}/orders")).json()["orders"]
    assert shown["activationlimit"] == 0 and shown["activationbirthdate"] == 0
    answer = await admin.post("/v3/clients", json={"title": "x", "paymentterms": "²"})
    assert answer.status_code == 422 and "paymentterms" in answer.json()["errors"]


class TestTextNoDatabaseCanStore:
    """NUL and lone surrogates are refused up front: PostgreSQL cannot store them."""

    async def test_in_body_fields_and_keys(self, admin: httpx.AsyncClient) -> None:
        url = f"{BASE_PATH}/clients"
        for body, field in [
            (b'{"name": "a\\u0000b"}', "name"),
            (b'{"name": "x", "metadata": {"k\\u0000": "v"}}', "metadata.k\x00"),
            (b'{"name": "x", "tags": ["ok", "\\udc00"]}', "tags[1]"),
        ]:
            answer = await admin.post(url, content=body, headers=JSON)
            assert answer.status_code == 400, answer.text
            assert answer.json()["details"][0]["field"] == field
        emoji = b'{"name": "Smile \\ud83d\\ude00"}'  # a proper surrogate pair is fine
        answer = await admin.post(url, content=emoji, headers=JSON)
        assert answer.status_code == 201 and answer.json()["name"] == "Smile 😀"
        escaped = b'{"name": "back\\\\u0000slash"}'  # an escaped backslash, not a NUL
        answer = await admin.post(url, content=escaped, headers=JSON)
        assert answer.status_code == 201 and answer.json()["name"] == "back\\u0000slash"

    async def test_in_query_and_path(self, admin: httpx.AsyncClient) -> None:
        answer = await admin.get(f"{BASE_PATH}/clients", params={"q": "a\x00"})
        assert answer.status_code == 400 and answer.json()["details"][0]["field"] == "query"
        answer = await admin.get(f"{BASE_PATH}/clients/external-id/a%00b")
        assert answer.status_code == 400 and answer.json()["details"][0]["field"] == "path"


class TestJsonDepth:
    async def test_deeper_than_the_limit_is_a_400_naming_it(self, admin: httpx.AsyncClient) -> None:
        deep: Any = "leaf"
        for _ in range(40):
            deep = {"a": deep}
        answer = await admin.post(f"{BASE_PATH}/clients", json={"name": "x", "customFields": deep})
        assert answer.status_code == 400
        assert "32" in answer.json()["message"] and answer.json()["details"][0]["field"] == "body"

    async def test_a_megabyte_of_brackets_is_cheap(self, admin: httpx.AsyncClient) -> None:
        for body in (b"[" * 900_000, b"[" * 450_000 + b"]" * 450_000, b"[1," * 300_000):
            answer = await admin.post(
                f"{BASE_PATH}/clients", content=body, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 400 and "nested deeper" in answer.json()["message"]

    async def test_at_the_limit_passes_the_guard(self, admin: httpx.AsyncClient) -> None:
        # The body itself is one level; custom fields add the rest: 32 levels in all.
        deep: Any = "leaf"
        for _ in range(31):
            deep = {"a": deep}
        answer = await admin.post(f"{BASE_PATH}/clients", json={"name": "x", "customFields": deep})
        assert "nested deeper" not in answer.json()["message"]

    async def test_the_limit_is_a_setting(self, settings: Any, engine: Any, tenant: Tenant) -> None:
        from rolodex.api.app import create_app

        app = create_app(settings.model_copy(update={"max_json_depth": 3}), engine=engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            body = orjson.dumps({"name": "x", "metadata": {"a": "b"}, "tags": ["t"]})
            ok = await client.post(
                f"{BASE_PATH}/clients",
                content=body,
                headers={**tenant.headers("write"), "Content-Type": "application/json"},
            )
            assert ok.status_code == 201, ok.text
            answer = await client.post(
                f"{BASE_PATH}/clients",
                json={"name": "x", "customFields": {"a": {"b": {"c": 1}}}},
                headers=tenant.headers("write"),
            )
            assert answer.status_code == 400 and "3 levels" in answer.json()["message"]
