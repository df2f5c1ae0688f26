"""Pages of searches, remembered per process for as long as the database has not changed.

A search (`q`) reads its matches from trigram indexes and confirms each in the table: at a
million clients a fragment costs 5 to 60 ms of PostgreSQL, where the page of a plain list costs
under one. The same searches come again and again (a front's search box, an integration polling
for a name), so a page once found is kept, and kept exactly as long as it is right.

"As long as it is right" is decided by the database, not by a clock: a page is kept under the
PostgreSQL snapshot (`pg_current_snapshot()`) read before the search ran. A snapshot names the
transactions that had committed when it was taken (all below `xmax` but those in its list of
running ones), so two equal snapshots see the same rows, and every commit (of any transaction
that wrote, in any table, by any process) makes every later snapshot differ from all earlier
ones. A request whose snapshot equals the one a page was kept under has seen no commit since
that page's snapshot, and the page saw at least those commits (more, when some landed while the
search ran, after the request began): never an answer older than the request. After any write
the next search reads again. Nothing to invalidate, no notification, no lock for writers.

Bounded by entries (`max_entries`, ROLODEX_SEARCH_CACHE_ENTRIES, 0 keeps nothing), the least
recently used go first; each search keeps only its latest page, so a changed database replaces
entries instead of adding to them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from rolodex.core.counts import SNAPSHOT
from rolodex.core.db import ReadPool
from rolodex.core.listing import Page


@dataclass
class SearchCache:
    """search key -> (snapshot, its page): the key stands for the tenant and the whole query."""

    max_entries: int = 1024
    _entries: OrderedDict[Hashable, tuple[str, Page[Any]]] = field(default_factory=OrderedDict)

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def get(self, key: Hashable, snapshot: str) -> Page[Any] | None:
        found = self._entries.get(key)
        if found is None or found[0] != snapshot:
            return None
        self._entries.move_to_end(key)
        return found[1]

    def put(self, key: Hashable, snapshot: str, page: Page[Any]) -> None:
        if not self.enabled:
            return
        self._entries.pop(key, None)
        self._entries[key] = (snapshot, page)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    async def page(
        self, pool: ReadPool, key: Hashable, search: Callable[[], Awaitable[Page[Any]]]
    ) -> Page[Any]:
        """The search's page: the one kept under the current snapshot, else `search()`'s, kept
        under the snapshot read before it ran."""
        if not self.enabled:
            return await search()
        row = await pool.fetchrow(SNAPSHOT)
        snapshot = str(row[0]) if row is not None else ""  # always one row
        found = self.get(key, snapshot)
        if found is None:
            found = await search()
            self.put(key, snapshot, found)
        return found


SEARCHES = SearchCache()
