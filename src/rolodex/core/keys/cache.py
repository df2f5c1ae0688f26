"""Principals of recently seen API keys, kept for a few seconds per process.

Authenticating costs a query per request; most requests come from a handful of keys. An entry
lives `ttl` seconds (ROLODEX_KEY_CACHE_SECONDS, 5 by default; 0 turns the cache off). Revoking a
key drops its entry in the revoking process at once; another process (a CLI revoke, another
server worker) still admits the key until its entry expires, at most `ttl` seconds later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rolodex.core.principal import Principal

MAX_ENTRIES = 10_000


@dataclass
class PrincipalCache:
    """key hash -> (principal, monotonic expiry); bounded, oldest entries dropped first."""

    max_entries: int = MAX_ENTRIES
    _entries: dict[str, tuple[Principal, float]] = field(default_factory=dict)

    def get(self, digest: str) -> Principal | None:
        found = self._entries.get(digest)
        if found is None:
            return None
        if found[1] <= time.monotonic():
            self._entries.pop(digest, None)
            return None
        return found[0]

    def put(self, digest: str, principal: Principal, ttl: float) -> None:
        if ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._evict()
        self._entries[digest] = (principal, time.monotonic() + ttl)

    def drop(self, digest: str) -> None:
        self._entries.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()

    def _evict(self) -> None:
        moment = time.monotonic()
        for digest in [d for d, (_, expiry) in self._entries.items() if expiry <= moment]:
            del self._entries[digest]
        # Still full: drop the oldest tenth (dicts keep insertion order).
        excess = len(self._entries) - self.max_entries + 1
        if excess > 0:
            for digest in list(self._entries)[: max(excess, self.max_entries // 10)]:
                del self._entries[digest]


# One per process: every app and every revoke in the process share it.
PRINCIPALS = PrincipalCache()
