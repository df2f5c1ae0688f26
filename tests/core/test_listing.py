"""The list mechanism on real SQLite and PostgreSQL: filters, search, sort, pages and cursors."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import math
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, MetaData, Numeric, String, delete, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rolodex.core.db import JSONType, UTCDateTime
from rolodex.core.errors import Invalid
from rolodex.core.listing import (
    FieldKind,
    ListField,
    ListQuery,
    ListSpec,
    Page,
    fetch_page,
    filter_statement,
    ilike_any,
    parse_list_query,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*support Decimal objects natively")

PG_URL = os.environ.get(
    "ROLODEX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
STATUSES = ("ACTIVE", "PROSPECT", "INACTIVE", "CLOSED")


class Model(DeclarativeBase):
    metadata = MetaData()


class Item(Model):
    __tablename__ = "listing_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    org: Mapped[int]
    n: Mapped[int]  # a test label, not listable
    name: Mapped[str] = mapped_column(String(50))
    code: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(100))
    qty: Mapped[int | None]
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    active: Mapped[bool]
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    born: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[uuid.UUID | None]
    tags: Mapped[list[str] | None] = mapped_column(JSONType)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _dynamic(name: str) -> ListField | None:
    prefix, key = name.split(".", 1)
    if prefix == "metadata":
        return ListField(name, Item.meta[key].as_string(), FieldKind.STRING, sort=True)
    if prefix == "customFields":
        column = Item.meta[key].as_float()
        return ListField(name, column, FieldKind.DECIMAL, range=True, sort=True)
    return None


FIELDS = (
    ListField("name", Item.name, FieldKind.STRING, sort=True, nullable=False),
    ListField("code", Item.code, FieldKind.STRING, sort=True),
    ListField("email", Item.email, FieldKind.STRING, case_insensitive=True),
    ListField("qty", Item.qty, FieldKind.INTEGER, range=True, sort=True),
    ListField("price", Item.price, FieldKind.DECIMAL, range=True, sort=True),
    ListField("active", Item.active, FieldKind.BOOLEAN, sort=True, nullable=False),
    ListField("status", Item.status, FieldKind.ENUM, STATUSES, sort=True, nullable=False),
    ListField(
        "createdAt", Item.created_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
    ),
    ListField("updatedAt", Item.updated_at, FieldKind.DATETIME, range=True, nullable=False),
    ListField("born", Item.born, FieldKind.DATE, range=True, sort=True),
    ListField("ownerId", Item.owner_id, FieldKind.UUID),
    ListField("tags", Item.tags, FieldKind.TAGS),
)
SPEC = ListSpec(
    fields={field.name: field for field in FIELDS},
    id_column=Item.id,
    default_sort=("-createdAt",),
    search=lambda q: ilike_any([Item.name, Item.code], q),
    dynamic=_dynamic,
    deleted_column=Item.deleted_at,
)
PLAIN_SPEC = ListSpec(fields={"name": FIELDS[0]}, id_column=Item.id, default_sort=("name",))

O1, O2 = uuid.UUID(int=0xA1), uuid.UUID(int=0xB2)


def _at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


def _row(n: int, name: str, created: str, **values: Any) -> dict[str, Any]:
    # Ids in an order unrelated to n, so that tie-breaking by id is really tested.
    row: dict[str, Any] = {
        "id": uuid.UUID(int=(n * 7919) % 1009 + 1),
        "org": 1,
        "n": n,
        "name": name,
        "active": True,
        "status": "ACTIVE",
        "created_at": _at(created),
        "updated_at": _at(created) + timedelta(hours=n),
    }
    row.update(values)
    for column in ("code", "email", "qty", "price", "born", "owner_id", "tags", "meta"):
        row.setdefault(column, None)
    row.setdefault("deleted_at", None)
    return row


FIXED = [
    _row(
        1,
        "alpha",
        "2024-01-01T00:00:00",
        code="A1",
        email="Ann@Example.com",
        qty=5,
        price=Decimal("10.00"),
        born=date(1990, 5, 1),
        owner_id=O1,
        tags=["vip", "eu"],
        meta={"erp": "sap", "size": 40},
    ),
    _row(2, "bravo", "2024-01-01T23:59:59.999", active=False, status="PROSPECT"),
    _row(
        3,
        "charlie",
        "2024-01-02T00:00:00",
        code="C3",
        email="c@x.io",
        qty=5,
        price=Decimal("20.50"),
        status="INACTIVE",
        born=date(1985, 1, 1),
        owner_id=O2,
        tags=["eu"],
        meta={"erp": "dyn", "size": 38.5},
    ),
    _row(
        4,
        "alpha",
        "2023-12-31T23:59:59",
        code="A1",
        email="ann@example.com",
        qty=7,
        price=Decimal("10.00"),
        active=False,
        born=date(1990, 5, 1),
        owner_id=O1,
        tags=[],
        meta={"erp": "sap"},
    ),
    _row(
        5,
        "echo",
        "2024-02-01T12:00:00",
        code="E5",
        qty=2,
        price=Decimal("5.25"),
        status="CLOSED",
        born=date(2000, 2, 29),
        tags=["us"],
        meta={},
    ),
    _row(
        6,
        "half_off%",
        "2024-03-01T00:00:00",
        price=Decimal("99.99"),
        tags=["vip"],
        meta={"size": 42},
    ),
    _row(
        7,
        "halfXoffY",
        "2024-03-01T00:00:00",
        code="H7",
        qty=1,
        active=False,
        status="PROSPECT",
        born=date(2010, 10, 10),
    ),
    _row(8, "delta", "2024-01-03T00:00:00", code="D8", deleted_at=_at("2024-05-01T00:00:00")),
    _row(9, "foxtrot", "2024-01-01T12:00:00", code="F9", qty=3, price=Decimal("0.00")),
    _row(100, "alpha", "2024-01-01T00:00:00", org=2, code="A1", tags=["vip"]),
]
VISIBLE = {1, 2, 3, 4, 5, 6, 7, 9}


# ---------------------------------------------------------------- databases


async def _admin(statement: str) -> None:
    """One statement on the maintenance database, outside any transaction."""
    admin = create_async_engine(
        make_url(PG_URL).set(drivername="postgresql+asyncpg"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def listing_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database per backend; PostgreSQL's is uniquely named and dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('listing') / 'listing.db'}"
        return
    name = f"listing_test_{uuid.uuid4().hex[:12]}"
    # C collation: string order is code-point order, as in the Python oracle below.
    create = f'CREATE DATABASE "{name}" TEMPLATE template0 LC_COLLATE "C" LC_CTYPE "C"'
    try:
        asyncio.run(_admin(create))
    except (OSError, DBAPIError) as exc:
        if os.environ.get("ROLODEX_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"PostgreSQL is unreachable: {exc}")
    # A plain fixture with its own loop, so that the drop happens even when a run stops early.
    try:
        url = make_url(PG_URL).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
async def db(listing_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(listing_database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Model.metadata.create_all)
            await conn.execute(insert(Item), FIXED)
        yield engine
    finally:
        await engine.dispose()


async def _list(
    db: AsyncEngine,
    params: Sequence[tuple[str, str]],
    *,
    spec: ListSpec = SPEC,
    org: int = 1,
) -> Page[Any]:
    query = parse_list_query(spec, params)
    async with AsyncSession(db) as session:
        return await fetch_page(session, select(Item).where(Item.org == org), spec, query)


async def _ns(db: AsyncEngine, params: Sequence[tuple[str, str]]) -> list[int]:
    page = await _list(db, [*params, ("limit", "200")])
    return [item.n for item in page.items]


# ---------------------------------------------------------------- the Python oracle


def _api(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the list's field names see it."""
    meta = row["meta"] or {}
    size = meta.get("size")
    return {
        "n": row["n"],
        "id": row["id"],
        "name": row["name"],
        "code": row["code"],
        "qty": row["qty"],
        "price": row["price"],
        "active": row["active"],
        "status": row["status"],
        "createdAt": row["created_at"],
        "born": row["born"],
        "customFields.size": None if size is None else float(size),
        "metadata.erp": meta.get("erp"),
    }


