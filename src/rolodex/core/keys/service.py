"""API keys: create (the secret is shown once), revoke, authenticate."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.clock import now
from rolodex.core.errors import Invalid, NotFound, Unauthorized
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
    """Revoke a key; it stops working at once."""
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = now()
        await session.flush()
    return key


async def authenticate(session: AsyncSession, secret: str) -> Principal:
    """The principal for a presented secret, or Unauthorized."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        raise Unauthorized("Invalid API key")
    digest = hash_secret(secret)
    stmt = (
        select(ApiKey.id, ApiKey.key_hash, ApiKey.scope, ApiKey.revoked_at, Organization)
        .join(Organization, Organization.id == ApiKey.organization_id)
        .where(ApiKey.key_hash == digest)
    )
    row = (await session.execute(stmt)).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
        raise Unauthorized("Invalid API key")
    org: Organization = row.Organization
    return Principal(
        organization_id=org.id,
        organization_number=org.number,
        scope=Scope.parse(row.scope),
        key_id=row.id,
    )
