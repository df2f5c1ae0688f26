"""Per-key rate limits (the `limits` library): in memory, or in Redis shared by every process."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from rolodex.core.errors import RateLimited
from rolodex.settings import Settings

log = logging.getLogger("rolodex.ratelimit")


class RateLimit:
    """Counts requests per API key and answers the X-RateLimit-* headers."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.item: RateLimitItem = parse(settings.rate_limit)
        storage: Storage
        if settings.redis_url:
            url = settings.redis_url.replace("redis://", "async+redis://", 1)
            url = url.replace("rediss://", "async+rediss://", 1)
            # redis-py's asyncio client; errors wrapped so that an outage is one exception type.
            storage = RedisStorage(url, implementation="redispy", wrap_exceptions=True)
        else:
            storage = MemoryStorage()
        self.limiter = SlidingWindowCounterRateLimiter(storage)

    async def hit(self, key_id: str) -> dict[str, str]:
        """Count one request; raise RateLimited when the key is over its limit."""
        if not self.enabled:
            return {}
        try:
            allowed = await self.limiter.hit(self.item, key_id)
            stats = await self.limiter.get_window_stats(self.item, key_id)
        except StorageError as exc:
            # A rate limiter that is down must not take the API down with it: fail open.
            log.warning("rate-limit storage unavailable, request not counted: %s", exc)
            return {}
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        headers = {
            "X-RateLimit-Limit": str(self.item.amount),
            "X-RateLimit-Remaining": str(max(0, stats.remaining)),
            "X-RateLimit-Reset": str(reset),
        }
        if not allowed:
            raise RateLimited(
                f"Rate limit of {self.item} exceeded for this API key",
                retry_after=max(1, reset),
                headers=headers,
            )
        return headers
