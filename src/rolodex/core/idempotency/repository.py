"""Idempotency-key statements: every one scoped to the caller's organization."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.idempotency.models import IdempotencyKey
from rolodex.core.principal import Principal


def scoped(principal: Principal) -> Select[Any]:
    """The one place idempotency keys are filtered by tenant."""
    return select(IdempotencyKey).where(IdempotencyKey.organization_id == principal.organization_id)


async def insert_new(session: AsyncSession, principal: Principal, values: dict[str, Any]) -> bool:
    """Insert the key unless the organization has it already; True when inserted."""
    bind = session.get_bind()
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(IdempotencyKey)
        .values(organization_id=principal.organization_id, **values)
        .on_conflict_do_nothing(index_elements=["organization_id", "key"])
        .returning(IdempotencyKey.id)
    )
    return (await session.execute(stmt)).first() is not None


async def get(session: AsyncSession, principal: Principal, key: str) -> IdempotencyKey | None:
    stmt = scoped(principal).where(IdempotencyKey.key == key)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def set_values(
    session: AsyncSession,
    principal: Principal,
    key: str,
    values: dict[str, Any],
    *,
    claim: UUID | None = None,
) -> bool:
    """Update the key (only while `claim` holds it, when given); True when a row changed."""
    stmt = update(IdempotencyKey).where(
        IdempotencyKey.organization_id == principal.organization_id, IdempotencyKey.key == key
    )
    if claim is not None:
        stmt = stmt.where(IdempotencyKey.claim == claim)
    result = await session.execute(
        stmt.values(**values).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def delete_claimed(
    session: AsyncSession, principal: Principal, key: str, claim: UUID
) -> None:
    await session.execute(
        delete(IdempotencyKey)
        .where(
            IdempotencyKey.organization_id == principal.organization_id,
            IdempotencyKey.key == key,
            IdempotencyKey.claim == claim,
        )
        .execution_options(synchronize_session=False)
    )


async def delete_expired(session: AsyncSession, principal: Principal, moment: datetime) -> None:
    await session.execute(
        delete(IdempotencyKey)
        .where(
            IdempotencyKey.organization_id == principal.organization_id,
            IdempotencyKey.expires_at <= moment,
        )
        .execution_options(synchronize_session=False)
    )
