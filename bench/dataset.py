"""The benchmark dataset: 10 organizations, a skewed size mix, up to SIZE clients in the largest.

Realistic values come from pools that Faker fills once (Faker itself is far too slow for a
million rows), combined at random. Rows go in with COPY (asyncpg `copy_records_to_table`) while
the table's secondary indexes are dropped, and the indexes are rebuilt afterwards: a million
clients load in well under a minute.

One function per table (`load_clients`, `load_contact_persons`, `load_addresses`,
`load_orders`). Each of the last three first checks that its table exists (SQLAlchemy
inspection), and fills only the columns the table really has, so that when the contact
persons, addresses and orders models land the dataset grows with them with little or no
change: adjust the `*_values` functions if a column name differs.

`ensure_dataset` keeps a loaded dataset across runs: a `bench_dataset` marker table records the
size, the generator version and the tables loaded; a mismatch recreates the database.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from rolodex.core.clients import service as clients_service

GENERATOR_VERSION = 2  # 2: contact persons and addresses carry their search_text
# The largest organization has SIZE clients, the others a falling share of it.
ORG_SHARES = (1.0, 0.2, 0.08, 0.04, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005)
LOCALES = {"SE": "sv_SE", "DE": "de_DE", "NL": "nl_NL", "GB": "en_GB", "NO": "no_NO"}
CHUNK = 20_000
CONTACTS_PER_CLIENT = 2  # on average: 0..4
ADDRESSES_PER_CLIENT = 1  # on average: 0..2
ORDERS_PER_CLIENT = 3  # on average: 0..6
EPOCH = datetime(2021, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=5 * 365)

Log = Callable[[str], None]


# ---------------------------------------------------------------- pools


@dataclass
class Pools:
    """Values Faker makes once, per country; rows combine them at random."""

    first_names: dict[str, list[str]] = field(default_factory=dict)
    last_names: dict[str, list[str]] = field(default_factory=dict)
    companies: dict[str, list[str]] = field(default_factory=dict)
    places: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # (city, postcode)
    streets: dict[str, list[str]] = field(default_factory=dict)
    jobs: list[str] = field(default_factory=list)


def make_pools(seed: int = 1, per_locale: int = 300) -> Pools:
    """Names, companies, cities and streets for each country (about a second)."""
    from faker import Faker

    pools = Pools()
    for index, (country, locale) in enumerate(LOCALES.items()):
        fake = Faker(locale)
        fake.seed_instance(seed * 100 + index)
        pools.first_names[country] = sorted({fake.first_name() for _ in range(per_locale)})
        pools.last_names[country] = sorted({fake.last_name() for _ in range(per_locale)})
        pools.companies[country] = sorted({fake.company() for _ in range(per_locale)})
        cities = sorted({fake.city() for _ in range(per_locale)})
        pools.places[country] = [(city, fake.postcode()) for city in cities]
        pools.streets[country] = sorted({fake.street_name() for _ in range(per_locale)})
        if not pools.jobs:
            pools.jobs = sorted({fake.job()[:100] for _ in range(200)})
    return pools


def org_sizes(size: int) -> list[int]:
    """The clients of each of the 10 organizations, largest first."""
    return [max(1, round(size * share)) for share in ORG_SHARES]


def uuid7_at(moment: datetime, rng: random.Random) -> UUID:
    """A UUIDv7 whose time part is `moment` (so ids sort as created_at does, as in production)."""
    ms = int(moment.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62)
    return UUID(int=value | rng.getrandbits(62))


# ---------------------------------------------------------------- clients

CLIENT_COLUMNS = (
    "id",
    "organization_id",
    "number",
    "name",
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "external_id",
    "credit_limit",
    "payment_terms",
    "payment_type",
    "billing_email",
    "phone",
    "mobile",
    "email",
    "street",
    "street_and_number",
    "postal_code",
    "city",
    "country",
    "partner_type",
    "creditworthiness",
    "status",
    "tags",
    "metadata",
    "external_ids",
    "custom_fields",
    "references",
    "archived",
    "search_text",
    "version",
    "created_at",
    "updated_at",
)
STATUSES = ["ACTIVE"] * 15 + ["PROSPECT"] * 3 + ["INACTIVE"] * 2 + ["CLOSED"]
TAG_SETS = ["[]"] * 6 + ['["vip"]', '["key-account"]', '["north"]', '["vip", "south"]']
CREDIT = [None, 0.0, 5000.0, 10000.0, 25000.0, 50000.0, 100000.0]
PAYMENT_TERMS = (10, 14, 30, 45, 60)
PARTNERS = ("CONSTRUCTION", "INDUSTRY", "OTHER")
WORTHINESS = (None, "GOOD", "GOOD", "MIDDLE", "BAD")


class _Searchable:
    """What clients_service.search_text reads, without an ORM instance per row."""

    __slots__ = clients_service.SEARCHED + ("number",)

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))


assert set(clients_service.SEARCHED) <= {
    "name",
    "long_name",
    "company_name",
    "first_name",
    "last_name",
    "email",
    "external_id",
    "city",
    "phone",
    "mobile",
}, "a searched field the generator does not fill: add it to client_rows"


@lru_cache(maxsize=200_000)
def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in plain if ch.isalnum())[:24] or "client"


def client_rows(
    org_id: UUID, count: int, pools: Pools, rng: random.Random, start: int = 1
) -> Iterator[tuple[Any, ...]]:
    """`count` clients of one organization, numbered from `start`, oldest first."""
    countries = list(LOCALES)
    rand, bits = rng.random, rng.getrandbits
    step_ms = SPAN.total_seconds() * 1000 / max(count, 1)
    epoch_ms = EPOCH.timestamp() * 1000
    search_text = clients_service.search_text
    for offset in range(count):
        number = start + offset
        ms = int(epoch_ms + step_ms * offset + rand() * 1000)
        created = datetime.fromtimestamp(ms / 1000, UTC)
        country = countries[int(rand() * 5)]
        firsts, lasts = pools.first_names[country], pools.last_names[country]
        first, last = firsts[int(rand() * len(firsts))], lasts[int(rand() * len(lasts))]
        person = rand() < 0.3
        if person:
            name = f"{first} {last}"
        else:
            companies = pools.companies[country]
            name = companies[int(rand() * len(companies))]
        places, streets = pools.places[country], pools.streets[country]
        city, postcode = places[int(rand() * len(places))]
        street = streets[int(rand() * len(streets))]
        by_email = rand() < 0.5
        email = f"{_slug(name)}.{number}@example.com"
        external_id = f"ERP-{number}" if rand() < 0.5 else None
        phone = f"+{30 + int(rand() * 20)} {10 + int(rand() * 90)} {100000 + bits(19)}"
        mobile = None if rand() < 0.6 else f"+46 70 {1000000 + bits(23)}"
        first_name, last_name = (first, last) if person else (None, None)
        company = None if person else name
        searchable = _Searchable(
            name=name,
            first_name=first_name,
            last_name=last_name,
            company_name=company,
            email=email,
            external_id=external_id,
            city=city,
            phone=phone,
            mobile=mobile,
            number=number,
        )
        credit = CREDIT[int(rand() * len(CREDIT))]
        yield (
            UUID(int=(ms << 80) | (0x7 << 76) | (bits(12) << 64) | (0b10 << 62) | bits(62)),
            org_id,
            number,
            name,
            "PERSON" if person else "COMPANY",
            first_name,
            last_name,
            company,
            external_id,
            credit,
            PAYMENT_TERMS[int(rand() * 5)],
            "EMAIL" if by_email else "PRINT",
            f"invoices.{number}@example.com" if by_email else None,
            phone,
            mobile,
            email,
            street,
            f"{street} {1 + int(rand() * 180)}",
            postcode,
            city,
            country,
            "PRIVATE" if person else PARTNERS[int(rand() * 3)],
            WORTHINESS[int(rand() * 5)],
            STATUSES[int(rand() * len(STATUSES))],
            TAG_SETS[int(rand() * len(TAG_SETS))],
            "{}",
            "[]",
            "{}",
            "[]",
            False,
            search_text(searchable),  # type: ignore[arg-type]
            1,
            created,
            created,
        )


async def load_clients(
    conn: asyncpg.Connection, org_id: UUID, count: int, pools: Pools, *, seed: int = 1
) -> None:
    """COPY `count` clients into one organization and set its client counter."""
    rng = random.Random(seed)
    rows = client_rows(org_id, count, pools, rng)
    while chunk := _take(rows, CHUNK):
        await conn.copy_records_to_table("clients", records=chunk, columns=CLIENT_COLUMNS)
    await _set_counter(conn, org_id, "client", count)


def _take(rows: Iterator[tuple[Any, ...]], n: int) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        out.append(row)
        if len(out) == n:
            break
    return out


async def _set_counter(conn: asyncpg.Connection, org_id: UUID, kind: str, value: int) -> None:
    await conn.execute(
        "INSERT INTO counters (organization_id, kind, value) VALUES ($1, $2, $3) "
        "ON CONFLICT (organization_id, kind) DO UPDATE SET value = EXCLUDED.value",
        org_id,
        kind,
        value,
    )


# ---------------------------------------------- contact persons, addresses, orders (guarded)


@dataclass
class TableInfo:
    columns: dict[str, bool]  # name -> required (NOT NULL without a server default)


async def table_info(dsn: str, name: str) -> TableInfo | None:
    """The table's columns by SQLAlchemy inspection, or None when the table does not exist."""
    engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.connect() as conn:

            def read(sync_conn: Any) -> TableInfo | None:
                inspector = inspect(sync_conn)
                if not inspector.has_table(name):
                    return None
                return TableInfo(
                    {
                        c["name"]: not c["nullable"] and c.get("default") is None
                        for c in inspector.get_columns(name)
                    }
                )

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def find_link_table(dsn: str) -> tuple[str, TableInfo] | None:
    """The client <-> contact person link table: it has client_id, contact_person_id, is_main."""
    engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    for name in names:
        info = await table_info(dsn, name)
        if info and {"client_id", "contact_person_id", "is_main"} <= set(info.columns):
            return name, info
    return None


