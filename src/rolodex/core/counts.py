"""Totals of large lists, remembered for a few seconds per process.

A page of 50 rows out of a million takes a couple of milliseconds to read; the exact `total`
beside it is an index scan over every match, hundreds of milliseconds. A total of at least
`threshold` matches is therefore kept for `seconds` (ROLODEX_COUNT_CACHE_SECONDS, 10 by default;
0 counts every time) per distinct count statement, that is per organization, filter set and `q`.
Smaller totals are always counted, so they are exact.

Only one request per process counts a given statement at a time: requests that arrive while it
runs are answered with the previous total (or, when there is none yet, wait for that count).
A total past its time is counted again in the background, on a connection of its own, by the
first request that finds it, which answers the previous total too: under load no request waits
for a recount (a count over a million rows took hundreds of milliseconds from every request
that came along while it ran, the slowest percent of a first page's answers). The price is a
`total` that may lag the data by up to `seconds` (and a recount) for lists of `threshold` rows
or more; `fetch_page` never lets it contradict the page itself.

A recount first asks whether anything was committed since the last count: on PostgreSQL a count
also answers the snapshot it ran under (`pg_current_snapshot()`, in the same statement), and
when the database's snapshot is still that one, no transaction that wrote has committed since
(see core/search_cache.py), so the total is still exact and is kept for another `seconds`
without counting. On a database that is only read (a reporting replica, a quiet night, the
benchmark's read scenarios) a large total is counted once; a recount of a million rows, 230 ms
of a core every `seconds` in each process, had been the slowest percent of a first page's
answers.

A search (`q`) is different: every fragment is a new statement, so remembering does not help,
and a common fragment matches tens of thousands of rows, each a heap fetch to confirm the
trigram index's guess (730 ms for one fragment at a million clients). On PostgreSQL a search
therefore counts at most SEARCH_EXACT_UP_TO + 1 matches; past that its `total` is the planner's
estimate of the matches (`estimated_rows`), never less than what was counted. The estimate is
asked first: a search expected past SEARCH_SURELY_MORE is not counted at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

log = logging.getLogger("rolodex")

THRESHOLD = 10_000
DEFAULT_SECONDS = 10.0
MAX_ENTRIES = 2_000
# Up to this many matches a search's page is found by reading them all (the trigram indexes,
# then the heap) and sorting; past it, by walking the sort's index until the page is full.
# The first costs a heap row per match, the second about (page size x rows / matches): at a
# million clients they meet near 4,600 matches. 1,000 left searches with 1,000 to 4,000
# matches walking up to 21,000 rows (270 ms); 3,000 halved the slowest of the benchmark's.
SEARCH_EXACT_UP_TO = 3_000
# A search the planner expects to match more than this is taken to have more than
# SEARCH_EXACT_UP_TO without reading them: over the benchmark's 291 fragments at a million
# clients the estimate was off by up to 7 times (16,283 expected, 2,254 found), and reading the
# first 3,001 matches of a common fragment cost 60 to 200 ms where its page costs 1.
SEARCH_SURELY_MORE = 10 * SEARCH_EXACT_UP_TO

# The PostgreSQL snapshot of the statement that reads it (in READ COMMITTED, each statement's
# own): equal snapshots see the same committed rows (core/search_cache.py).
SNAPSHOT = "SELECT pg_current_snapshot()::text"


class Counted(NamedTuple):
    """A total, and the database snapshot it was counted under (None when not known)."""

    total: int
    snapshot: str | None


# count() -> the total, with the snapshot it was counted under when known.
Count = Callable[[], Awaitable[int | Counted]]
# recount(snapshot of the last count) -> a new count, or None when the database's snapshot is
# still that one (nothing committed since: the total stands).
Recount = Callable[[str | None], Awaitable[Counted | None]]


@dataclass(slots=True)
class _Entry:
    total: int
    expires: float
    refreshing: bool = False
    snapshot: str | None = None  # what the total was counted under, when known


@dataclass
class CountCache:
    """count statement key -> its last large total; bounded, oldest entries dropped first."""

    seconds: float = DEFAULT_SECONDS
    threshold: int = THRESHOLD
    max_entries: int = MAX_ENTRIES
    _entries: dict[Hashable, _Entry] = field(default_factory=dict)
    _pending: dict[Hashable, asyncio.Future[int]] = field(default_factory=dict)
    _refreshes: set[asyncio.Task[None]] = field(default_factory=set)

    async def total(
        self,
        key: Hashable | None,
        count: Count,
        *,
        recount: Recount | None = None,
    ) -> int:
        """The total for `key`: remembered when it is large and recent, else `count()`'s.

        An expired total is counted again by the first request that finds it: with `recount`
        (a count on a connection of its own, unless nothing was committed since the last) in
        the background, that request too answering the remembered total; without, by that
        request itself."""
        if key is None or self.seconds <= 0:
            return _counted(await count()).total
        entry = self._entries.get(key)
        if entry is not None:
            if entry.refreshing or entry.expires > time.monotonic():
                return entry.total
            entry.refreshing = True
            if recount is not None:
                task = asyncio.create_task(self._refresh(key, entry, recount))
                self._refreshes.add(task)  # kept referenced until it is done
                task.add_done_callback(self._refreshes.discard)
                return entry.total
            try:
                return await self._count(key, count)
            finally:
                entry.refreshing = False
        pending = self._pending.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except Exception:  # the first counter failed (a timeout, say): count on our own
                return _counted(await count()).total
        return await self._first(key, count)

    async def _refresh(self, key: Hashable, entry: _Entry, recount: Recount) -> None:
        try:
            counted = await recount(entry.snapshot)
            if counted is None:  # nothing committed since it was counted: still exact
                entry.expires = time.monotonic() + self.seconds
            else:
                self._keep(key, counted)
        except Exception as exc:  # the next request after expiry tries again
            log.warning("a list total could not be counted again: %s", type(exc).__name__)
        finally:
            entry.refreshing = False

    async def _first(self, key: Hashable, count: Count) -> int:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            total = await self._count(key, count)
        except BaseException as exc:
            if isinstance(exc, Exception):
                future.set_exception(exc)
                future.exception()  # retrieved: no "never retrieved" warning without waiters
            else:
                future.cancel()
            raise
        else:
            future.set_result(total)
            return total
        finally:
            self._pending.pop(key, None)

    async def _count(self, key: Hashable, count: Count) -> int:
        counted = _counted(await count())
        self._keep(key, counted)
        return counted.total

    def _keep(self, key: Hashable, counted: Counted) -> None:
        if counted.total >= self.threshold:
            self._store(key, counted.total, counted.snapshot)
        else:
            self._entries.pop(key, None)

    def _store(self, key: Hashable, total: int, snapshot: str | None = None) -> None:
        if key not in self._entries and len(self._entries) >= self.max_entries:
            # Dicts keep insertion order: drop the oldest tenth.
            for old in list(self._entries)[: max(1, self.max_entries // 10)]:
                del self._entries[old]
        self._entries[key] = _Entry(total, time.monotonic() + self.seconds, snapshot=snapshot)

    def clear(self) -> None:
        self._entries.clear()


def _counted(found: int | Counted) -> Counted:
    return found if isinstance(found, Counted) else Counted(found, None)


# One per process, configured from the settings when an app is made.
COUNTS = CountCache()


# ---------------------------------------------------------------- planner estimates


class _Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <statement>`, with the statement's own bound values."""

    inherit_cache = False

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


async def estimated_rows(session: AsyncSession, statement: Select[Any]) -> int:
    """PostgreSQL's estimate of how many rows `statement` returns (planning only, no rows read)."""
    plan = (await session.execute(_Explain(statement))).scalar_one()
    if isinstance(plan, str | bytes):
        plan = orjson.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