def _compare_nulls_last(a: Any, b: Any) -> int:
    if a is None or b is None:
        return (a is None) - (b is None)
    return int(a > b) - int(a < b)


def _oracle_order(rows: Sequence[dict[str, Any]], sort: Sequence[str]) -> list[Any]:
    """Ids in the order the contract promises: NULL largest, the id last in the last direction."""
    terms = [(term.removeprefix("-"), term.startswith("-")) for term in sort]
    terms.append(("id", terms[-1][1] if terms else False))

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for name, descending in terms:
            result = _compare_nulls_last(a[name], b[name])
            if result:
                return -result if descending else result
        return 0

    return [row["id"] for row in sorted(map(_api, rows), key=functools.cmp_to_key(compare))]


async def _walk_pages(db: AsyncEngine, params: list[tuple[str, str]], org: int) -> list[Any]:
    first = await _list(db, params, org=org)
    ids = [item.id for item in first.items]
    assert first.total is not None and first.page_count == math.ceil(first.total / first.limit)
    for number in range(2, (first.page_count or 0) + 1):
        page = await _list(db, [*params, ("page", str(number))], org=org)
        assert page.total == first.total
        ids += [item.id for item in page.items]
    assert len(ids) == first.total
    return ids


async def _walk_cursor(db: AsyncEngine, params: list[tuple[str, str]], org: int) -> list[Any]:
    page = await _list(db, params, org=org)
    ids = [item.id for item in page.items]
    while page.next_cursor is not None:
        page = await _list(db, [*params, ("cursor", page.next_cursor)], org=org)
        assert page.total is None and page.page is None and page.page_count is None
        assert page.items, "a cursor is only given when more rows exist"
        ids += [item.id for item in page.items]
    return ids


