"""Order rules: create, read, list, update (with the status machine), delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import listing, numbers, readonly
from rolodex.core.clients import service as clients_service
from rolodex.core.clock import now
from rolodex.core.enums import OrderStatus
from rolodex.core.errors import Conflict, Invalid, NotFound, PreconditionFailed
from rolodex.core.events import service as events_service
from rolodex.core.orders import repository
from rolodex.core.orders.models import Order
from rolodex.core.orders.schemas import READ_ONLY, OrderCreate, OrderRead, OrderUpdate
from rolodex.core.principal import Principal

NUMBER_KIND = "order"
DRAFT, SUBMITTED, REVOKED = OrderStatus.DRAFT, OrderStatus.SUBMITTED, OrderStatus.REVOKED
# Where a status may go; staying where it is, is always allowed (a no-op).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (SUBMITTED, REVOKED),
    SUBMITTED: (REVOKED,),
    REVOKED: (),
}
# Fields that cannot be cleared: `null` for them is a 400. Tags, metadata and archived go back to
# their defaults instead, as on clients.
NOT_NULL = ("client_id", "status", "type", "quantity", "date")
DEFAULTS: dict[str, Any] = {"tags": [], "metadata": {}, "archived": False}


def not_found(order_id: UUID | str) -> NotFound:
    return NotFound(f"Order {order_id} not found")


async def get(
    session: AsyncSession, principal: Principal, order_id: UUID, *, for_update: bool = False
) -> Order:
    """One order of the caller's organization."""
    order = await repository.get(session, principal, order_id, for_update=for_update)
    if order is None:
        raise not_found(order_id)
    return order


