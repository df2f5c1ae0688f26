"""Order queries: every one starts from `scoped(principal)`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Select, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from rolodex.core import listing
from rolodex.core.db import UTCDateTime
from rolodex.core.enums import OrderStatus
from rolodex.core.errors import Conflict, Invalid, RolodexError
from rolodex.core.listing import FieldKind, ListField, ListSpec
from rolodex.core.orders.models import Order
from rolodex.core.principal import Principal
from rolodex.core.validation import is_digits


def scoped(principal: Principal) -> Select[Order]:
    """The one place orders are filtered by tenant."""
    return select(Order).where(Order.organization_id == principal.organization_id)


async def get(
    session: AsyncSession, principal: Principal, order_id: UUID, *, for_update: bool = False
) -> Order | None:
    stmt = scoped(principal).where(Order.id == order_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def for_client(session: AsyncSession, principal: Principal, client_id: UUID) -> list[Order]:
    """Every order of one client, oldest number first, locked for a purge."""
    stmt = scoped(principal).where(Order.client_id == client_id).order_by(Order.number)
    return list((await session.scalars(stmt.with_for_update())).all())


async def flush(session: AsyncSession) -> None:
    """Flush, turning constraint violations into errors that name the field."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise _error_from(exc) from None


def _error_from(exc: IntegrityError) -> RolodexError:
    text = str(exc.orig).lower()
    if "external_id" in text:
        return Conflict("An order with this externalId already exists in the organization")
    if "foreign key" in text:
        # The client was purged between our check and the insert.
        return Invalid.field("clientId", "no such client in this organization")
    return Conflict("The change conflicts with another record")


def _dynamic(name: str) -> ListField | None:
    prefix, _, key = name.partition(".")
    if prefix == "metadata" and key:
        return ListField(name, Order.meta[key].as_string(), FieldKind.STRING)
    return None


def _search(q: str) -> ColumnElement[bool]:
    found = listing.ilike_any([Order.description, Order.external_id], q)
    return found | (Order.number == int(q)) if is_digits(q) and len(q) < 10 else found


O = Order  # noqa: E741
LIST_SPEC = ListSpec(
    fields={
        f.name: f
        for f in [
            ListField("id", O.id, FieldKind.UUID, nullable=False),
            ListField("number", O.number, FieldKind.INTEGER, range=True, sort=True, nullable=False),
            ListField("clientId", O.client_id, FieldKind.UUID, nullable=False),
            ListField(
                "status",
                O.status,
                FieldKind.ENUM,
                enum_values=tuple(s.value for s in OrderStatus),
                nullable=False,
            ),
            ListField("type", O.type, FieldKind.INTEGER, range=True, nullable=False),
            ListField("quantity", O.quantity, FieldKind.INTEGER, range=True, nullable=False),
            ListField("date", O.date, FieldKind.DATETIME, range=True, sort=True, nullable=False),
            ListField("submittedAt", O.submitted_at, FieldKind.DATETIME, range=True, sort=True),
            ListField("archived", O.archived, FieldKind.BOOLEAN, nullable=False),
            ListField("archivedAt", O.archived_at, FieldKind.DATETIME, range=True),
            ListField("externalId", O.external_id, FieldKind.STRING),
            ListField("tags", O.tags, FieldKind.TAGS),
            ListField(
                "createdAt", O.created_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
            ListField(
                "updatedAt", O.updated_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
        ]
    },
    id_column=O.id,
    default_sort=("-createdAt",),
    search=_search,
    dynamic=_dynamic,
)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The same fields, plus a sort on submittedAt with "never" as the epoch, for fronts that show a
# missing time as 0 (Unix seconds): orders never submitted come first when ascending.
EPOCH_FOR_NULL_SPEC = replace(
    LIST_SPEC,
    fields={
        **LIST_SPEC.fields,
        "submittedAtOrEpoch": ListField(
            "submittedAtOrEpoch",
            func.coalesce(O.submitted_at, literal(EPOCH, UTCDateTime())),
            FieldKind.DATETIME,
            filter=False,
            sort=True,
            nullable=False,
        ),
    },
)


async def list_page(
    session: AsyncSession,
    principal: Principal,
    query: listing.ListQuery,
    *,
    client_id: UUID | None = None,
    spec: ListSpec = LIST_SPEC,
) -> listing.Page[Order]:
    stmt = scoped(principal)
    if client_id is not None:
        stmt = stmt.where(Order.client_id == client_id)
    return await listing.fetch_page(session, stmt, spec, query)
