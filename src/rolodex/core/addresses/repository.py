"""Address queries: every one starts from `scoped(principal)`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ScalarSelect, Select, Text, cast, delete, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import listing
from rolodex.core.addresses.models import Address
from rolodex.core.clients.models import Client
from rolodex.core.listing import FieldKind, ListField, ListSpec
from rolodex.core.principal import Principal


def scoped(principal: Principal) -> Select[Address]:
    """The one place addresses are filtered by tenant."""
    return select(Address).where(Address.organization_id == principal.organization_id)


async def get(
    session: AsyncSession, principal: Principal, client_id: UUID, address_id: UUID
) -> Address | None:
    stmt = scoped(principal).where(Address.client_id == client_id, Address.id == address_id)
    return (await session.scalars(stmt)).first()


async def for_clients(
    session: AsyncSession, principal: Principal, client_ids: Sequence[UUID]
) -> list[Address]:
    """Every address of these clients, in number order (one query)."""
    if not client_ids:
        return []
    stmt = scoped(principal).where(Address.client_id.in_(client_ids)).order_by(Address.number)
    return list(await session.scalars(stmt))


def embedded_json(organization_id: Any, client_ids: Any = None) -> ScalarSelect[Any]:
    """PostgreSQL: what `for_clients` reads, as one JSON text for a subquery (an array of
    to_jsonb rows in number order, or NULL). `organization_id` is the tenant (a bind
    parameter); `client_ids` an expanding bind parameter, or None to correlate with the
    client of the enclosing select."""
    match = (
        Address.client_id == Client.id if client_ids is None else Address.client_id.in_(client_ids)
    )
    row = func.to_jsonb(Address.__table__.table_valued())  # type: ignore[attr-defined]
    return (
        select(cast(func.json_agg(aggregate_order_by(row, Address.number)), Text))
        .where(Address.organization_id == organization_id, match)
        .scalar_subquery()
    )


async def delete_for_client(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    *,
    keep: Sequence[UUID] = (),
) -> None:
    """Delete the client's addresses, except those in `keep`."""
    stmt = delete(Address).where(
        Address.organization_id == principal.organization_id, Address.client_id == client_id
    )
    if keep:
        stmt = stmt.where(Address.id.not_in(keep))
    await session.execute(stmt)


def _search(q: str) -> Any:
    return Address.search_text.contains(q.lower(), autoescape=True)


A = Address
LIST_SPEC = ListSpec(
    fields={
        f.name: f
        for f in [
            ListField("id", A.id, FieldKind.UUID, nullable=False),
            ListField("number", A.number, FieldKind.INTEGER, range=True, sort=True, nullable=False),
            ListField("label", A.label, FieldKind.STRING, sort=True),
            ListField("street", A.street, FieldKind.STRING),
            ListField("postalCode", A.postal_code, FieldKind.STRING, sort=True),
            ListField("city", A.city, FieldKind.STRING, sort=True),
            ListField("provinceCode", A.province_code, FieldKind.STRING),
            ListField("country", A.country, FieldKind.STRING),
            ListField("isDelivery", A.is_delivery, FieldKind.BOOLEAN, nullable=False),
            ListField("isInvoice", A.is_invoice, FieldKind.BOOLEAN, nullable=False),
            ListField("isVisiting", A.is_visiting, FieldKind.BOOLEAN, nullable=False),
            ListField(
                "createdAt", A.created_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
            ListField(
                "updatedAt", A.updated_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
        ]
    },
    id_column=A.id,
    default_sort=("number",),
    search=_search,
)


async def list_for_client(
    session: AsyncSession, principal: Principal, client_id: UUID, query: listing.ListQuery
) -> listing.Page[Address]:
    stmt = scoped(principal).where(Address.client_id == client_id)
    return await listing.fetch_page(session, stmt, LIST_SPEC, query)
