"""GET /clients against a plain Python oracle, through the real route and real client records.

Hypothesis draws combinations of filters, sorts, page sizes, `includeDeleted` and cursors; every
answer must be a 400, or exactly the rows a Python filter and sort of the same records gives, in
the same order, with page and cursor walks covering them exactly once. core/test_listing.py
checks the mechanism on a toy table; this one checks what the clients route builds on top of it
(the spec's columns, the JSON rendering, soft-delete hiding, the search text).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolodex.core.clock import format_timestamp

Row = dict[str, Any]
Predicate = Callable[[Row], bool]
# A drawn parameter: its name, raw value and what it means (None: the request must be a 400).
Param = tuple[str, str, Predicate | None]

STATUSES = ["PROSPECT", "ACTIVE", "INACTIVE", "CLOSED"]
# Lower-case ASCII without spaces: the same order under code points (SQLite, Python) and any
# PostgreSQL collation, so the oracle does not depend on the server's locale.
NAMES = ["alpha", "beta", "delta", "gamma", "kappa", "alpha2"]
CITIES = [None, "lund", "malmo", "umea"]
POSTAL = [None, "11122", "22233", "90210"]
CREDIT = [None, 0, 100, 100.5, 2500]
TERMS = [None, 0, 10, 30]
TAGS = ["a", "b", "c"]
ERP = [None, "sap", "ms"]
SORTABLE = ["number", "name", "creditLimit", "postalCode", "city", "createdAt", "updatedAt"]
COUNT = 24


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _stamp(moment: datetime) -> str:
    return format_timestamp(moment)


@pytest.fixture
async def dataset(api: httpx.AsyncClient, tenant: Any) -> list[Row]:
    """COUNT clients with colliding values (ties exercise the id tie-breaker); some deleted."""
    rng = random.Random(5)
    for index in range(COUNT):
        body: dict[str, Any] = {
            "name": rng.choice(NAMES),
            "email": f"c{index}@example.com",
            "status": rng.choice(STATUSES),
            "kind": rng.choice(["COMPANY", "PERSON"]),
            "city": rng.choice(CITIES),
            "postalCode": rng.choice(POSTAL),
            "creditLimit": rng.choice(CREDIT),
            "paymentTerms": rng.choice(TERMS),
            "tags": sorted(rng.sample(TAGS, rng.randint(0, 2))),
            "archived": rng.random() < 0.3,
            "externalId": f"ext-{index}" if index % 3 else None,
        }
        erp = rng.choice(ERP)
        if erp is not None:
            body["metadata"] = {"erp": erp}
        created = await api.post("/clients", json={k: v for k, v in body.items() if v is not None})
        assert created.status_code == 201, created.text
        if rng.random() < 0.25:
            assert (await api.delete(f"/clients/{created.json()['id']}")).status_code == 200
        elif rng.random() < 0.3:  # a later updatedAt than createdAt for some
            patched = await api.patch(f"/clients/{created.json()['id']}", json={"phone": "555-01"})
            assert patched.status_code == 200
    every = await api.get("/clients", params={"includeDeleted": "true", "limit": "200"})
    assert every.status_code == 200, every.text
    rows: list[Row] = every.json()["data"]
    assert len(rows) == COUNT
    return rows


# ---------------------------------------------------------------- the oracle


def _cmp(a: Any, b: Any) -> int:
    """NULL sorts as the largest value (the contract's order)."""
    if a is None or b is None:
        return (a is None) - (b is None)
    return (a > b) - (a < b)


def _sort_key(field: str, row: Row) -> Any:
    value = row[field]
    return _at(value) if field in ("createdAt", "updatedAt") and value else value


def oracle(rows: list[Row], checks: list[Predicate], sort: list[str], deleted: bool) -> list[str]:
    kept = [
        row
        for row in rows
        if (deleted or row["deletedAt"] is None) and all(check(row) for check in checks)
    ]
    terms = [(term.removeprefix("-"), term.startswith("-")) for term in sort]
    terms.append(("id", terms[-1][1]))

    def compare(a: Row, b: Row) -> int:
        for name, descending in terms:
            result = _cmp(_sort_key(name, a), _sort_key(name, b))
            if result:
                return -result if descending else result
        return 0

    return [row["id"] for row in sorted(kept, key=functools.cmp_to_key(compare))]


def _holds(op: str, value: Any, args: list[Any]) -> bool:
    """A range operator on one value; a missing value matches only `ne`."""
    if value is None:
        return op == "ne"
    if op == "in":
        return value in args
    if op == "between":
        return args[0] <= value <= args[1]
    return bool(
        {
            "eq": value == args[0],
            "ne": value != args[0],
            "gt": value > args[0],
            "gte": value >= args[0],
            "lt": value < args[0],
            "lte": value <= args[0],
        }[op]
    )


# ---------------------------------------------------------------- strategies

OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "between", "in"]


