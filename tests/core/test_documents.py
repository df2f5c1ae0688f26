"""PostgreSQL writes a client's JSON (core/clients/documents.py) exactly as `to_read` makes it.

The read routes answer the database's documents on PostgreSQL; every other answer (writes,
SQLite) comes from the Python renderings. Hypothesis draws clients with every kind of value and
the two renderings of each must be the same JSON, key for key and in the same order.
"""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import UUID, uuid4

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant

from rolodex.core.clients import documents
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.documents import DOCUMENTS, DocumentCache
from rolodex.core.db import session_factory
from rolodex.core.principal import Principal, Scope
from rolodex.core.schemas import json_value

# Text as integrations send it: quotes, backslashes, control characters, accents, emoji.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
).map(str.strip)
NAME = TEXT.filter(bool).map(lambda t: t[:60])
MONEY = st.one_of(
    st.none(),
    st.decimals(0, 10**9, places=2, allow_nan=False, allow_infinity=False).map(float),
)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(-1e9, 1e9), TEXT
)


@st.composite
def client_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": draw(NAME),
        "kind": draw(st.sampled_from(["COMPANY", "PERSON"])),
        "firstName": draw(st.one_of(st.none(), TEXT)),
        "lastName": draw(st.one_of(st.none(), TEXT)),
        "longName": draw(st.one_of(st.none(), TEXT)),
        "additionalInformation": draw(st.one_of(st.none(), TEXT)),
        "creditLimit": draw(MONEY),
        "usedLimit": draw(MONEY),
        "paymentTerms": draw(st.one_of(st.none(), st.integers(0, 3650))),
        "frameContract": draw(st.one_of(st.none(), st.booleans())),
        "status": draw(st.sampled_from(["PROSPECT", "ACTIVE", "INACTIVE", "CLOSED"])),
        "archived": draw(st.booleans()),
        "tags": draw(st.lists(NAME, max_size=3, unique=True)),
        "metadata": draw(st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), SCALAR)),
        "references": draw(
            st.lists(st.fixed_dictionaries({"name": NAME, "description": TEXT}), max_size=2)
        ),
    }
    if draw(st.booleans()):
        body["point"] = {
            "lng": draw(st.floats(-180, 180, allow_nan=False)),
            "lat": draw(st.floats(-90, 90, allow_nan=False)),
        }
    body["contactPersons"] = [
        {"firstName": draw(NAME), "lastName": draw(TEXT), "isMain": index == 0}
        for index in range(draw(st.integers(0, 2)))
    ]
    body["addresses"] = [
        {"label": draw(TEXT), "city": draw(TEXT), "isInvoice": draw(st.booleans())}
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {k: v for k, v in body.items() if v is not None}


async def _as_python_renders_it(engine: AsyncEngine, tenant: Tenant, client_id: str) -> Any:
    principal = Principal(UUID(tenant.id), tenant.number, Scope.READ)
    async with session_factory(engine)() as session:
        view = await clients_service.get_view(
            session, principal, UUID(client_id), include_deleted=True
        )
    text = orjson.dumps(view, default=json_value, option=orjson.OPT_PASSTHROUGH_DATETIME)
    return json.loads(text)


def _same(document: Any, rendered: Any) -> None:
    assert document == rendered
    assert list(document) == list(rendered), "the keys in the same order"


@pytest.mark.postgres_only
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=client_bodies())
async def test_a_document_is_what_to_read_makes(
    api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, body: dict[str, Any]
) -> None:
    created = await api.post("/clients", json=body)
    assert created.status_code == 201, (body, created.text)
    client_id = created.json()["id"]
    rendered = await _as_python_renders_it(engine, tenant, client_id)
    _same(created.json(), rendered)
    _same((await api.get(f"/clients/{client_id}")).json(), rendered)
    listed = await api.get(
        "/clients", params={"include": "contactPersons,addresses", "number": rendered["number"]}
    )
    _same(listed.json()["data"][0], rendered)
    plain = await api.get("/clients", params={"number": rendered["number"]})
    _same(plain.json()["data"][0], {**rendered, "contactPersons": None, "addresses": None})


@pytest.mark.postgres_only
async def test_the_row_types_are_the_documents_keys(engine: AsyncEngine) -> None:
    """Migration 0014's row types name each document's keys, in order: a key added to
    documents.py without its attribute (or the other way round) fails here, not in a GET."""
    assert set(documents.TYPES) == {
        "client_document",
        "contact_person_document",
        "address_document",
    }
    async with engine.connect() as conn:
        for row_type, keys in documents.TYPES.items():
            found = await conn.execute(
                text(
                    "SELECT a.attname FROM pg_attribute AS a JOIN pg_type AS t "
                    "ON t.typrelid = a.attrelid WHERE t.typname = :name AND a.attnum > 0 "
                    "AND NOT a.attisdropped ORDER BY a.attnum"
                ),
                {"name": row_type},
            )
            assert tuple(found.scalars()) == keys, row_type


