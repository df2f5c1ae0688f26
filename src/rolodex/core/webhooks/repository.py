"""Webhook queries. API reads start from `scoped(principal)`; the worker's span organizations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rolodex.core import listing
from rolodex.core.events.models import Event
from rolodex.core.listing import FieldKind, ListField, ListSpec
from rolodex.core.principal import Principal
from rolodex.core.webhooks.models import Attempt, Delivery, Webhook

STATUSES = ("pending", "succeeded", "failed")


def scoped(principal: Principal) -> Select[Webhook]:
    """The one place webhooks are filtered by tenant."""
    return select(Webhook).where(Webhook.organization_id == principal.organization_id)


def scoped_deliveries(principal: Principal) -> Select[Delivery]:
    """The one place deliveries are filtered by tenant."""
    return select(Delivery).where(Delivery.organization_id == principal.organization_id)


async def get(
    session: AsyncSession, principal: Principal, webhook_id: UUID, *, for_update: bool = False
) -> Webhook | None:
    stmt = scoped(principal).where(Webhook.id == webhook_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


WEBHOOK_SPEC = ListSpec(
    fields={
        f.name: f
        for f in [
            ListField("id", Webhook.id, FieldKind.UUID, nullable=False),
            ListField("enabled", Webhook.enabled, FieldKind.BOOLEAN, nullable=False),
            ListField("url", Webhook.url, FieldKind.STRING, sort=True, nullable=False),
            ListField(
                "createdAt",
                Webhook.created_at,
                FieldKind.DATETIME,
                range=True,
                sort=True,
                nullable=False,
            ),
        ]
    },
    id_column=Webhook.id,
    default_sort=("-createdAt",),
    updated_column_name=None,
)


async def list_page(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> listing.Page[Webhook]:
    return await listing.fetch_page(session, scoped(principal), WEBHOOK_SPEC, query)


DELIVERY_SPEC = ListSpec(
    fields={
        f.name: f
        for f in [
            ListField(
                "status", Delivery.status, FieldKind.ENUM, enum_values=STATUSES, nullable=False
            ),
            ListField("eventType", Delivery.event_type, FieldKind.STRING, nullable=False),
            ListField("eventId", Delivery.event_id, FieldKind.UUID, nullable=False),
            ListField(
                "sequence",
                Delivery.sequence,
                FieldKind.INTEGER,
                range=True,
                sort=True,
                nullable=False,
            ),
            ListField(
                "createdAt",
                Delivery.created_at,
                FieldKind.DATETIME,
                range=True,
                sort=True,
                nullable=False,
            ),
        ]
    },
    id_column=Delivery.id,
    default_sort=("-sequence",),
    updated_column_name=None,
)


async def deliveries_page(
    session: AsyncSession, principal: Principal, webhook_id: UUID, query: listing.ListQuery
) -> listing.Page[Delivery]:
    stmt = scoped_deliveries(principal).where(Delivery.webhook_id == webhook_id)
    return await listing.fetch_page(session, stmt, DELIVERY_SPEC, query)


async def get_delivery(
    session: AsyncSession,
    principal: Principal,
    webhook_id: UUID,
    delivery_id: UUID,
    *,
    for_update: bool = False,
) -> Delivery | None:
    stmt = scoped_deliveries(principal).where(
        Delivery.webhook_id == webhook_id, Delivery.id == delivery_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def attempts_of(
    session: AsyncSession, principal: Principal, delivery_ids: Collection[UUID]
) -> dict[UUID, list[Attempt]]:
    """Each delivery's attempts, oldest first."""
    found: dict[UUID, list[Attempt]] = {d: [] for d in delivery_ids}
    if not delivery_ids:
        return found
    stmt = (
        select(Attempt)
        .where(
            Attempt.organization_id == principal.organization_id,
            Attempt.delivery_id.in_(list(delivery_ids)),
        )
        .order_by(Attempt.delivery_id, Attempt.attempt)
    )
    for attempt in await session.scalars(stmt):
        found[attempt.delivery_id].append(attempt)
    return found


# ---------------------------------------------------------------- worker (every organization)
# The worker serves all tenants at once, so these queries name organizations explicitly instead
# of starting from a principal; none of them is reachable from a request.


def _lock(stmt: Select[Any], session: AsyncSession, **kw: Any) -> Select[Any]:
    """FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True, **kw)
    return stmt


async def webhooks_behind(session: AsyncSession, limit: int) -> Sequence[Webhook]:
    """Enabled webhooks with events past their fan-out cursor, locked for this transaction."""
    newer = exists().where(
        Event.organization_id == Webhook.organization_id, Event.sequence > Webhook.cursor
    )
    stmt = select(Webhook).where(Webhook.enabled.is_(True), newer).order_by(Webhook.id).limit(limit)
    return (await session.scalars(_lock(stmt, session))).all()


async def insert_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """New deliveries; one already made for the same (webhook, event) is kept as it is."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(insert(Delivery).values(rows).on_conflict_do_nothing())


async def claimable(session: AsyncSession, at: datetime, limit: int) -> Sequence[Delivery]:
    """Due, unclaimed deliveries that are the oldest pending one of their (enabled) webhook.

    The head-of-line rule keeps each endpoint's deliveries in sequence order: event N+1 waits
    while N is pending, claimed or backing off. On PostgreSQL the rows are locked with SKIP
    LOCKED, so concurrent workers each get different deliveries.
    """
    earlier = aliased(Delivery)
    blocked = exists().where(
        earlier.organization_id == Delivery.organization_id,
        earlier.webhook_id == Delivery.webhook_id,
        earlier.status == "pending",
        earlier.sequence < Delivery.sequence,
    )
    stmt = (
        select(Delivery)
        .join(Webhook, Webhook.id == Delivery.webhook_id)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= at,
            or_(Delivery.locked_until.is_(None), Delivery.locked_until <= at),
            Webhook.enabled.is_(True),
            ~blocked,
        )
        .order_by(Delivery.next_attempt_at, Delivery.sequence)
        .limit(limit)
    )
    return (await session.scalars(_lock(stmt, session, of=Delivery))).all()


async def webhooks_by_ids(session: AsyncSession, ids: Collection[UUID]) -> dict[UUID, Webhook]:
    if not ids:
        return {}
    found = await session.scalars(select(Webhook).where(Webhook.id.in_(list(ids))))
    return {hook.id: hook for hook in found}


async def abandon_attempts(session: AsyncSession, delivery_ids: Collection[UUID]) -> None:
    """Attempts whose worker never reported back (its lease ran out) are marked abandoned."""
    if not delivery_ids:
        return
    await session.execute(
        update(Attempt)
        .where(Attempt.delivery_id.in_(list(delivery_ids)), Attempt.status == "sending")
        .values(status="abandoned", error="the worker stopped before reporting a result")
    )


async def claimed(session: AsyncSession, delivery_id: UUID, token: UUID) -> Delivery | None:
    """The delivery, locked, if the claim `token` still holds it (its lease was not lost)."""
    stmt = select(Delivery).where(Delivery.id == delivery_id, Delivery.claim_token == token)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def get_attempt(session: AsyncSession, attempt_id: UUID) -> Attempt | None:
    return await session.get(Attempt, attempt_id)


async def get_webhook(session: AsyncSession, webhook_id: UUID) -> Webhook | None:
    return await session.get(Webhook, webhook_id)
