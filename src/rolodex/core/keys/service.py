"""API keys: create (the secret is shown once), revoke, authenticate."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.core.clock import now
from rolodex.core.errors import Invalid, NotFound, Unauthorized
from rolodex.core.keys.cache import PRINCIPALS
from rolodex.core.keys.models import ApiKey
from rolodex.core.orgs import service as orgs_service
from rolodex.core.orgs.models import Organization
from rolodex.core.principal import Principal, Scope

KEY_PREFIX = "rdx_"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str
    organization: Organization


def hash_secret(secret: str) -> str:
    # The secret has 256 bits of entropy, so a fast hash is enough (no password stretching).
    return hashlib.sha256(secret.encode()).hexdigest()


async def create(
    session: AsyncSession, *, organization_id: UUID, scope: str = "write", name: str | None = None
) -> CreatedKey:
    """Create a key for the organization; the secret exists only in the return value."""
    try:
        parsed = Scope.parse(scope)
    except KeyError:
        raise Invalid.field("scope", "must be one of read, write, admin") from None
    org = await orgs_service.get(session, organization_id)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        organization_id=org.id,
        name=name,
        scope=parsed.label,
        prefix=secret[:12],
        key_hash=hash_secret(secret),
    )
    session.add(key)
    await session.flush()
    return CreatedKey(key=key, secret=secret, organization=org)


async def revoke(session: AsyncSession, key_id: UUID) -> ApiKey:
    """Revoke a key; it stops working at once in this process, and in others once their
    cached principal expires (ROLODEX_KEY_CACHE_SECONDS)."""
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = now()
        await session.flush()
    digest = key.key_hash
    PRINCIPALS.drop(digest)
    # A request between this drop and the commit could cache the key again: drop it after too.
    event.listen(
        session.sync_session, "after_commit", lambda _s: PRINCIPALS.drop(digest), once=True
    )
    return key


async def authenticate(session: AsyncSession, secret: str) -> Principal:
    """The principal for a presented secret, or Unauthorized."""
    return await _lookup(session, _digest(secret))


async def authenticate_cached(
    sessions: async_sessionmaker[AsyncSession], secret: str, *, cache_seconds: float
) -> Principal:
    """Like `authenticate`, but a key seen in the last `cache_seconds` is answered from this
    process's cache; otherwise a session of `sessions` (its own, closed at once) looks it up."""
    digest = _digest(secret)
    if cache_seconds > 0 and (cached := PRINCIPALS.get(digest)) is not None:
        return cached
    async with sessions() as session:
        principal = await _lookup(session, digest)
    PRINCIPALS.put(digest, principal, cache_seconds)
    return principal


def cached(secret: str) -> Principal | None:
    """The principal this process's cache holds for `secret`, or None (not seen lately, or not
    a key at all): for callers that can fall back on `authenticate_cached`."""
    return PRINCIPALS.get(hash_secret(secret)) if _well_formed(secret) else None


def _digest(secret: str) -> str:
    if not _well_formed(secret):
        raise Unauthorized("Invalid API key")
    return hash_secret(secret)


def _well_formed(secret: str) -> bool:
    return secret.startswith(KEY_PREFIX) and len(secret) <= 200


async def _lookup(session: AsyncSession, digest: str) -> Principal:
    stmt = (
        select(
            ApiKey.id,
            ApiKey.key_hash,
            ApiKey.scope,
            ApiKey.revoked_at,
            Organization.id.label("organization_id"),
            Organization.number.label("organization_number"),
        )
        .join(Organization, Organization.id == ApiKey.organization_id)
        .where(ApiKey.key_hash == digest)
    )
    row = (await session.execute(stmt)).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
        raise Unauthorized("Invalid API key")
    return Principal(
        organization_id=row.organization_id,
        organization_number=row.organization_number,
        scope=Scope.parse(row.scope),
        key_id=row.id,
    )