# ---------------------------------------------------------------- filters

FILTER_CASES: list[tuple[list[tuple[str, str]], set[int]]] = [
    ([], VISIBLE),
    ([("status", "ACTIVE")], {1, 4, 6, 9}),
    ([("status", "ACTIVE,CLOSED")], {1, 4, 5, 6, 9}),
    ([("status", "ACTIVE"), ("status", "CLOSED")], {1, 4, 5, 6, 9}),
    ([("status", " PROSPECT , CLOSED ")], {2, 5, 7}),
    ([("active", "false")], {2, 4, 7}),
    ([("active", "true")], {1, 3, 5, 6, 9}),
    ([("qty", "5")], {1, 3}),
    ([("qty[eq]", "2")], {5}),
    ([("qty[ne]", "5")], {2, 4, 5, 6, 7, 9}),
    ([("qty[gt]", "3")], {1, 3, 4}),
    ([("qty[gte]", "3")], {1, 3, 4, 9}),
    ([("qty[lt]", "3")], {5, 7}),
    ([("qty[lte]", "3")], {5, 7, 9}),
    ([("qty[between]", "2,5")], {1, 3, 5, 9}),
    ([("qty[in]", "1,7")], {4, 7}),
    ([("qty[gte]", "2"), ("qty[lt]", "5")], {5, 9}),
    ([("qty[gt]", "-10")], {1, 3, 4, 5, 7, 9}),
    ([("price", "10.00")], {1, 4}),
    ([("price", "10")], {1, 4}),
    ([("price[gte]", "10")], {1, 3, 4, 6}),
    ([("price[lt]", "10.5")], {1, 4, 5, 9}),
    ([("price[between]", "0,5.25")], {5, 9}),
    ([("price[ne]", "10")], {2, 3, 5, 6, 7, 9}),
    ([("ownerId", str(O1))], {1, 4}),
    ([("ownerId", f"{O1},{O2}")], {1, 3, 4}),
    ([("code", "A1")], {1, 4}),
    ([("code", "a1")], set()),
    ([("name", "half_off%")], {6}),
    ([("email", "ANN@example.COM")], {1, 4}),
    ([("email", "c@x.io,nobody@x.io")], {3}),
    ([("born", "2000-02-29")], {5}),
    ([("born[lt]", "1990-05-01")], {3}),
    ([("born[lte]", "1990-05-01")], {1, 3, 4}),
    ([("born[gt]", "1990-05-01")], {5, 7}),
    ([("born[between]", "1985-01-01,2000-02-29")], {1, 3, 4, 5}),
    ([("born[ne]", "1990-05-01")], {2, 3, 5, 6, 7, 9}),
    ([("createdAt", "2024-01-01")], {1, 2, 9}),
    ([("createdAt[eq]", "2024-01-01")], {1, 2, 9}),
    ([("createdAt[ne]", "2024-01-01")], {3, 4, 5, 6, 7}),
    ([("createdAt[lte]", "2024-01-01")], {1, 2, 4, 9}),
    ([("createdAt[lt]", "2024-01-01")], {4}),
    ([("createdAt[gt]", "2024-01-01")], {3, 5, 6, 7}),
    ([("createdAt[gte]", "2024-01-01")], {1, 2, 3, 5, 6, 7, 9}),
    ([("createdAt[between]", "2024-01-01,2024-01-02")], {1, 2, 3, 9}),
    ([("createdAt[between]", "2024-01-01,2024-01-01")], {1, 2, 9}),
    ([("createdAt[between]", "2023-12-31T23:59:59Z,2024-01-01T00:00:00Z")], {1, 4}),
    ([("createdAt[in]", "2024-01-02,2024-02-01")], {3, 5}),
    ([("createdAt[in]", "2024-01-02,2024-01-01T12:00:00Z")], {3, 9}),
    ([("createdAt[gte]", "2024-01-02T01:00:00+01:00")], {3, 5, 6, 7}),
    ([("createdAt[gte]", "2024-01-02T01:00:00 02:00")], {2, 3, 5, 6, 7}),
    ([("createdAt[lt]", "2024-01-01T12:00:00")], {1, 4}),
    ([("createdAt[lte]", "2024-01-01T12:00:00.000Z")], {1, 4, 9}),
    ([("createdAt[gt]", "2024-01-01T23:59:59.998Z")], {2, 3, 5, 6, 7}),
    ([("updatedSince", "2024-01-02T03:00:00Z")], {3, 5, 6, 7}),
    ([("updatedSince", "2024-01-02")], {2, 3, 5, 6, 7}),
    ([("updatedAt[lt]", "2024-01-02")], {1, 4, 9}),
    ([("tags", "vip")], {1, 6}),
    ([("tags", "eu,us")], {1, 3, 5}),
    ([("tags", "none")], set()),
    ([("metadata.erp", "sap")], {1, 4}),
    ([("metadata.erp", "sap,dyn")], {1, 3, 4}),
    ([("customFields.size[gte]", "40")], {1, 6}),
    ([("customFields.size[lt]", "40")], {3}),
    ([("customFields.size", "38.5")], {3}),
    ([("q", "alpha")], {1, 4}),
    ([("q", "ALPHA")], {1, 4}),
    ([("q", "_")], {6}),
    ([("q", "%")], {6}),
    ([("q", "half")], {6, 7}),
    ([("q", " a1 ")], {1, 4}),
    ([("q", "   ")], VISIBLE),
    ([("q", "")], VISIBLE),
    ([("includeDeleted", "true")], VISIBLE | {8}),
    ([("includeDeleted", "false")], VISIBLE),
    ([("includeDeleted", "true"), ("code", "D8")], {8}),
    ([("status", "ACTIVE"), ("createdAt[gte]", "2024-01-01"), ("tags", "vip")], {1, 6}),
]


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES, ids=lambda v: repr(v)[:60])
async def test_filters(db: AsyncEngine, params: list[tuple[str, str]], expected: set[int]) -> None:
    assert sorted(await _ns(db, params)) == sorted(expected)


