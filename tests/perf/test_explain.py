"""Every list query the API sends for clients is served by an index (PostgreSQL, 240,000 rows).

A database of its own gets 200,000 clients in one organization and 40,000 in another (INSERT
... SELECT generate_series, indexes built after the load, then VACUUM ANALYZE, as a restored
or long-lived database has them). Each list request is sent through the app; every statement it
runs is captured and EXPLAINed with its own parameters, both as PostgreSQL plans it for those
values and as the generic plan a long-used prepared statement may switch to. A sequential scan
of `clients` fails the test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from tests.conftest import ClusterTurns, create_pg_database, drop_pg_database

from rolodex.api.app import BASE_PATH, create_app
from rolodex.core import migrate
from rolodex.core.clients import repository as clients_repository
from rolodex.core.clients.documents import DOCUMENTS
from rolodex.core.db import create_engine, dispose, read_pool, session_factory, session_scope
from rolodex.core.keys import service as keys_service
from rolodex.core.orgs import service as orgs_service
from rolodex.settings import Settings

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

MAIN_ROWS = 200_000
OTHER_ROWS = 40_000
CONTACTS = 60_000  # linked to the main organization's first clients, for `q`

WORDS = [
    "nordic", "builders", "alpha", "granite", "harbor", "meadow", "summit", "vector", "copper",
    "linden", "falcon", "birch", "orchid", "atlas", "cobalt", "delta", "ember", "fjord", "glacier",
    "heron", "iris", "juniper", "kestrel", "lagoon", "maple", "nectar", "onyx", "pioneer", "quartz",
    "raven", "sable", "tundra", "umber", "valley", "willow", "yarrow", "zephyr", "anchor", "beacon",
    "cedar", "dune", "elm", "forge", "grove", "haven", "isle", "jade", "knoll", "lumen", "mosaic",
]  # fmt: skip
CITIES = [
    "Stockholm", "Uppsala", "Malmo", "Lund", "Bergen", "Oslo", "Utrecht", "Leiden", "Hamburg",
    "Bremen", "Leeds", "York", "Aarhus", "Odense", "Turku", "Tampere", "Gent", "Brugge", "Graz",
    "Linz",
]  # fmt: skip

CLIENT_ROWS = """
INSERT INTO clients (
    id, organization_id, number, name, kind, first_name, last_name, email, phone, city,
    postal_code, country, status, credit_limit, payment_terms, tags, metadata, external_ids,
    custom_fields, "references", archived, archived_at, deleted_at, external_id, search_text,
    version, created_at, updated_at)
SELECT
    gen_random_uuid(), $1::uuid, n, v.name,
    CASE WHEN n % 5 = 0 THEN 'PERSON' ELSE 'COMPANY' END,
    CASE WHEN n % 5 = 0 THEN initcap(v.w1) END, CASE WHEN n % 5 = 0 THEN initcap(v.w2) END,
    v.email, '+46 8 ' || lpad((n::bigint * 7919 % 1000000)::text, 6, '0'), v.city,
    lpad((n::bigint * 104729 % 90000 + 10000)::text, 5, '0'),
    (ARRAY['SE', 'NO', 'NL', 'DE', 'GB'])[1 + n % 5],
    CASE WHEN n % 20 = 0 THEN 'CLOSED' WHEN n % 10 = 1 THEN 'INACTIVE'
         WHEN n % 7 = 2 THEN 'PROSPECT' ELSE 'ACTIVE' END,
    CASE WHEN n % 4 = 0 THEN NULL ELSE (n * 37 % 200000)::numeric(14, 2) END,
    CASE WHEN n % 3 = 0 THEN NULL ELSE (ARRAY[10, 14, 30, 45, 60])[1 + n % 5] END,
    CASE WHEN n % 50 = 0 THEN '["vip"]'::jsonb WHEN n % 9 = 0 THEN '["b2b", "north"]'::jsonb
         ELSE '[]'::jsonb END,
    '{}'::jsonb, '[]'::jsonb, '{}'::jsonb, '[]'::jsonb,
    n % 40 = 0, CASE WHEN n % 40 = 0 THEN v.created END,
    CASE WHEN n % 60 = 0 THEN v.created + interval '30 days' END,
    CASE WHEN n % 2 = 0 THEN 'ERP-' || n END,
    lower(v.name || ' ' || v.email || ' ' || v.city || ' ' || n),
    1, v.created, v.created + (n % 400) * interval '1 day'
FROM generate_series(1, $2::int) AS n
CROSS JOIN LATERAL (
    SELECT
        w1, w2,
        initcap(w1) || ' ' || initcap(w2) || ' '
            || (ARRAY['AB', 'AS', 'BV', 'GmbH', 'Ltd'])[1 + n % 5] AS name,
        w1 || '.' || w2 || '.' || n || '@example.com' AS email,
        ($3::text[])[1 + (n * 31) % array_length($3::text[], 1)] AS city,
        timestamptz '2021-01-01' + (n::float / $2 * 1800) * interval '1 day' AS created
    FROM (
        SELECT ($4::text[])[1 + (n * 7) % 50] AS w1,
            ($4::text[])[1 + (n * 13 + n / 50) % 50] AS w2
    ) AS w
) AS v
"""

CONTACT_ROWS = """
INSERT INTO contact_persons (
    id, organization_id, number, name, first_name, last_name, email, tags, metadata,
    external_ids, search_text, version, created_at, updated_at)
