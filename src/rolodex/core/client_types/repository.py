"""Client type queries: every one starts from `scoped(principal)`."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import listing
from rolodex.core.client_types.models import ClientType
from rolodex.core.errors import Conflict
from rolodex.core.listing import FieldKind, ListField, ListSpec
from rolodex.core.principal import Principal


def scoped(principal: Principal) -> Select[ClientType]:
    """The one place client types are filtered by tenant."""
    return select(ClientType).where(ClientType.organization_id == principal.organization_id)


async def get(
    session: AsyncSession, principal: Principal, type_id: UUID, *, for_update: bool = False
) -> ClientType | None:
    stmt = scoped(principal).where(ClientType.id == type_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def by_number(session: AsyncSession, principal: Principal, number: int) -> ClientType | None:
    stmt = scoped(principal).where(ClientType.number == number)
    return (await session.scalars(stmt)).first()


async def by_ids(
    session: AsyncSession, principal: Principal, type_ids: Collection[UUID]
) -> list[ClientType]:
    """The types with these ids (one query)."""
    if not type_ids:
        return []
    return list(await session.scalars(scoped(principal).where(ClientType.id.in_(type_ids))))


async def by_name(session: AsyncSession, principal: Principal, name: str) -> ClientType | None:
    """The type with this name, compared case-insensitively."""
    stmt = scoped(principal).where(func.lower(ClientType.name) == name.lower())
    return (await session.scalars(stmt)).first()


async def names_of(
    session: AsyncSession, principal: Principal, type_ids: Collection[UUID]
) -> dict[UUID, str]:
    """id -> name of these client types."""
    if not type_ids:
        return {}
    stmt = (
        scoped(principal)
        .with_only_columns(ClientType.id, ClientType.name)
        .where(ClientType.id.in_(sorted(type_ids)))
    )
    return {row[0]: row[1] for row in await session.execute(stmt)}


async def flush(session: AsyncSession) -> None:
    """Flush, turning constraint violations into a Conflict."""
    try:
        await session.flush()
    except IntegrityError as exc:
        text = str(exc.orig).lower()
        if "foreign key" in text:
            raise Conflict("The client type is in use by clients") from None
        if "name" in text or "unique" in text:
            raise Conflict("A client type with this name already exists") from None
        raise Conflict("The change conflicts with another record") from None


T = ClientType
LIST_SPEC = ListSpec(
    fields={
        f.name: f
        for f in [
            ListField("id", T.id, FieldKind.UUID, nullable=False),
            ListField("number", T.number, FieldKind.INTEGER, range=True, sort=True, nullable=False),
            ListField(
                "name", T.name, FieldKind.STRING, sort=True, nullable=False, case_insensitive=True
            ),
            ListField(
                "createdAt", T.created_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
            ListField(
                "updatedAt", T.updated_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
        ]
    },
    id_column=T.id,
    default_sort=("name",),
    search=lambda q: listing.ilike_any([T.name, T.description], q),
)


async def list_page(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> listing.Page[ClientType]:
    return await listing.fetch_page(session, scoped(principal), LIST_SPEC, query)