async def test_tenant_scope_is_kept(db: AsyncEngine) -> None:
    page = await _list(db, [("name", "alpha")], org=2)
    assert [item.n for item in page.items] == [100]


async def test_extra_parameters_are_left_to_the_caller(db: AsyncEngine) -> None:
    query = parse_list_query(SPEC, [("include", "addresses"), ("qty", "5")], extra=("include",))
    assert [flt.param for flt in query.filters] == ["qty"]


def test_values_only_reach_sql_as_parameters() -> None:
    nasty = "x'); DROP TABLE listing_items; --"
    query = parse_list_query(
        SPEC, [("name", nasty), ("q", nasty), ("metadata.erp", nasty), ("tags", nasty)]
    )
    for dialect in (postgresql.asyncpg.dialect(), sqlite.aiosqlite.dialect()):
        sql = str(filter_statement(select(Item), SPEC, query, dialect).compile(dialect=dialect))
        assert "DROP" not in sql


ERROR_CASES: list[tuple[list[tuple[str, str]], str, str]] = [
    ([("status", "ACTIV")], "status", "must be one of ACTIVE, PROSPECT, INACTIVE, CLOSED"),
    ([("price[gte]", "abc")], "price[gte]", "not a number"),
    ([("price", "1e5")], "price", "not a number"),
    ([("price", "NaN")], "price", "not a number"),
    ([("qty", "1.5")], "qty", "not an integer"),
    ([("qty", "2_0")], "qty", "not an integer"),
    ([("active", "yes")], "active", "must be true or false"),
    ([("ownerId", "nope")], "ownerId", "not a UUID"),
    ([("born", "2024-13-01")], "born", "not a date"),
    ([("born", "2024-01-01T00:00:00")], "born", "not a date"),
    ([("createdAt[gte]", "yesterday")], "createdAt[gte]", "ISO 8601"),
    ([("createdAt[gte]", "9999-12-31")], "createdAt[gte]", "out of range"),
    ([("updatedSince", "soon")], "updatedSince", "ISO 8601"),
    ([("bogus", "1")], "bogus", "unknown parameter"),
    ([("bogus[gt]", "1")], "bogus[gt]", "unknown parameter"),
    ([("id", "1")], "id", "unknown parameter"),
    ([("status[gte]", "ACTIVE")], "status[gte]", "range filters are not supported"),
    ([("tags[in]", "a")], "tags[in]", "range filters are not supported"),
    ([("qty[like]", "1")], "qty[like]", "unknown operator"),
    ([("qty[between]", "1")], "qty[between]", "two comma-separated values"),
    ([("qty[between]", "1,2,3")], "qty[between]", "two comma-separated values"),
    ([("qty[gt]", "1,2")], "qty[gt]", "takes one value"),
    ([("qty[between]", "5,1")], "qty[between]", "lower bound is after"),
    ([("createdAt[between]", "2024-01-02,2024-01-01")], "createdAt[between]", "lower bound"),
    ([("qty[gt]", "1"), ("qty[gt]", "2")], "qty[gt]", "more than once"),
    ([("status", "")], "status", "empty value"),
    ([("status", "ACTIVE,")], "status", "empty value"),
    ([("metadata.a b", "x")], "metadata.a b", "unknown parameter"),
    ([("metadata.", "x")], "metadata.", "unknown parameter"),
    ([("metadata." + "k" * 65, "x")], "metadata." + "k" * 65, "unknown parameter"),
    ([("other.key", "1")], "other.key", "unknown parameter"),
    ([("page", "1"), ("page", "2")], "page", "more than once"),
    ([("page", "0")], "page", "positive integer"),
    ([("page", "x")], "page", "positive integer"),
    ([("page", "")], "page", "positive integer"),
    ([("limit", "0")], "limit", "positive integer"),
    ([("limit", "-1")], "limit", "positive integer"),
    ([("limit", "201")], "limit", "at most 200"),
    ([("limit", "200"), ("page", "50002")], "page", "too deep"),
    ([("page", "500002")], "page", "too deep"),
    ([("sort", "nope")], "sort", "'nope'"),
    ([("sort", "email")], "sort", "'email'"),
    ([("sort", "")], "sort", "cannot sort"),
    ([("sort", "name,-name")], "sort", "given twice"),
    ([("sort", "name,code"), ("order", "desc")], "order", "single sort field"),
    ([("order", "up")], "order", "asc or desc"),
    ([("sort", "-name"), ("order", "asc")], "order", "conflicts"),
    ([("sort", "name"), ("sort", "code")], "sort", "more than once"),
    ([("q", "x" * 201)], "q", "longer than 200"),
    ([("q", "a"), ("q", "b")], "q", "more than once"),
    ([("status", "A" * 1001)], "status", "longer than 1000"),
    ([("includeDeleted", "maybe")], "includeDeleted", "true or false"),
    ([("cursor", "!!!")], "cursor", "malformed"),
    ([("cursor", "eyJzIjoxfQ")], "cursor", "malformed"),
    ([("cursor", "e30"), ("page", "1")], "cursor", "either page or cursor"),
]