SELECT gen_random_uuid(), $1::uuid, n, initcap(w1) || ' ' || initcap(w2), initcap(w1),
    initcap(w2), w1 || '.' || n || '@contact.example', '[]'::jsonb, '{}'::jsonb, '[]'::jsonb,
    lower(w1 || ' ' || w2 || ' ' || w1 || '.' || n || '@contact.example'), 1, now(), now()
FROM generate_series(1, $2::int) AS n,
    LATERAL (SELECT ($3::text[])[1 + (n * 11) % 50] AS w1, ($3::text[])[1 + (n * 17) % 50] AS w2) w
"""

LINK_ROWS = """
INSERT INTO client_contact_persons (organization_id, client_id, contact_person_id, is_main,
    created_at)
SELECT $1::uuid, c.id, p.id, true, now()
FROM contact_persons p JOIN clients c ON c.organization_id = $1 AND c.number = p.number
WHERE p.organization_id = $1
"""


@dataclass
class Loaded:
    url: str
    key: str
    fragment: str  # a `q` that matches a few hundred clients
    email: str


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _load(url: str) -> Loaded:
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    try:
        async with session_scope(session_factory(engine)) as session:
            main = await orgs_service.create(session, name="Big")
            other = await orgs_service.create(session, name="Other")
            key = await keys_service.create(session, organization_id=main.id, scope="read")
    finally:
        await dispose(engine)
    conn = await asyncpg.connect(_plain(url))
    try:
        indexes = await conn.fetch(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c "
            "ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE i.tablename IN ('clients', 'contact_persons', 'client_contact_persons') "
            "AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)"
        )
        for row in indexes:
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        await conn.execute("SET synchronous_commit = off")
        for org, rows in ((main.id, MAIN_ROWS), (other.id, OTHER_ROWS)):
            await conn.execute(CLIENT_ROWS, org, rows, CITIES, WORDS)
        await conn.execute(CONTACT_ROWS, main.id, CONTACTS, WORDS)
        await conn.execute("ANALYZE clients, contact_persons")  # else the join below loops
        await conn.execute(LINK_ROWS, main.id)
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for row in indexes:
            await conn.execute(row["indexdef"])
        await conn.execute("VACUUM ANALYZE clients, contact_persons, client_contact_persons")
        email = await conn.fetchval(
            "SELECT email FROM clients WHERE organization_id = $1 AND number = 4242", main.id
        )
    finally:
        await conn.close()
    return Loaded(url, key.secret, "glac", email)


@pytest.fixture(scope="module")
async def loaded(cluster_turns: ClusterTurns) -> AsyncIterator[Loaded]:
    async with cluster_turns.turn():  # writes for a while: not beside a quiet_cluster test
        url = await create_pg_database("rolodex_explain")
    try:
        async with cluster_turns.turn():
            await asyncio.to_thread(migrate.upgrade, url)
            data = await _load(url)
        yield data
    finally:
        async with cluster_turns.turn():
            await drop_pg_database(url)


def list_requests(data: Loaded) -> list[list[tuple[str, str]]]:
    """The list requests to check: every sortable field both ways, the common filters, `q`."""
    sortable = [f.name for f in clients_repository.LIST_SPEC.fields.values() if f.sort]
    requests: list[list[tuple[str, str]]] = [[]]
    requests += [[("sort", f"{sign}{name}")] for name in sortable for sign in ("", "-")]
    filters = [
        [("status", "ACTIVE,PROSPECT,INACTIVE"), ("sort", "name"), ("limit", "50")],
        [("status", "CLOSED")],
        [("status", "PROSPECT"), ("sort", "-updatedAt")],
        [("kind", "PERSON"), ("sort", "name")],
        [("archived", "false")],
        [("archived", "true")],
        [("tags", "vip")],
        [("city", "Uppsala")],
        [("city", "Uppsala"), ("sort", "name")],
        [("country", "SE")],
        [("email", data.email)],
        [("externalId", "ERP-4242")],
        [("clientTypeId", "0192f0c4-58f4-7000-8000-000000000000")],
        [("createdAt[gte]", "2025-06-01")],
        [("createdAt[between]", "2023-01-01,2023-01-31")],
        [("updatedSince", "2025-11-01T00:00:00Z")],
        [("creditLimit[gte]", "150000")],
        [("number[between]", "1000,2000")],
        [("paymentTerms[lte]", "14"), ("sort", "paymentTerms")],
        [("includeDeleted", "true")],
        [("includeDeleted", "true"), ("sort", "name")],
        [("q", data.fragment)],
        [("q", data.fragment), ("sort", "name")],
        [("q", "4242")],
        [("include", "contactPersons,addresses"), ("limit", "50")],
    ]
    return requests + filters


CURSOR_WALKS = [
    [("status", "ACTIVE,PROSPECT,INACTIVE"), ("sort", "name"), ("limit", "50")],
    [("sort", "-createdAt")],
    [("sort", "creditLimit")],
    [("sort", "-email")],
    [("q", "glac")],
]


async def _capture(data: Loaded, requests: list[list[tuple[str, str]]]) -> list[Any]:
    """(request, statement, parameters) of every statement the list requests run."""
    settings = Settings(database_url=data.url, rate_limit_enabled=False, run_worker=False)
    app = create_app(settings)
    captured: list[tuple[str, str, Any]] = []
    current = [""]

    @event.listens_for(app.state.engine.sync_engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        captured.append((current[0], statement, params))

    def record_read(statement: str, args: tuple[Any, ...]) -> None:  # the documents
        captured.append((current[0], statement, args))

    pool = read_pool(app.state.engine)
    assert pool is not None
    pool.listeners.append(record_read)
    DOCUMENTS.clear()  # every page reads its documents

    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {data.key}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://test{BASE_PATH}", headers=headers
        ) as client:
            for params in requests:
                current[0] = urlencode(params)
                answer = await client.get("/clients", params=params)
                assert answer.status_code == 200, (params, answer.text)
            for params in CURSOR_WALKS:
                current[0] = urlencode(params)
                first = await client.get("/clients", params=params)
                cursor = first.json()["meta"]["nextCursor"]
                assert cursor, params
                current[0] = urlencode([*params, ("cursor", "<page 2>")])
                answer = await client.get("/clients", params=[*params, ("cursor", cursor)])
                assert answer.status_code == 200, (params, answer.text)
    finally:
        await dispose(app.state.engine)
    return captured


def _scans_of_clients(plan: Any) -> list[dict[str, Any]]:
    """The plan's nodes that read `clients` (a scan of the table or of one of its indexes)."""
    found = [plan] if plan.get("Relation Name") == "clients" else []
    for child in plan.get("Plans", []):
        found += _scans_of_clients(child)
    return found


