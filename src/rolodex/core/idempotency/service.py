"""Idempotency keys: the first answer to a POST is kept for 24 hours and replayed on a retry.

A key is claimed in its own short, committed transaction before the request runs (the unique
(organization_id, key) index lets exactly one of two concurrent claims win), the answer is stored
after it, and a claim whose request failed with a 5xx is dropped so that a retry can run again.
A claim left behind by a crashed process is taken over once it is older than STALE_AFTER.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.clock import now
from rolodex.core.errors import Conflict, FieldIssue
from rolodex.core.idempotency import repository
from rolodex.core.idempotency.models import IdempotencyKey
from rolodex.core.ids import new_id
from rolodex.core.principal import Principal

TTL = timedelta(hours=24)
STALE_AFTER = timedelta(minutes=2)
PRUNE_ONE_IN = 50  # claims that also delete the organization's expired keys
MAX_KEY_LENGTH = 255


class KeyInProgress(Conflict):
    """Another request with this key has not finished yet."""


@dataclass(frozen=True, slots=True)
class Stored:
    """A finished request's answer, to replay."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Claimed:
    """This request holds the key: run it, then `finish` or `release`."""

    claim: UUID


def mismatch(key: str) -> Conflict:
    return Conflict(
        f"Idempotency-Key {key!r} was already used for a different request (route or body)",
        details=[FieldIssue("Idempotency-Key", "used for a different request")],
    )


async def claim(
    session: AsyncSession,
    principal: Principal,
    key: str,
    *,
    method: str,
    path: str,
    request_hash: str,
) -> Claimed | Stored:
    """Claim the key for this request, or the stored answer of its first use (to replay).

    Conflict when the key was used for another request; KeyInProgress while its first use runs.
    """
    moment = now()
    fresh: dict[str, Any] = {
        "method": method,
        "path": path[:2048],
        "request_hash": request_hash,
        "state": "in_progress",
        "claim": new_id(),
        "status": None,
        "response_headers": {},
        "response_body": None,
        "created_at": moment,
        "expires_at": moment + TTL,
    }
    if random.randrange(PRUNE_ONE_IN) == 0:
        await repository.delete_expired(session, principal, moment)
    if await repository.insert_new(session, principal, {"key": key, "id": new_id(), **fresh}):
        return Claimed(fresh["claim"])
    row = await repository.get(session, principal, key)
    if row is None:  # deleted (released or pruned) between the two statements: try once more
        if await repository.insert_new(session, principal, {"key": key, "id": new_id(), **fresh}):
            return Claimed(fresh["claim"])
        raise KeyInProgress(f"A request with Idempotency-Key {key!r} is in progress")
    if row.expires_at <= moment:  # an expired key is a new key
        return await _take_over(session, principal, key, row, fresh)
    if row.request_hash != request_hash:
        raise mismatch(key)
    if row.state == "done" and row.status is not None:
        return Stored(row.status, dict(row.response_headers or {}), row.response_body or b"")
    if row.created_at <= moment - STALE_AFTER:  # its process died before finishing
        return await _take_over(session, principal, key, row, fresh)
    raise KeyInProgress(f"A request with Idempotency-Key {key!r} is in progress; retry shortly")


async def _take_over(
    session: AsyncSession,
    principal: Principal,
    key: str,
    row: IdempotencyKey,
    fresh: dict[str, Any],
) -> Claimed:
    if not await repository.set_values(session, principal, key, fresh, claim=row.claim):
        raise KeyInProgress(f"A request with Idempotency-Key {key!r} is in progress")
    return Claimed(fresh["claim"])


async def finish(
    session: AsyncSession, principal: Principal, key: str, claimed: Claimed, answer: Stored
) -> None:
    """Store the answer of the request that holds the key."""
    await repository.set_values(
        session,
        principal,
        key,
        {
            "state": "done",
            "status": answer.status,
            "response_headers": answer.headers,
            "response_body": answer.body,
        },
        claim=claimed.claim,
    )


async def release(session: AsyncSession, principal: Principal, key: str, claimed: Claimed) -> None:
    """Give the key up (the request failed with a 5xx): a retry runs afresh."""
    await repository.delete_claimed(session, principal, key, claimed.claim)