@pytest.mark.parametrize(("params", "field", "message"), ERROR_CASES, ids=lambda v: repr(v)[:50])
def test_bad_parameters_are_named(params: list[tuple[str, str]], field: str, message: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_list_query(SPEC, params)
    assert [issue.field for issue in caught.value.details] == [field]
    assert message in caught.value.details[0].message


def test_too_many_filters() -> None:
    parse_list_query(SPEC, [("qty[gt]", "1")] + [("status", "ACTIVE")] * 29)
    with pytest.raises(Invalid, match="more than 30 filter parameters"):
        parse_list_query(SPEC, [("status", "ACTIVE")] * 31)


def test_spec_specific_parameters() -> None:
    for param in ("q", "includeDeleted", "updatedSince"):
        with pytest.raises(Invalid, match="unknown parameter"):
            parse_list_query(PLAIN_SPEC, [(param, "true")])


def test_a_broken_spec_fails_at_once() -> None:
    with pytest.raises(ValueError, match="default sort"):
        ListSpec(fields={"name": FIELDS[0]}, id_column=Item.id, default_sort=("email",))


# ---------------------------------------------------------------- sort


async def test_nulls_sort_last_ascending_and_first_descending(db: AsyncEngine) -> None:
    ascending = await _ns(db, [("sort", "qty")])
    assert ascending[:6] == [7, 5, 9] + ascending[3:5] + [4] and set(ascending[3:5]) == {1, 3}
    assert set(ascending[6:]) == {2, 6}
    descending = await _ns(db, [("sort", "-qty")])
    assert descending == list(reversed(ascending))


async def test_sort_by_id_tie_breaker_follows_the_last_direction(db: AsyncEngine) -> None:
    rows = [row for row in FIXED if row["n"] in VISIBLE]
    by_id = {row["id"]: row["n"] for row in rows}
    for sort in (["name"], ["-name"], ["-createdAt"], ["active", "-status"], ["code", "-born"]):
        expected = [by_id[i] for i in _oracle_order(rows, sort)]
        assert await _ns(db, [("sort", ",".join(sort))]) == expected, sort


async def test_default_sort_and_order_parameter(db: AsyncEngine) -> None:
    newest_first = await _ns(db, [])
    assert newest_first[:2] in ([6, 7], [7, 6]) and newest_first[-1] == 4
    assert await _ns(db, [("order", "asc")]) == list(reversed(newest_first))
    assert await _ns(db, [("sort", "name"), ("order", "desc")]) == await _ns(
        db, [("sort", "-name")]
    )


SORTS = [
    "-createdAt",
    "qty",
    "-qty",
    "price,-name",
    "-born,code",
    "name,-createdAt",
    "status,-active,qty",
    "customFields.size",
    "-metadata.erp,name",
    "name",
    "-code",
]


@pytest.mark.parametrize("sort", SORTS)
async def test_cursor_walk_matches_page_walk(db: AsyncEngine, sort: str) -> None:
    rows = [row for row in FIXED if row["n"] in VISIBLE]
    expected = _oracle_order(rows, sort.split(","))
    for limit in ("1", "2", "3"):
        params = [("sort", sort), ("limit", limit)]
        assert await _walk_pages(db, params, 1) == expected
        assert await _walk_cursor(db, params, 1) == expected


# ---------------------------------------------------------------- pages and cursors


async def test_page_meta(db: AsyncEngine) -> None:
    page = await _list(db, [("limit", "3"), ("page", "3")])
    assert (page.total, page.page, page.limit, page.page_count) == (8, 3, 3, 3)
    assert len(page.items) == 2 and page.next_cursor is None
    beyond = await _list(db, [("limit", "3"), ("page", "9")])
    assert (beyond.items, beyond.total, beyond.page_count) == ([], 8, 3)
    empty = await _list(db, [("tags", "none")])
    assert (empty.items, empty.total, empty.page_count, empty.next_cursor) == ([], 0, 0, None)
    assert (await _list(db, [("limit", "8")])).next_cursor is None


async def test_offset_mode(db: AsyncEngine) -> None:
    every = await _ns(db, [("sort", "name")])

    async def window(offset: str, limit: str) -> Page[Any]:
        params = [("sort", "name"), ("offset", offset), ("limit", limit)]
        query = parse_list_query(SPEC, params, offset=True)
        async with AsyncSession(db) as session:
            return await fetch_page(session, select(Item).where(Item.org == 1), SPEC, query)

    page = await window("3", "2")
    assert [i.n for i in page.items] == every[3:5]
    assert (page.total, page.page, page.limit, page.page_count) == (8, None, 2, 4)
    assert [i.n for i in (await window("7", "5")).items] == every[7:]
    beyond = await window("8", "5")
    assert (beyond.items, beyond.total) == ([], 8)
    assert [i.n for i in (await window("0", "200")).items] == every


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("offset", "-1")], "non-negative integer"),
        ([("offset", "x")], "non-negative integer"),
        ([("offset", "")], "non-negative integer"),
        ([("offset", "10000001")], "at most 10000000"),
        ([("offset", "1"), ("offset", "2")], "more than once"),
        ([("offset", "1"), ("page", "1")], "either offset, page or cursor"),
        ([("offset", "1"), ("cursor", "e30")], "either offset, page or cursor"),
    ],
)
def test_bad_offsets_are_named(params: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_list_query(SPEC, params, offset=True)
    assert [issue.field for issue in caught.value.details] == ["offset"]
    assert message in caught.value.details[0].message


def test_offset_only_when_the_caller_enables_it() -> None:
    with pytest.raises(Invalid, match="unknown parameter"):
        parse_list_query(SPEC, [("offset", "1")])
    query = parse_list_query(SPEC, [], offset=True)
    assert (query.page, query.offset) == (1, None)
    assert parse_list_query(SPEC, [("offset", "0")], offset=True).offset == 0


async def test_page_mode_also_gives_a_cursor(db: AsyncEngine) -> None:
    second = await _list(db, [("limit", "3"), ("page", "2")])
    assert second.next_cursor is not None
    third = await _list(db, [("limit", "3"), ("cursor", second.next_cursor)])
    by_page = await _list(db, [("limit", "3"), ("page", "3")])
    assert [i.n for i in third.items] == [i.n for i in by_page.items]
    bigger = await _list(db, [("limit", "50"), ("cursor", second.next_cursor)])
    assert [i.n for i in bigger.items] == [i.n for i in by_page.items]


async def test_cursor_with_other_filters_or_sort_is_refused(db: AsyncEngine) -> None:
    first = await _list(db, [("status", "ACTIVE"), ("limit", "1")])
    assert first.next_cursor is not None
    for other in (
        [("status", "PROSPECT")],
        [],
        [("status", "ACTIVE"), ("q", "a")],
        [("status", "ACTIVE"), ("sort", "name")],
        [("status", "ACTIVE"), ("includeDeleted", "true")],
    ):
        with pytest.raises(Invalid, match="cursor does not match the query"):
            parse_list_query(SPEC, [*other, ("cursor", first.next_cursor)])
    same = parse_list_query(SPEC, [("status", "ACTIVE"), ("cursor", first.next_cursor)])
    assert same.after is not None and same.page is None


def test_tampered_cursor_is_malformed() -> None:
    query = parse_list_query(SPEC, [])
    for values in (["not a time", str(uuid.uuid4())], [None, str(uuid.uuid4())], [1], "x"):
        payload = {"s": query.signature, "f": query.fingerprint, "k": values}
        raw = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        with pytest.raises(Invalid, match="malformed cursor"):
            parse_list_query(SPEC, [("cursor", raw)])


def test_a_cursor_key_no_column_can_hold_is_malformed() -> None:
    """An integer past 64 bits (which the JSON module would read, for the database to refuse),
    and NaN, in a cursor of an integer sort."""
    query = parse_list_query(SPEC, [("sort", "qty")])
    for key in ("1180591620717411303424", "NaN"):
        head = f'{{"s": "{query.signature}", "f": "{query.fingerprint}"'
        text = f'{head}, "k": [{key}, "{uuid.uuid4()}"]}}'
        raw = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
        with pytest.raises(Invalid, match="malformed cursor"):
            parse_list_query(SPEC, [("sort", "qty"), ("cursor", raw)])


def test_list_query_defaults() -> None:
    query = parse_list_query(SPEC, [])
    assert (query.page, query.limit, query.q, query.include_deleted) == (1, 20, None, False)
    assert query.signature == "-createdAt"
    assert ListQuery().signature == ""


# ---------------------------------------------------------------- property

NAMES = ["a", "b", "ab", "ba"]
MOMENTS = [
    _at("2024-01-01T00:00:00"),
    _at("2024-01-01T12:30:00.500000"),
    _at("2024-01-02T00:00:00"),
    _at("2024-01-02T23:59:59.999999"),
]
DAYS = [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]
PRICES = [Decimal("0.00"), Decimal("1.50"), Decimal("2.25"), Decimal("-1.00")]
SORTABLE = ["name", "code", "qty", "price", "active", "status", "createdAt", "born",
            "customFields.size", "metadata.erp"]  # fmt: skip

Predicate = Callable[[dict[str, Any]], bool]


@st.composite
def _rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(st.uuids(), max_size=14, unique=True))
    rows = []
    for n, id_ in enumerate(ids):
        optional = {"erp": st.sampled_from(["sap", "dyn"]), "size": st.sampled_from([1, 2.5, 40])}
        meta = draw(st.none() | st.fixed_dictionaries({}, optional=optional))
        created = draw(st.sampled_from(MOMENTS))
        rows.append({
            "id": id_, "org": 99, "n": n, "name": draw(st.sampled_from(NAMES)),
            "code": draw(st.none() | st.sampled_from(["x", "y"])), "email": None,
            "qty": draw(st.none() | st.integers(-2, 3)),
            "price": draw(st.none() | st.sampled_from(PRICES)),
            "active": draw(st.booleans()), "status": draw(st.sampled_from(STATUSES)),
            "created_at": created, "updated_at": created,
            "born": draw(st.none() | st.sampled_from(DAYS)), "owner_id": None,
            "tags": draw(st.none() | st.lists(st.sampled_from(["t", "u", "v"]), unique=True)),
            "meta": meta,
            "deleted_at": draw(st.sampled_from([None, None, None, MOMENTS[0]])),
        })  # fmt: skip
    return rows