def _seq_scans(plan: Any) -> list[str]:
    return [n.get("Filter", "") for n in _scans_of_clients(plan) if n["Node Type"] == "Seq Scan"]


async def test_every_list_query_uses_an_index(loaded: Loaded) -> None:
    captured = await _capture(loaded, list_requests(loaded))
    expected = len(list_requests(loaded)) + len(CURSOR_WALKS)
    assert len({request for request, _, _ in captured}) >= expected
    conn = await asyncpg.connect(_plain(loaded.url))
    failures = []
    try:
        await conn.execute("SET jit = off")
        for mode in ("auto", "force_generic_plan"):
            await conn.execute(f"SET plan_cache_mode = {mode}")
            for request, statement, params in captured:
                if not statement.startswith("SELECT") or "set_config" in statement:
                    continue  # a search's settings and estimate
                plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *params)
                scans = _seq_scans(json.loads(plan)[0]["Plan"])
                if scans:
                    what = "count" if statement.startswith("SELECT count(*)") else "page"
                    failures.append(f"{mode} {what}: /clients?{request} ({scans[0][:120]})")
    finally:
        await conn.close()
    assert not failures, "sequential scans of clients:\n" + "\n".join(failures)


async def test_the_usual_sorts_pages_read_no_table_row(loaded: Loaded) -> None:
    """The indexes of the sorts by name, createdAt and updatedAt carry the rows' versions,
    status and deleted_at (migration 0016): a page of those lists, the first or one deep in a
    cursor walk, filtered by status or not, is read from the index alone (the table VACUUMed,
    as the fixture leaves it)."""
    firsts = [
        [("status", "ACTIVE,PROSPECT,INACTIVE"), ("sort", "name"), ("limit", "50")],
        [("sort", "-createdAt")],
        [("status", "PROSPECT"), ("sort", "-updatedAt")],
        [("sort", "updatedAt")],
    ]
    walked = [CURSOR_WALKS[0], CURSOR_WALKS[1]]
    expected = {urlencode(p) for p in firsts} | {
        urlencode([*p, ("cursor", "<page 2>")]) for p in walked
    }
    captured = await _capture(loaded, firsts)
    pages = [
        (request, statement, params)
        for request, statement, params in captured
        if request in expected and statement.startswith("SELECT clients.id, clients.row_version")
    ]
    assert {request for request, _, _ in pages} == expected
    conn = await asyncpg.connect(_plain(loaded.url))
    try:
        for request, statement, params in pages:
            plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", *params)
            (scan,) = _scans_of_clients(json.loads(plan)[0]["Plan"])
            assert scan["Node Type"] == "Index Only Scan", (request, scan["Node Type"])
            assert scan["Heap Fetches"] == 0, request
    finally:
        await conn.close()