@pytest.mark.postgres_only
async def test_contacts_show_their_live_clients(
    api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    """A contact linked to three clients, one of them deleted, names the live two, oldest link
    first, in either client's document."""
    first = await api.post("/clients", json={"name": "First", "contactPersons": [{"name": "C"}]})
    contact_id = first.json()["contactPersons"][0]["id"]
    ids = [first.json()["id"]]
    for name in ("Second", "Third"):
        other = await api.post("/clients", json={"name": name})
        ids.append(other.json()["id"])
        linked = await api.put(
            f"/clients/{ids[-1]}/contact-persons/{contact_id}/link", json={"isMain": False}
        )
        assert linked.status_code in (200, 201), linked.text
    assert (await api.delete(f"/clients/{ids[1]}")).status_code == 200
    for client_id in (ids[0], ids[2]):
        shown = (await api.get(f"/clients/{client_id}")).json()
        assert shown["contactPersons"][0]["clientIds"] == [ids[0], ids[2]]
        _same(shown, await _as_python_renders_it(engine, tenant, client_id))


@pytest.mark.postgres_only
async def test_a_changed_client_is_never_answered_from_memory(api: httpx.AsyncClient) -> None:
    """The document cache is keyed by the row's version: every change is read afresh."""
    created = await api.post("/clients", json={"name": "Before", "status": "ACTIVE"})
    client_id = created.json()["id"]

    async def listed() -> list[dict[str, Any]]:
        answer = await api.get("/clients", params={"status": "ACTIVE"})
        assert answer.status_code == 200
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    assert [c["name"] for c in await listed()] == ["Before"]
    await api.patch(f"/clients/{client_id}", json={"name": "After"})
    assert [c["name"] for c in await listed()] == ["After"]
    linked = await api.post(f"/clients/{client_id}/contact-persons", json={"name": "New"})
    assert linked.status_code == 201, linked.text
    (shown,) = await listed()
    assert shown["name"] == "After" and shown["version"] == 2
    await api.delete(f"/clients/{client_id}")
    assert await listed() == []
    await api.post(f"/clients/{client_id}/restore")
    (restored,) = await listed()
    assert restored["deletedAt"] is None and restored["name"] == "After"


@pytest.mark.postgres_only
async def test_a_change_in_plain_sql_is_never_answered_from_memory(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Whatever writes the row, it gets a new row_version (migration 0016's trigger), the key
    of the document cache: an UPDATE that names no version is read afresh too."""
    created = await api.post("/clients", json={"name": "Plain", "status": "ACTIVE"})
    client_id = UUID(created.json()["id"])

    async def names() -> list[str]:
        answer = await api.get("/clients", params={"status": "ACTIVE", "sort": "name"})
        return [c["name"] for c in answer.json()["data"]]

    async def row_version() -> int:
        async with engine.connect() as conn:
            found = await conn.scalar(
                text("SELECT row_version FROM clients WHERE id = :id"), {"id": client_id}
            )
        assert isinstance(found, int)
        return found

    assert await names() == ["Plain"]
    created_as = await row_version()
    assert created_as > 0, "a new row takes its transaction's id"
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE clients SET name = 'Changed' WHERE id = :id"), {"id": client_id}
        )
    assert await row_version() > created_as
    assert await names() == ["Changed"]


# ---------------------------------------------------------------- the cache itself


def test_the_cache_is_bounded_and_keeps_the_recently_used() -> None:
    cache = DocumentCache(max_bytes=8)
    a, b, c = uuid4(), uuid4(), uuid4()
    cache.put(a, 1, b"aaaa")
    cache.put(b, 1, b"bbbb")
    assert cache.get(a, 1) == b"aaaa"  # a is now the most recent
    cache.put(c, 1, b"cccc")
    assert cache.get(b, 1) is None and cache.get(a, 1) == b"aaaa" and cache.get(c, 1) == b"cccc"
    assert cache.get(a, 2) is None, "another version of the row is another entry"
    cache.put(a, 1, b"aaaa")  # again: counted once
    assert cache._bytes == 8
    cache.put(uuid4(), 1, b"x" * 9)  # larger than the whole cache: not kept, nothing dropped
    assert cache._bytes == 8 and len(cache._entries) == 2


def test_entries_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = DocumentCache(seconds=10)
    client_id = uuid4()
    cache.put(client_id, 7, b"{}")
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 11)
    assert cache.get(client_id, 7) is None


def test_size_zero_keeps_nothing() -> None:
    cache = DocumentCache(max_bytes=0)
    cache.put(uuid4(), 1, b"{}")
    assert not cache._entries and cache._bytes == 0


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    DOCUMENTS.clear()
    yield
    DOCUMENTS.clear()