def _range_holds(op: str, value: Any, args: Sequence[Any]) -> bool:
    """The contract's range semantics on plain Python values (bare dates already widened)."""
    if op == "ne":
        return value is None or not _range_holds("eq", value, args)
    if value is None:
        return False
    if op == "in":
        return any(_range_holds("eq", value, [arg]) for arg in args)
    if op == "between":
        return _range_holds("gte", value, args[:1]) and _range_holds("lte", value, args[1:])
    low, high = args[0] if isinstance(args[0], tuple) else (args[0], None)
    if high is not None:  # a whole day [low, high)
        return bool({"eq": low <= value < high, "gt": value >= high, "gte": value >= low,
                "lt": value < low, "lte": value < high}[op])  # fmt: skip
    return bool({"eq": value == low, "gt": value > low, "gte": value >= low,
            "lt": value < low, "lte": value <= low}[op])  # fmt: skip


@st.composite
def _filter(draw: st.DrawFn) -> tuple[str, str, Predicate | None]:
    """A filter parameter and the predicate it means (None: it must be refused)."""
    kind = draw(st.sampled_from(["status", "active", "range", "created", "tags", "code",
                                 "erp", "q", "bad"]))  # fmt: skip
    if kind == "status":
        values = draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=2))
        return "status", ",".join(values), lambda r: r["status"] in values
    if kind == "active":
        flag = draw(st.booleans())
        return "active", str(flag).lower(), lambda r: r["active"] is flag
    if kind == "code":
        return "code", "x", lambda r: r["code"] == "x"
    if kind == "erp":
        return "metadata.erp", "sap", lambda r: _api(r)["metadata.erp"] == "sap"
    if kind == "tags":
        tags = draw(st.lists(st.sampled_from(["t", "u", "w"]), min_size=1, max_size=2))
        return "tags", ",".join(tags), lambda r: bool(set(r["tags"] or ()) & set(tags))
    if kind == "q":
        q = draw(st.sampled_from(["a", "B", "X", "ab"]))
        return "q", q, lambda r: any(q.lower() in (v or "").lower() for v in (r["name"], r["code"]))
    if kind == "bad":
        return draw(st.sampled_from([("qty[gt]", "x"), ("nope", "1"), ("status", "active")])) + (
            None,
        )
    if kind == "created":
        return _created_filter(draw)
    return _range_filter(draw)