def _range(draw: st.DrawFn, field: str, pool: list[Any], parse: Callable[[Row], Any]) -> Param:
    op = draw(st.sampled_from(OPS))
    arity = {"between": 2, "in": draw(st.integers(1, 3))}.get(op, 1)
    args = draw(st.lists(st.sampled_from(pool), min_size=arity, max_size=arity))
    if op == "between":
        args.sort()
    raw = ",".join(_stamp(a) if isinstance(a, datetime) else str(a) for a in args)
    return f"{field}[{op}]", raw, lambda row: _holds(op, parse(row), args)


def _timestamps(rows: list[Row]) -> list[datetime]:
    moments = sorted({_at(row["createdAt"]) for row in rows})
    return moments + [moments[0] - timedelta(days=1), moments[-1] + timedelta(milliseconds=1)]


@st.composite
def a_filter(draw: st.DrawFn, rows: list[Row]) -> Param:
    kind = draw(
        st.sampled_from(
            [
                "status",
                "kind",
                "city",
                "postal",
                "tags",
                "archived",
                "email",
                "erp",
                "q",
                "number",
                "credit",
                "terms",
                "created",
                "updated",
                "bad",
            ]  # fmt: skip
        )
    )
    if kind == "status":
        values = draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3, unique=True))
        return "status", ",".join(values), lambda r: r["status"] in values
    if kind == "kind":
        value = draw(st.sampled_from(["COMPANY", "PERSON"]))
        return "kind", value, lambda r: r["kind"] == value
    if kind == "city":
        city = draw(st.sampled_from([c for c in CITIES if c]))
        return "city", city, lambda r: r["city"] == city
    if kind == "postal":
        codes = draw(st.lists(st.sampled_from([p for p in POSTAL if p]), min_size=1, max_size=2))
        return "postalCode", ",".join(codes), lambda r: r["postalCode"] in codes
    if kind == "tags":
        tags = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=2))
        return "tags", ",".join(tags), lambda r: bool(set(r["tags"]) & set(tags))
    if kind == "archived":
        flag = draw(st.booleans())
        return "archived", str(flag).lower(), lambda r: r["archived"] is flag
    if kind == "email":
        email = f"C{draw(st.integers(0, COUNT))}@Example.COM"
        return "email", email, lambda r: r["email"].lower() == email.lower()
    if kind == "erp":
        erp = draw(st.sampled_from(["sap", "ms"]))
        return "metadata.erp", erp, lambda r: r["metadata"].get("erp") == erp
    if kind == "q":
        q = draw(st.sampled_from(["ALP", "a", "ext-1", "lund", "1", "@example", "zz", "%", "_"]))
        return "q", q, lambda r: _searched(r, q)
    if kind == "number":
        return _range(draw, "number", list(range(0, COUNT + 2)), lambda r: r["number"])
    if kind == "credit":
        return _range(draw, "creditLimit", [c for c in CREDIT if c is not None],
                      lambda r: r["creditLimit"])  # fmt: skip
    if kind == "terms":
        return _range(draw, "paymentTerms", [t for t in TERMS if t is not None],
                      lambda r: r["paymentTerms"])  # fmt: skip
    if kind in ("created", "updated"):
        field = f"{kind}At"
        return _range(draw, field, _timestamps(rows), lambda r: _at(r[field]))
    return draw(
        st.sampled_from(
            [
                ("colour", "red", None),  # unknown field
                ("number[near]", "1", None),  # unknown operator
                ("creditLimit[gt]", "lots", None),  # malformed value
                ("status", "ZOMBIE", None),  # not an enum value
                ("name[gt]", "a", None),  # range on a text field
                ("number[between]", "5,1", None),  # bounds the wrong way round
                ("page", "0", None),
                ("limit", "201", None),
                ("archived", "maybe", None),
                ("createdAt[gte]", "yesterday", None),
            ]
        )
    )


