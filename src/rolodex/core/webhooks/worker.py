"""The delivery worker: fans new events out to webhooks and POSTs them, signed, in order.

Each pass (`run_once`):

1. fan-out: for each enabled webhook whose cursor is behind its organization's feed, turn the
   matching new events into pending deliveries and move the cursor (one transaction, the
   webhook rows locked with SKIP LOCKED so two workers never fan out the same webhook);
2. claim: pick due deliveries that are the oldest pending one of their webhook, give each a
   claim token, a lease (`locked_until`) and an attempt row, and COMMIT;
3. deliver: POST outside any transaction;
4. report: in a new transaction, complete the attempt and, if the claim token still holds the
   delivery, mark it succeeded or schedule the retry (or give up after 3 days and disable the
   webhook).

A worker that dies between 2 and 4 leaves a claimed delivery whose lease runs out; the next
claim marks that attempt abandoned and tries again, so nothing is lost. Leases are much longer
than the HTTP timeout, so a live worker reports long before anyone else may claim its delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.core import clock, statistics
from rolodex.core.db import dumps, session_scope
from rolodex.core.events import catalog
from rolodex.core.events import repository as events_repository
from rolodex.core.events import service as events_service
from rolodex.core.events.models import Event
from rolodex.core.ids import new_id
from rolodex.core.webhooks import repository, signing, urls
from rolodex.core.webhooks.models import Attempt, Delivery
from rolodex.settings import Settings

log = logging.getLogger("rolodex.webhooks")

LEASE = timedelta(seconds=60)
GIVE_UP_AFTER = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(hours=1)
CLAIM_BATCH = 50
FAN_OUT_WEBHOOKS = 100
FAN_OUT_EVENTS = 500
MAX_ROUNDS = 200
PRUNE_EVERY = timedelta(hours=1)
USER_AGENT = "Rolodex-Webhooks/1.0"


def retry_delay(attempt: int) -> timedelta:
    """After failed attempt n: 10 s, 20 s, 40 s, ... doubling, at most an hour."""
    delay: timedelta = FIRST_RETRY * 2 ** min(max(attempt - 1, 0), 20)
    return min(delay, LONGEST_RETRY)


@dataclass(frozen=True, slots=True)
class Claim:
    """One claimed delivery: everything needed to send it and report back."""

    delivery_id: UUID
    attempt_id: UUID
    token: UUID
    attempt: int
    webhook_id: UUID
    event_id: UUID
    event_type: str
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    response_code: int | None
    error: str | None
    duration_ms: int


def _delivery_row(
    organization_id: UUID, webhook_id: UUID, event: Event, at: datetime
) -> dict[str, object]:
    return {
        "id": new_id(),
        "organization_id": organization_id,
        "webhook_id": webhook_id,
        "event_id": event.id,
        "event_type": event.type,
        "sequence": event.sequence,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
        "updated_at": at,
    }


class Worker:
    """Delivers webhooks for every organization; any number may run against one database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        now: Callable[[], datetime] = clock.now,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.now = now
        self._http = http
        self._owns_http = http is None
        self._last_prune: datetime | None = None
        self._last_statistics: datetime | None = None
        self._analysed_before = False

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            timeout = httpx.Timeout(self.settings.webhook_timeout_seconds)
            self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None and self._owns_http:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> Worker:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------ the loop

    async def run_once(self) -> int:
        """Fan out, then deliver everything due, round after round; answers the attempts made."""
        await self.maybe_prune()
        await self.maybe_refresh_statistics()
        for _ in range(MAX_ROUNDS):
            if not await self.fan_out():
                break
        attempts = 0
        for _ in range(MAX_ROUNDS):
            claims = await self.claim()
            if not claims:
                break
            await asyncio.gather(*(self.process(c) for c in claims))
            attempts += len(claims)
        return attempts

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Pass after pass until `stop` is set; an idle pass waits the poll interval."""
        log.info("webhook worker started")
        try:
            while not stop.is_set():
                try:
                    busy = await self.run_once()
                except Exception:  # the database may be down for a moment: keep going
                    log.exception("webhook worker pass failed")
                    busy = 0
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.settings.worker_poll_seconds)
        finally:
            await self.aclose()
            log.info("webhook worker stopped")

    async def maybe_prune(self) -> int:
        """Apply the event retention, at most once an hour."""
        at = self.now()
        if self.settings.event_retention_days is None:
            return 0
        if self._last_prune is not None and at - self._last_prune < PRUNE_EVERY:
            return 0
        self._last_prune = at
        async with session_scope(self.sessions) as session:
            pruned = await events_service.prune(
                session, retention_days=self.settings.event_retention_days, at=at
            )
        if pruned:
            log.info(
                "pruned %d events older than %d days", pruned, self.settings.event_retention_days
            )
        return pruned

    async def maybe_refresh_statistics(self) -> list[str]:
        """Keep the planner's statistics current where autovacuum is off (core/statistics.py),
        at most every `statistics.STATS_EVERY`; answers the tables analysed."""
        if not self.settings.analyze_without_autovacuum:
            return []
        at, last = self.now(), self._last_statistics
        if last is not None and at - last < statistics.STATS_EVERY:
            return []
        self._last_statistics = at
        async with self.sessions() as session:
            analysed = await statistics.refresh(session)
        if analysed and not self._analysed_before:  # once: with steady writes, every pass
            self._analysed_before = True
            log.info(
                "PostgreSQL's autovacuum is off: analysing tables as they change "
                "(ROLODEX_ANALYZE_WITHOUT_AUTOVACUUM)"
            )
        if analysed:
            log.debug("analysed %s", ", ".join(analysed))
        return analysed

    # ------------------------------------------------------------ 1. fan-out

    async def fan_out(self) -> int:
        """Turn new events into deliveries for the webhooks that want them.

        Answers how many events it moved cursors past (0 when every webhook is caught up).
        """
        scanned = 0
        async with session_scope(self.sessions) as session:
            at = self.now()
            for hook in await repository.webhooks_behind(session, FAN_OUT_WEBHOOKS):
                events = await events_repository.after_sequence(
                    session, hook.organization_id, hook.cursor, FAN_OUT_EVENTS
                )
                wanted = [e for e in events if catalog.matches(hook.events, e.type)]
                await repository.insert_deliveries(
                    session, [_delivery_row(hook.organization_id, hook.id, e, at) for e in wanted]
                )
                if events:
                    hook.cursor = int(events[-1].sequence or hook.cursor)
                scanned += len(events)
        return scanned

    # ------------------------------------------------------------ 2. claim

    async def claim(self) -> list[Claim]:
        """Claim due deliveries (committed before anything is sent)."""
        async with session_scope(self.sessions) as session:
            at = self.now()
            deliveries = await repository.claimable(session, at, CLAIM_BATCH)
            if not deliveries:
                return []
            expired = [d.id for d in deliveries if d.claim_token is not None]
            await repository.abandon_attempts(session, expired)
            hooks = await repository.webhooks_by_ids(session, {d.webhook_id for d in deliveries})
            events = await events_repository.by_ids(session, {d.event_id for d in deliveries})
            claims = [
                self._claim_one(
                    session,
                    d,
                    hooks[d.webhook_id].url,
                    hooks[d.webhook_id].secret,
                    events_service.to_read(events[d.event_id]),
                    at,
                )
                for d in deliveries
            ]
            await session.flush()
        return claims

    def _claim_one(
        self,
        session: AsyncSession,
        delivery: Delivery,
        url: str,
        secret: str,
        payload: dict[str, object],
        at: datetime,
    ) -> Claim:
        delivery.attempts += 1
        delivery.claim_token = new_id()
        delivery.locked_until = at + LEASE
        delivery.first_attempt_at = delivery.first_attempt_at or at
        delivery.last_attempt_at = delivery.updated_at = at
        attempt = Attempt(
            id=new_id(),
            organization_id=delivery.organization_id,
            delivery_id=delivery.id,
            attempt=delivery.attempts,
            status="sending",
            started_at=at,
        )
        session.add(attempt)
        return Claim(
            delivery_id=delivery.id,
            attempt_id=attempt.id,
            token=delivery.claim_token,
            attempt=delivery.attempts,
            webhook_id=delivery.webhook_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            url=url,
            secret=secret,
            body=dumps(payload),
        )

    # ------------------------------------------------------------ 3. deliver, 4. report

    async def process(self, claim: Claim) -> Outcome:
        """Send one claimed delivery and report the outcome."""
        outcome = await self.send(claim)
        try:
            await self.report(claim, outcome)
        except Exception:  # the lease runs out and another pass retries: nothing is lost
            log.exception("could not record the outcome of delivery %s", claim.delivery_id)
        return outcome

    async def send(self, claim: Claim) -> Outcome:
        """POST the event, signed; any 2xx answer is a success."""
        started = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - started) * 1000)

        if self.settings.webhook_deny_private and (reason := await urls.blocked_reason(claim.url)):
            return Outcome(False, None, f"not sent: {reason}", took())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            signing.HEADER: signing.header(claim.secret, claim.body),
            "Rolodex-Event-Id": str(claim.event_id),
            "Rolodex-Event-Type": claim.event_type,
            "Rolodex-Delivery-Id": str(claim.delivery_id),
            "Rolodex-Delivery-Attempt": str(claim.attempt),
        }
        try:
            async with self.http.stream(
                "POST", claim.url, content=claim.body, headers=headers
            ) as r:
                code = r.status_code
        except Exception as exc:  # any failure to send (bad URL, TLS, reset) is a failed attempt
            return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:1000], took())
        ok = 200 <= code < 300
        return Outcome(ok, code, None if ok else f"HTTP {code}", took())

    async def report(self, claim: Claim, outcome: Outcome) -> None:
        """Record the attempt; settle or reschedule the delivery if this claim still holds it."""
        async with session_scope(self.sessions) as session:
            at = self.now()
            attempt = await repository.get_attempt(session, claim.attempt_id)
            if attempt is not None:
                attempt.status = "succeeded" if outcome.ok else "failed"
                attempt.duration_ms = outcome.duration_ms
                attempt.response_code = outcome.response_code
                attempt.error = outcome.error
            delivery = await repository.claimed(session, claim.delivery_id, claim.token)
            if delivery is None:
                log.warning("delivery %s: lease lost before reporting", claim.delivery_id)
                return
            delivery.locked_until = delivery.claim_token = None
            delivery.last_response_code = outcome.response_code
            delivery.last_error = outcome.error
            delivery.updated_at = at
            if outcome.ok:
                delivery.status = "succeeded"
            elif at - (delivery.first_attempt_at or at) >= GIVE_UP_AFTER:
                delivery.status = "failed"
                await self._disable(session, delivery, outcome, at)
            else:
                delivery.next_attempt_at = at + retry_delay(delivery.attempts)
                if attempt is not None:
                    attempt.next_retry_at = delivery.next_attempt_at

    async def _disable(
        self, session: AsyncSession, delivery: Delivery, outcome: Outcome, at: datetime
    ) -> None:
        hook = await repository.get_webhook(session, delivery.webhook_id)
        if hook is None or not hook.enabled:
            return
        hook.enabled = False
        hook.disabled_at = hook.updated_at = at
        hook.disabled_reason = (
            f"deliveries failed for 3 days (event {delivery.event_id}, "
            f"{delivery.attempts} attempts; last: {outcome.error})"
        )
        log.warning("webhook %s disabled: %s", hook.id, hook.disabled_reason)