async def list_page(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> listing.Page[Order]:
    """A page of the organization's orders matching the query."""
    return await repository.list_page(session, principal, query)


async def list_for_client(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    query: listing.ListQuery,
    *,
    spec: listing.ListSpec = repository.LIST_SPEC,
) -> listing.Page[Order]:
    """A page of one live client's orders (404 when the client is unknown or deleted); `query`
    was parsed against `spec`, the one used here."""
    await clients_service.get(session, principal, client_id)
    return await repository.list_page(session, principal, query, client_id=client_id, spec=spec)


async def create(session: AsyncSession, principal: Principal, data: OrderCreate) -> Order:
    """Create an order with the next number; it may start in any status (`null` = default)."""
    await _check_client(session, principal, data.client_id)
    moment = now()
    order = Order(
        organization_id=principal.organization_id,
        client_id=data.client_id,
        status=(data.status or DRAFT).value,
        type=data.type or 0,
        description=data.description,
        quantity=data.quantity or 1,
        date=data.date or moment,
        external_id=data.external_id,
        tags=data.tags or [],
        meta=data.metadata or {},
        created_at=moment,
        updated_at=moment,
    )
    _set_archived(order, bool(data.archived), moment)
    if order.status == SUBMITTED:
        order.submitted_at = moment
    order.number = await numbers.next_number(session, principal.organization_id, NUMBER_KIND)
    session.add(order)
    await repository.flush(session)
    await _record(session, principal, "order.created", order)
    return order


async def update(
    session: AsyncSession,
    principal: Principal,
    order_id: UUID,
    data: OrderUpdate,
    *,
    if_match: int | None = None,
) -> Order:
    """Change the fields given; a status change must follow the status machine."""
    order = await get(session, principal, order_id, for_update=True)
    check_version(order, if_match)
    readonly.check_unchanged(data, read_only_values(order))
    before = snapshot(order)
    values = {k: v for k, v in data.given().items() if k not in READ_ONLY}
    _check_not_null(values)
    if "client_id" in values and values["client_id"] != order.client_id:
        await _check_client(session, principal, values["client_id"])
    if "status" in values:
        _change_status(order, values.pop("status").value)
    for key, value in values.items():
        _set(order, key, value)
    order.updated_at = now()
    await repository.flush(session)
    await _record(session, principal, "order.updated", order, previous=before)
    return order


async def delete(
    session: AsyncSession, principal: Principal, order_id: UUID, *, if_match: int | None = None
) -> Order:
    """Delete an order for good (orders have no soft delete; revoke one to keep it)."""
    order = await get(session, principal, order_id, for_update=True)
    check_version(order, if_match)
    # The event keeps the order's last state.
    await events_service.record(session, principal, "order.deleted", snapshot(order))
    await session.delete(order)
    await session.flush()
    return order


async def delete_for_client(session: AsyncSession, principal: Principal, client_id: UUID) -> None:
    """Delete a purged client's orders, each with its `order.deleted` event."""
    for order in await repository.for_client(session, principal, client_id):
        await events_service.record(session, principal, "order.deleted", snapshot(order))
        await session.delete(order)
    await session.flush()


def check_version(order: Order, if_match: int | None) -> None:
    """412 when the caller's If-Match version is not the current one."""
    if if_match is not None and if_match != order.version:
        raise PreconditionFailed(f"Order {order.id} is at version {order.version}, not {if_match}")


def read_only_values(order: Order) -> dict[str, str]:
    return {
        "id": str(order.id),
        "number": str(order.number),
        "submitted_at": readonly.stamp(order.submitted_at),
        "archived_at": readonly.stamp(order.archived_at),
        "version": str(order.version),
        "created_at": readonly.stamp(order.created_at),
        "updated_at": readonly.stamp(order.updated_at),
    }


def _check_not_null(values: dict[str, Any]) -> None:
    for name in NOT_NULL:
        if name in values and values[name] is None:
            raise Invalid.field(to_camel(name), "cannot be null")


async def _check_client(session: AsyncSession, principal: Principal, client_id: UUID) -> None:
    try:
        await clients_service.get(session, principal, client_id)
    except NotFound:
        raise Invalid.field("clientId", f"no client {client_id} in this organization") from None


def _change_status(order: Order, status: str) -> None:
    if status == order.status:
        return
    if status not in TRANSITIONS[order.status]:
        allowed = ", ".join(f"{a} -> {b}" for a, bs in TRANSITIONS.items() for b in bs)
        raise Conflict(
            f"Order {order.number} cannot go from {order.status} to {status} (allowed: {allowed})"
        )
    order.status = status
    if status == SUBMITTED:
        order.submitted_at = now()


def _set(order: Order, key: str, value: Any) -> None:
    if value is None and key in DEFAULTS:
        value = DEFAULTS[key]
    if key == "metadata":
        order.meta = value
    elif key == "archived":
        _set_archived(order, value)
    else:
        setattr(order, key, value)


def _set_archived(order: Order, archived: bool, moment: datetime | None = None) -> None:
    """archivedAt follows archived: set when it becomes true, cleared when false."""
    if archived and not order.archived_at:
        order.archived_at = moment or now()
    elif not archived:
        order.archived_at = None
    order.archived = archived


def to_read(order: Order) -> dict[str, Any]:
    """The order as the API shows it (camelCase keys, before response-model validation)."""
    return {
        "id": order.id,
        "number": order.number,
        "clientId": order.client_id,
        "status": order.status,
        "type": order.type,
        "description": order.description,
        "quantity": order.quantity,
        "date": order.date,
        "submittedAt": order.submitted_at,
        "archived": order.archived,
        "archivedAt": order.archived_at,
        "externalId": order.external_id,
        "tags": order.tags,
        "metadata": order.meta,
        "version": order.version,
        "createdAt": order.created_at,
        "updatedAt": order.updated_at,
    }


def snapshot(order: Order) -> dict[str, Any]:
    """The order as its events carry it: the API's view."""
    return events_service.snapshot(OrderRead, to_read(order))


async def _record(
    session: AsyncSession,
    principal: Principal,
    event_type: str,
    order: Order,
    *,
    previous: dict[str, Any] | None = None,
) -> None:
    await events_service.record(
        session, principal, event_type, snapshot(order), previous=previous, at=order.updated_at
    )
