"""Large list totals are remembered for a few seconds (core/counts.py), through the real route.

The threshold is lowered to 3 rows here so that a handful of clients count as a large list.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant, count_statements
from tests.factories import client_body

from rolodex.core import counts
from rolodex.core.counts import COUNTS, CountCache, Counted


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(COUNTS, "threshold", 3)
    monkeypatch.setattr(COUNTS, "seconds", 60.0)
    COUNTS.clear()
    yield
    COUNTS.clear()


async def _create(api: httpx.AsyncClient, count: int, **fields: Any) -> None:
    for index in range(count):
        answer = await api.post(
            "/clients", json=client_body(**{"name": f"Client {index}", **fields})
        )
        assert answer.status_code == 201, answer.text


async def _meta(api: httpx.AsyncClient, query: str) -> dict[str, Any]:
    answer = await api.get(f"/clients?{query}")
    assert answer.status_code == 200, answer.text
    meta: dict[str, Any] = answer.json()["meta"]
    return meta


async def test_an_expired_total_is_counted_again_after_the_request(
    api: httpx.AsyncClient,
) -> None:
    await _create(api, 5)
    assert (await _meta(api, "limit=2"))["total"] == 5
    await _create(api, 1)
    for entry in COUNTS._entries.values():
        entry.expires = 0  # what time does
    assert (await _meta(api, "limit=2"))["total"] == 5, "the request does not wait for it"
    await asyncio.gather(*COUNTS._refreshes)
    assert (await _meta(api, "limit=2"))["total"] == 6


async def _expire_and_refresh(api: httpx.AsyncClient) -> None:
    for entry in COUNTS._entries.values():
        entry.expires = 0
    await _meta(api, "limit=2")
    await asyncio.gather(*COUNTS._refreshes)


@pytest.mark.postgres_only  # SQLite has no snapshot to compare: it always counts again
@pytest.mark.quiet_cluster  # a commit in another worker's database changes the snapshot
async def test_an_expired_total_is_not_counted_again_when_nothing_was_committed(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await _create(api, 5)
    assert (await _meta(api, "limit=2"))["total"] == 5  # counted with its snapshot
    # Up to three tries, as in test_search_cache: a commit elsewhere in the cluster moves the
    # snapshot, and the total is then rightly counted again, under the new one.
    for _ in range(3):
        with count_statements(engine) as statements:
            await _expire_and_refresh(api)
        if not [s for s in statements if "count(" in s.lower()]:
            break
    assert [s for s in statements if "pg_current_snapshot" in s]
    assert not [s for s in statements if "count(" in s.lower()], "nothing changed: not counted"
    assert (await _meta(api, "limit=2"))["total"] == 5
    # A commit from outside the app makes the next recount count again.
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE clients SET name = name || '!' WHERE name = 'Client 0'"))
    with count_statements(engine) as statements:
        await _expire_and_refresh(api)
    assert [s for s in statements if "count(" in s.lower()]
    await _create(api, 1)
    await _expire_and_refresh(api)
    assert (await _meta(api, "limit=2"))["total"] == 6


async def test_large_total_is_reused_until_it_expires(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await _create(api, 5)
    assert (await _meta(api, "limit=2"))["total"] == 5
    await _create(api, 1)
    with count_statements(engine) as statements:
        meta = await _meta(api, "limit=2")
    assert meta["total"] == 5, "a remembered total is answered"
    assert meta["pageCount"] == 3
    assert not [s for s in statements if "count(" in s.lower()], statements
    # The last page is known exactly whatever is remembered.
    assert (await _meta(api, "limit=2&page=3"))["total"] == 6
    COUNTS.clear()  # what expiry does
    assert (await _meta(api, "limit=2"))["total"] == 6


async def test_small_totals_are_always_exact(api: httpx.AsyncClient) -> None:
    await _create(api, 2, status="ACTIVE")
    await _create(api, 4, status="PROSPECT")
    assert (await _meta(api, "limit=1&status=ACTIVE"))["total"] == 2
    await _create(api, 1, status="ACTIVE")
    assert (await _meta(api, "limit=1&status=ACTIVE"))["total"] == 3


async def test_each_filter_and_search_has_its_own_total(api: httpx.AsyncClient) -> None:
    await _create(api, 4, status="ACTIVE")
    await _create(api, 5, status="PROSPECT")
    assert (await _meta(api, "limit=1&status=ACTIVE"))["total"] == 4
    assert (await _meta(api, "limit=1&status=PROSPECT"))["total"] == 5
    assert (await _meta(api, "limit=1&status=ACTIVE,PROSPECT"))["total"] == 9
    assert (await _meta(api, "limit=1&q=client"))["total"] == 9
    assert (await _meta(api, "limit=1&q=client%201"))["total"] == 2


async def test_tenants_never_share_a_total(
    api: httpx.AsyncClient, app: Any, other_tenant: Tenant
) -> None:
    await _create(api, 6)
    assert (await _meta(api, "limit=2"))["total"] == 6
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=str(api.base_url), headers=other_tenant.headers("write")
    ) as other:
        await _create(other, 4)
        assert (await _meta(other, "limit=2"))["total"] == 4


async def test_total_never_contradicts_the_page(api: httpx.AsyncClient) -> None:
    await _create(api, 4)
    assert (await _meta(api, "limit=2"))["total"] == 4
    await _create(api, 4)
    # The remembered 4 would end the list on page 2, but page 3 has rows and a next page.
    meta = await _meta(api, "limit=2&page=3")
    assert meta["total"] >= 7
    assert meta["nextCursor"] is not None


async def test_a_large_search_total_is_an_estimate_on_postgresql(
    api: httpx.AsyncClient, engine: AsyncEngine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "SEARCH_EXACT_UP_TO", 3)
    await _create(api, 8)
    with count_statements(engine) as statements:
        meta = await _meta(api, "limit=2&q=client")
    explained = [s for s in statements if s.startswith("EXPLAIN")]
    if backend == "postgresql":
        assert meta["total"] >= 4, "at least one more than the exact bound"
        assert len(explained) == 1
    else:
        assert meta["total"] == 8
        assert not explained
    # Under the bound the total is exact on both backends.
    await _create(api, 2, name="Rare Name")
    assert (await _meta(api, "limit=1&q=rare%20name"))["total"] == 2


@pytest.mark.postgres_only  # SQLite counts every search exactly
async def test_a_search_expected_far_past_the_bound_is_not_counted(
    api: httpx.AsyncClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "SEARCH_EXACT_UP_TO", 3)
    monkeypatch.setattr(counts, "SEARCH_SURELY_MORE", 0)  # every estimate is "far past"
    await _create(api, 6)
    with count_statements(engine) as statements:
        answer = await api.get("/clients?limit=2&sort=name&q=client")
    assert answer.status_code == 200, answer.text
    # The page is found by walking the sort's index, and no match is read to count.
    assert [c["name"] for c in answer.json()["data"]] == ["Client 0", "Client 1"]
    assert answer.json()["meta"]["total"] >= 4
    assert not any("MATERIALIZED" in s or "count(" in s.lower() for s in statements)
    assert len([s for s in statements if s.startswith("EXPLAIN")]) == 1
    # Its last page still knows the exact total.
    last = await api.get("/clients?limit=2&sort=name&q=client&page=3")
    assert [c["name"] for c in last.json()["data"]] == ["Client 4", "Client 5"]
    assert last.json()["meta"]["total"] == 6


# ---------------------------------------------------------------- the cache itself


@pytest.fixture
async def cache() -> AsyncIterator[CountCache]:
    yield CountCache(seconds=60.0, threshold=10)


async def test_one_count_at_a_time_per_statement(cache: CountCache) -> None:
    calls = 0
    release = asyncio.Event()

    async def count() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 50

    waiting = [asyncio.create_task(cache.total("key", count)) for _ in range(8)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [50] * 8
    assert calls == 1


async def test_a_stale_total_is_answered_while_one_request_refreshes(cache: CountCache) -> None:
    async def fifty() -> int:
        return 50

    assert await cache.total("key", fifty) == 50
    cache._entries["key"].expires = 0  # expired
    release = asyncio.Event()

    async def sixty() -> int:
        await release.wait()
        return 60

    refresher = asyncio.create_task(cache.total("key", sixty))
    await asyncio.sleep(0)
    assert await cache.total("key", sixty) == 50, "another request does not wait"
    release.set()
    assert await refresher == 60
    assert await cache.total("key", fifty) == 60


async def test_an_expired_total_is_counted_again_in_the_background(cache: CountCache) -> None:
    async def fifty() -> int:
        return 50

    assert await cache.total("key", fifty) == 50
    cache._entries["key"].expires = 0  # expired
    release = asyncio.Event()
    recounts = 0

    async def sixty(_since: str | None) -> Counted:
        nonlocal recounts
        recounts += 1
        await release.wait()
        return Counted(60, None)

    async def never() -> int:
        raise AssertionError("no request counts on its own connection")

    assert await cache.total("key", never, recount=sixty) == 50, "nobody waits"
    assert await cache.total("key", never, recount=sixty) == 50
    release.set()
    await asyncio.gather(*cache._refreshes)
    assert recounts == 1
    assert await cache.total("key", never, recount=sixty) == 60


async def test_a_failed_recount_is_tried_again_later(cache: CountCache) -> None:
    async def fifty() -> int:
        return 50

    async def failing(_since: str | None) -> Counted:
        raise TimeoutError("statement timeout")

    async def recount(_since: str | None) -> Counted:
        return Counted(50, None)

    assert await cache.total("key", fifty) == 50
    cache._entries["key"].expires = 0
    assert await cache.total("key", fifty, recount=failing) == 50
    await asyncio.gather(*cache._refreshes)
    assert await cache.total("key", fifty, recount=recount) == 50
    await asyncio.gather(*cache._refreshes)
    assert cache._entries["key"].expires > 0, "counted again"


async def test_a_total_nothing_has_changed_since_is_kept_without_counting(
    cache: CountCache,
) -> None:
    async def fifty() -> int:
        return 50

    asked: list[str | None] = []
    now = "10:12:"

    async def recount(since: str | None) -> Counted | None:
        asked.append(since)
        return None if since == now else Counted(55, now)

    assert await cache.total("key", fifty) == 50
    cache._entries["key"].expires = 0
    await cache.total("key", fifty, recount=recount)
    await asyncio.gather(*cache._refreshes)
    assert asked == [None], "the first count's snapshot is not known: counted again"
    assert await cache.total("key", fifty, recount=recount) == 55
    cache._entries["key"].expires = 0
    await cache.total("key", fifty, recount=recount)
    await asyncio.gather(*cache._refreshes)
    assert asked == [None, now]
    assert cache._entries["key"].expires > 0, "kept for another while"
    assert await cache.total("key", fifty, recount=recount) == 55


async def test_a_failed_count_leaves_the_waiters_to_count_for_themselves(
    cache: CountCache,
) -> None:
    release = asyncio.Event()

    async def failing() -> int:
        await release.wait()
        raise TimeoutError("statement timeout")

    async def fifty() -> int:
        return 50

    first = asyncio.create_task(cache.total("key", failing))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.total("key", fifty))
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(TimeoutError):
        await first
    assert await second == 50


async def test_small_totals_are_not_kept_and_the_cache_is_bounded() -> None:
    cache = CountCache(seconds=60.0, threshold=10, max_entries=20)

    async def five() -> int:
        return 5

    async def fifty() -> int:
        return 50

    assert await cache.total("small", five) == 5
    assert "small" not in cache._entries
    for index in range(100):
        await cache.total(index, fifty)
    assert len(cache._entries) <= 20
    assert 99 in cache._entries


async def test_zero_seconds_counts_every_time() -> None:
    cache = CountCache(seconds=0, threshold=10)
    totals = iter([50, 60])

    async def count() -> int:
        return next(totals)

    assert await cache.total("key", count) == 50
    assert await cache.total("key", count) == 60