def _op_and_arity(draw: st.DrawFn) -> tuple[str, int]:
    op = draw(st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte", "between", "in"]))
    return op, {"between": 2, "in": draw(st.integers(1, 3))}.get(op, 1)


def _range_filter(draw: st.DrawFn) -> tuple[str, str, Predicate | None]:
    field = draw(st.sampled_from(["qty", "price", "born", "customFields.size"]))
    op, arity = _op_and_arity(draw)
    pools: dict[str, list[Any]] = {
        "qty": list(range(-2, 4)), "price": PRICES, "born": DAYS, "customFields.size": [1, 2.5, 40]
    }  # fmt: skip
    args = draw(st.lists(st.sampled_from(pools[field]), min_size=arity, max_size=arity))
    if op == "between":
        args.sort()
    raw = ",".join(map(str, args))
    return f"{field}[{op}]", raw, lambda r: _range_holds(op, _api(r)[field], args)


def _created_filter(draw: st.DrawFn) -> tuple[str, str, Predicate | None]:
    op, arity = _op_and_arity(draw)
    moments = st.sampled_from(MOMENTS) | st.sampled_from(DAYS)
    args = draw(st.lists(moments, min_size=arity, max_size=arity))
    raw = ",".join(a.isoformat().replace("+00:00", "Z") for a in args)
    widened = [
        a if isinstance(a, datetime) else (_at(a.isoformat()), _at(a.isoformat()) + timedelta(1))
        for a in args
    ]
    if op == "between":
        low = widened[0][0] if isinstance(widened[0], tuple) else widened[0]
        high = (
            widened[1][1] - timedelta(microseconds=1)
            if isinstance(widened[1], tuple)
            else widened[1]
        )
        if low > high:
            return f"createdAt[{op}]", raw, None
    return f"createdAt[{op}]", raw, lambda r: _range_holds(op, r["created_at"], widened)


@st.composite
def _sort(draw: st.DrawFn) -> list[str] | None:
    names = draw(st.none() | st.lists(st.sampled_from(SORTABLE), max_size=3, unique=True))
    if not names:
        return None
    return [("-" if draw(st.booleans()) else "") + name for name in names]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=_rows(),
    filters=st.lists(_filter(), max_size=3, unique_by=lambda flt: flt[0]),
    sort=_sort(),
    limit=st.integers(2, 6),
    include_deleted=st.booleans(),
)
async def test_lists_agree_with_a_python_oracle(
    db: AsyncEngine,
    rows: list[dict[str, Any]],
    filters: list[tuple[str, str, Predicate | None]],
    sort: list[str] | None,
    limit: int,
    include_deleted: bool,
) -> None:
    async with db.begin() as conn:
        await conn.execute(delete(Item).where(Item.org == 99))
        if rows:
            await conn.execute(insert(Item), rows)
    params = [(param, raw) for param, raw, _ in filters] + [("limit", str(limit))]
    params += [("sort", ",".join(sort))] if sort else []
    params += [("includeDeleted", "true")] if include_deleted else []
    if any(check is None for _, _, check in filters):
        with pytest.raises(Invalid):
            parse_list_query(SPEC, params)
        return
    kept = [
        row
        for row in rows
        if all(check(row) for _, _, check in filters if check is not None)
        and (include_deleted or row["deleted_at"] is None)
    ]
    expected = _oracle_order(kept, sort or ["-createdAt"])
    assert await _walk_pages(db, params, 99) == expected
    assert await _walk_cursor(db, params, 99) == expected