def _fit(info: TableInfo, sample: dict[str, Any], table: str, log: Log) -> list[str] | None:
    """The columns of `sample` the table has; None (and a note) if a required one is missing."""
    missing = [c for c, required in info.columns.items() if required and c not in sample]
    if missing:
        log(f"  {table}: skipped, no generator for required columns {missing} (bench/dataset.py)")
        return None
    return [c for c in sample if c in info.columns]


async def _copy_dicts(
    conn: asyncpg.Connection,
    table: str,
    info: TableInfo,
    rows: Iterator[dict[str, Any]],
    log: Log,
) -> int:
    first = next(rows, None)
    if first is None:
        return 0
    columns = _fit(info, first, table, log)
    if columns is None:
        return 0
    total = 0
    pending = [first]
    while True:
        pending.extend(_take_dicts(rows, CHUNK - len(pending)))
        if not pending:
            return total
        records = [tuple(row[c] for c in columns) for row in pending]
        await conn.copy_records_to_table(table, records=records, columns=columns)
        total += len(records)
        pending = []


def _take_dicts(rows: Iterator[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        out.append(row)
        if len(out) >= n:
            break
    return out


async def _client_ids(conn: asyncpg.Connection, org_id: UUID) -> list[tuple[UUID, datetime]]:
    rows = await conn.fetch(
        "SELECT id, created_at FROM clients WHERE organization_id = $1 ORDER BY number", org_id
    )
    return [(r["id"], r["created_at"]) for r in rows]


def contact_person_values(
    org_id: UUID, clients: Sequence[tuple[UUID, datetime]], pools: Pools, rng: random.Random
) -> Iterator[tuple[dict[str, Any], UUID, bool]]:
    """Contact persons (0..4 per client, 2 on average) with the client each links to."""
    countries = list(LOCALES)
    number = 0
    for client_id, created in clients:
        for index in range(rng.randint(0, 2 * CONTACTS_PER_CLIENT)):
            number += 1
            country = countries[rng.randrange(len(countries))]
            first = rng.choice(pools.first_names[country])
            last = rng.choice(pools.last_names[country])
            email = f"{_slug(first)}.{_slug(last)}.{number}@example.com"
            phone = f"+46 8 {rng.randint(100000, 999999)}"
            row = {
                "id": uuid7_at(created, rng),
                "organization_id": org_id,
                "number": number,
                "name": f"{first} {last}",
                "first_name": first,
                "last_name": last,
                "job_title": rng.choice(pools.jobs),
                "email": email,
                "phone": phone,
                "gender": rng.choice(("MALE", "FEMALE", "UNKNOWN")),
                "tags": "[]",
                "metadata": "{}",
                "external_ids": "[]",
                # As contacts_service.search_text makes it (names, email, phone, number).
                "search_text": f"{first} {last} {first} {last} {email} {phone} {number}".lower(),
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }
            yield row, client_id, index == 0


async def load_contact_persons(
    conn: asyncpg.Connection, dsn: str, org_id: UUID, pools: Pools, log: Log, *, seed: int = 1
) -> int:
    """Contact persons and their links to clients (the first linked one is main)."""
    info = await table_info(dsn, "contact_persons")
    link = await find_link_table(dsn)
    if info is None or link is None:
        return 0  # TODO(contacts): the tables are not in this branch yet
    link_name, link_info = link
    rng = random.Random(seed + 1)
    links: list[dict[str, Any]] = []

    def persons() -> Iterator[dict[str, Any]]:
        for row, client_id, main in contact_person_values(org_id, clients, pools, rng):
            links.append(
                {
                    "organization_id": org_id,
                    "client_id": client_id,
                    "contact_person_id": row["id"],
                    "is_main": main,
                    "created_at": row["created_at"],
                }
            )
            yield row

    clients = await _client_ids(conn, org_id)
    count = await _copy_dicts(conn, "contact_persons", info, persons(), log)
    if count:
        await _copy_dicts(conn, link_name, link_info, iter(links), log)
        await _set_counter(conn, org_id, "contact_person", count)
    return count


def address_values(
    org_id: UUID, clients: Sequence[tuple[UUID, datetime]], pools: Pools, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Addresses, 0..2 per client (1 on average)."""
    countries = list(LOCALES)
    number = 0
    for client_id, created in clients:
        for _ in range(rng.randint(0, 2 * ADDRESSES_PER_CLIENT)):
            number += 1
            country = countries[rng.randrange(len(countries))]
            city, postcode = rng.choice(pools.places[country])
            street = rng.choice(pools.streets[country])
            label = rng.choice(("Delivery", "Invoice", "Site", "Warehouse"))
            street_and_number = f"{street} {rng.randint(1, 180)}"
            yield {
                "id": uuid7_at(created, rng),
                "organization_id": org_id,
                "client_id": client_id,
                "number": number,
                "label": label,
                "street": street,
                "street_and_number": street_and_number,
                "postal_code": postcode,
                "city": city,
                "country": country,
                "is_delivery": rng.random() < 0.5,
                "is_invoice": rng.random() < 0.3,
                "is_visiting": rng.random() < 0.2,
                "metadata": "{}",
                # As addresses_service.search_text makes it.
                "search_text": f"{label} {street} {street_and_number} {postcode} {city}".lower(),
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }


async def load_addresses(
    conn: asyncpg.Connection, dsn: str, org_id: UUID, pools: Pools, log: Log, *, seed: int = 1
) -> int:
    info = await table_info(dsn, "addresses")
    if info is None:
        return 0  # TODO(addresses): the table is not in this branch yet
    clients = await _client_ids(conn, org_id)
    rng = random.Random(seed + 2)
    count = await _copy_dicts(
        conn, "addresses", info, address_values(org_id, clients, pools, rng), log
    )
    if count:
        await _set_counter(conn, org_id, "address", count)
    return count


def order_values(
    org_id: UUID, clients: Sequence[tuple[UUID, datetime]], rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Orders, 0..6 per client (3 on average), dated after the client."""
    number = 0
    for client_id, created in clients:
        for _ in range(rng.randint(0, 2 * ORDERS_PER_CLIENT)):
            number += 1
            when = created + timedelta(days=rng.randint(0, 400))
            status = rng.choice(("DRAFT", "SUBMITTED", "SUBMITTED", "SUBMITTED", "REVOKED"))
            yield {
                "id": uuid7_at(when, rng),
                "organization_id": org_id,
                "client_id": client_id,
                "number": number,
                "status": status,
                "type": rng.randint(1, 5),
                "description": rng.choice(("Annual licence", "Support", "Hardware", "Training")),
                "quantity": rng.randint(1, 50),
                "date": when,
                "submitted_at": when if status == "SUBMITTED" else None,
                "archived": False,
                "tags": "[]",
                "metadata": "{}",
                "version": 1,
                "created_at": when,
                "updated_at": when,
            }


async def load_orders(
    conn: asyncpg.Connection, dsn: str, org_id: UUID, pools: Pools, log: Log, *, seed: int = 1
) -> int:
    info = await table_info(dsn, "orders")
    if info is None:
        return 0  # TODO(orders): the table is not in this branch yet
    clients = await _client_ids(conn, org_id)
    rng = random.Random(seed + 3)
    count = await _copy_dicts(conn, "orders", info, order_values(org_id, clients, rng), log)
    if count:
        await _set_counter(conn, org_id, "order", count)
    return count


EXTRA_LOADERS = {
    "contact_persons": load_contact_persons,
    "addresses": load_addresses,
    "orders": load_orders,
}


# ---------------------------------------------------------------- organizations and indexes


async def create_organization(conn: asyncpg.Connection, number: int, name: str) -> UUID:
    org_id = uuid7_at(EPOCH, random.Random(number))
    await conn.execute(
        "INSERT INTO organizations (id, number, name, is_demo, created_at) "
        "VALUES ($1, $2, $3, false, $4)",
        org_id,
        number,
        name,
        EPOCH,
    )
    await _set_counter(conn, org_id, "organization", number)
    return org_id


@asynccontextmanager
async def indexes_dropped(
    conn: asyncpg.Connection, dsn: str, tables: Sequence[str], log: Log
) -> AsyncIterator[None]:
    """Drop the tables' secondary indexes for the load; rebuild them (two at a time) after."""
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "JOIN pg_class c ON c.relname = i.indexname "
        "JOIN pg_index x ON x.indexrelid = c.oid "
        "WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[]) AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)",
        list(tables),
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    try:
        yield
    finally:
        started = time.perf_counter()
        await _rebuild(conn, dsn, [row["indexdef"] for row in rows])
        log(f"  rebuilt {len(rows)} indexes in {time.perf_counter() - started:.1f} s")


async def _rebuild(conn: asyncpg.Connection, dsn: str, definitions: list[str]) -> None:
    """Build the indexes over two connections (the machine has two cores)."""
    queue = list(definitions)
    second = await asyncpg.connect(dsn)

    async def worker(c: asyncpg.Connection) -> None:
        await c.execute("SET maintenance_work_mem = '512MB'")
        while queue:
            await c.execute(queue.pop(0))

    try:
        await asyncio.gather(worker(conn), worker(second))
    finally:
        await second.close()


# ---------------------------------------------------------------- the whole dataset


@dataclass
class Dataset:
    size: int
    organizations: list[tuple[UUID, int]]  # (id, clients), largest first
    seconds: float
    counts: dict[str, int]
    reused: bool


async def load_all(dsn: str, size: int, log: Log, *, seed: int = 1) -> Dataset:
    """Create 10 organizations and load every table that exists; COPY, indexes rebuilt after."""
    started = time.perf_counter()
    log("making the value pools with Faker ...")
    pools = make_pools(seed)
    conn = await asyncpg.connect(dsn)
    counts = dict.fromkeys(["clients", *EXTRA_LOADERS], 0)
    organizations: list[tuple[UUID, int]] = []
    try:
        await conn.execute("SET synchronous_commit = off")
        # Foreign keys are checked by triggers, row by row; the generator keeps them true.
        await conn.execute("SET session_replication_role = replica")
        tables = ["clients", *EXTRA_LOADERS]
        async with indexes_dropped(conn, dsn, tables, log):
            for index, clients in enumerate(org_sizes(size)):
                org_id = await create_organization(conn, index + 1, f"Bench Org {index + 1}")
                organizations.append((org_id, clients))
                await load_clients(conn, org_id, clients, pools, seed=seed + index)
                counts["clients"] += clients
                for name, loader in EXTRA_LOADERS.items():
                    counts[name] += await loader(conn, dsn, org_id, pools, log, seed=seed + index)
                # The triggers that keep clients.contact_search_text are off in replica mode:
                # fill it as they would (migration 0012's function).
                await conn.execute(
                    "SELECT rolodex_refresh_contact_search("
                    "ARRAY(SELECT id FROM clients WHERE organization_id = $1))",
                    org_id,
                )
                log(f"  organization {index + 1}: {clients} clients")
            log(f"  rows copied in {time.perf_counter() - started:.1f} s; rebuilding indexes")
        await conn.execute("SET session_replication_role = DEFAULT")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return Dataset(size, organizations, time.perf_counter() - started, counts, reused=False)


MARKER_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_dataset (size integer, version integer, "
    "tables text, organizations text, counts text, seconds double precision, "
    "loaded_at timestamptz DEFAULT now())"
)


async def loadable_tables(dsn: str) -> list[str]:
    """The tables this generator fills that exist in the schema."""
    found = ["clients"]
    for name in EXTRA_LOADERS:
        if await table_info(dsn, name) is not None:
            found.append(name)
    return found


async def read_marker(dsn: str) -> dict[str, Any] | None:
    conn = await asyncpg.connect(dsn)
    try:
        exists = await conn.fetchval("SELECT to_regclass('bench_dataset') IS NOT NULL")
        if not exists:
            return None
        row = await conn.fetchrow("SELECT * FROM bench_dataset LIMIT 1")
        return dict(row) if row else None
    finally:
        await conn.close()


async def write_marker(dsn: str, data: Dataset, tables: list[str]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(MARKER_DDL)
        await conn.execute("DELETE FROM bench_dataset")
        await conn.execute(
            "INSERT INTO bench_dataset (size, version, tables, organizations, counts, seconds) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            data.size,
            GENERATOR_VERSION,
            ",".join(tables),
            json.dumps([[str(org), n] for org, n in data.organizations]),
            json.dumps(data.counts),
            data.seconds,
        )
    finally:
        await conn.close()


async def recreate_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def database_exists(admin_dsn: str, name: str) -> bool:
    conn = await asyncpg.connect(admin_dsn)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def ensure_dataset(admin_dsn: str, dsn: str, name: str, size: int, log: Log) -> Dataset:
    """Reuse the loaded dataset when it matches the size and tables; else build it afresh."""
    from rolodex.core import migrate

    if await database_exists(admin_dsn, name):
        await asyncio.to_thread(migrate.upgrade, dsn)
        marker = await read_marker(dsn)
        tables = await loadable_tables(dsn)
        if (
            marker is not None
            and marker["size"] == size
            and marker["version"] == GENERATOR_VERSION
            and marker["tables"] == ",".join(tables)
        ):
            orgs = [(UUID(org), n) for org, n in json.loads(marker["organizations"])]
            log(f"reusing the loaded dataset ({size} clients in the largest organization)")
            return Dataset(size, orgs, marker["seconds"], json.loads(marker["counts"]), True)
    log(f"creating database {name} ...")
    await recreate_database(admin_dsn, name)
    await asyncio.to_thread(migrate.upgrade, dsn)
    tables = await loadable_tables(dsn)
    data = await load_all(dsn, size, log)
    await write_marker(dsn, data, tables)
    log(f"dataset loaded in {data.seconds:.1f} s: {data.counts}")
    return data


async def warm(dsn: str, log: Log) -> None:
    """Read every table and index of the dataset into the operating system's page cache
    (pg_prewarm's `read` mode), so that the scenarios measure Rolodex, not the disk.

    Right after a fresh load most of the dataset (8 GB at 1M clients) is not in the cache yet:
    the first full run after building it measured 715 GETs/s with p99 433 ms, the next one
    3,000/s with p99 33 ms. A warm cache is what a running service has. Without the
    pg_prewarm extension (PostgreSQL's contrib), nothing is warmed and the log says so.
    """
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except asyncpg.PostgresError as exc:
            log(f"not warming the dataset into the page cache: {exc}")
            return
        relations = await conn.fetch(
            "SELECT c.oid FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')"
        )
        pages = 0
        for relation in relations:
            pages += await conn.fetchval(
                "SELECT pg_prewarm($1::oid::regclass, 'read')", relation[0]
            )
        block = await conn.fetchval("SELECT current_setting('block_size')::int")
    finally:
        await conn.close()
    gib = pages * block / 2**30
    seconds = time.perf_counter() - started
    log(f"read the dataset ({gib:.1f} GiB) into the page cache in {seconds:.1f} s")