def _searched(row: Row, q: str) -> bool:
    fields = ["name", "longName", "companyName", "firstName", "lastName", "email", "externalId",
              "city", "phone", "mobile"]  # fmt: skip
    texts = [str(row[f]) for f in fields if row[f]] + [str(row["number"])]
    return any(q.lower() in text.lower() for text in texts)


@st.composite
def a_sort(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[str] | None]:
    """Sort parameters and the terms they mean (None: a 400)."""
    style = draw(st.sampled_from(["none", "sort", "order", "bad"]))
    if style == "none":
        return [], ["-createdAt"]
    if style == "order":
        field = draw(st.sampled_from(SORTABLE))
        order = draw(st.sampled_from(["asc", "desc"]))
        return [("sort", field), ("order", order)], [("-" if order == "desc" else "") + field]
    if style == "bad":
        bad = draw(st.sampled_from(["vatNumber", "nope", "name,name", "-number,order"]))
        return [("sort", bad)], None
    names = draw(st.lists(st.sampled_from(SORTABLE), min_size=1, max_size=3, unique=True))
    terms = [("-" if draw(st.booleans()) else "") + name for name in names]
    return [("sort", ",".join(terms))], terms


# ---------------------------------------------------------------- the property


async def _walk(api: httpx.AsyncClient, params: list[tuple[str, str]], *, cursor: bool) -> Any:
    """Every page, by page number or by cursor: the ids in order, or the 400 answer."""
    first = await api.get("/clients", params=params)
    if first.status_code != 200:
        return first
    meta = first.json()["meta"]
    ids = [item["id"] for item in first.json()["data"]]
    if cursor:
        next_cursor = meta["nextCursor"]
        while next_cursor is not None:
            page = await api.get("/clients", params=[*params, ("cursor", next_cursor)])
            assert page.status_code == 200, page.text
            assert page.json()["data"], "a cursor is only given when more rows exist"
            ids += [item["id"] for item in page.json()["data"]]
            next_cursor = page.json()["meta"]["nextCursor"]
        return ids
    assert meta["pageCount"] == math.ceil(meta["total"] / meta["limit"])
    for number in range(2, meta["pageCount"] + 1):
        page = await api.get("/clients", params=[*params, ("page", str(number))])
        assert page.status_code == 200 and page.json()["meta"]["total"] == meta["total"]
        ids += [item["id"] for item in page.json()["data"]]
    assert len(ids) == meta["total"]
    return ids


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_lists_match_a_python_filter_and_sort(
    api: httpx.AsyncClient, dataset: list[Row], data: st.DataObject
) -> None:
    filters = data.draw(st.lists(a_filter(dataset), max_size=3, unique_by=lambda p: p[0]))
    sort_params, terms = data.draw(a_sort())
    limit = data.draw(st.integers(1, 7))
    deleted = data.draw(st.booleans())
    params = [(name, raw) for name, raw, _ in filters] + sort_params + [("limit", str(limit))]
    params += [("includeDeleted", "true")] if deleted else []
    checks = [check for _, _, check in filters]
    refused = terms is None or any(check is None for check in checks)

    by_pages = await _walk(api, params, cursor=False)
    by_cursor = await _walk(api, params, cursor=True)
    if refused:
        for answer in (by_pages, by_cursor):
            assert answer.status_code == 400, (params, answer.text)
            assert answer.json()["error"] == "VALIDATION_ERROR" and answer.json()["details"]
        return
    assert isinstance(by_pages, list), (params, by_pages.text)
    assert terms is not None
    expected = oracle(dataset, [c for c in checks if c is not None], terms, deleted)
    assert by_pages == expected, params
    assert by_cursor == expected, params
    assert len(set(by_cursor)) == len(by_cursor)


async def test_a_cursor_does_not_fit_another_query(
    api: httpx.AsyncClient, dataset: list[Row]
) -> None:
    first = await api.get("/clients", params={"limit": "2", "status": "ACTIVE,PROSPECT"})
    cursor = first.json()["meta"]["nextCursor"]
    assert cursor is not None
    for params in ({"status": "CLOSED"}, {"sort": "name"}, {"q": "a"}, {"includeDeleted": "true"}):
        r = await api.get("/clients", params={"limit": "2", "cursor": cursor, **params})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "cursor", params
    for broken in ("not a cursor", cursor[: len(cursor) // 2], "e30"):  # e30 = "{}"
        r = await api.get("/clients", params={"limit": "2", "cursor": broken})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "cursor", broken
