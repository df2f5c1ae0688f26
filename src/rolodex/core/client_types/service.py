"""Client type rules: create, read, list, update, delete (not while clients use it)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import listing, numbers, readonly
from rolodex.core.client_types import repository
from rolodex.core.client_types.models import ClientType
from rolodex.core.client_types.schemas import READ_ONLY, ClientTypeCreate, ClientTypeUpdate
from rolodex.core.clients import repository as clients_repository
from rolodex.core.clock import now
from rolodex.core.errors import Conflict, Invalid, NotFound
from rolodex.core.principal import Principal

NUMBER_KIND = "client_type"
MAX_NUMBER = 2**31 - 1  # the number column is a 32-bit integer


def not_found(type_id: UUID | str) -> NotFound:
    return NotFound(f"Client type {type_id} not found")


async def get(
    session: AsyncSession, principal: Principal, type_id: UUID, *, for_update: bool = False
) -> ClientType:
    """One client type of the caller's organization."""
    found = await repository.get(session, principal, type_id, for_update=for_update)
    if found is None:
        raise not_found(type_id)
    return found


async def id_by_number(
    session: AsyncSession, principal: Principal, number: int | None, *, field: str
) -> UUID | None:
    """The id of the type with this number (None for None); a 400 naming `field` when none."""
    if number is None:
        return None
    found = None
    if 0 < number <= MAX_NUMBER:
        found = await repository.by_number(session, principal, number)
    if found is None:
        raise Invalid.field(field, f"no client type {number} in this organization")
    return found.id


async def get_many(
    session: AsyncSession, principal: Principal, type_ids: Collection[UUID]
) -> dict[UUID, ClientType]:
    """The organization's types with these ids, by id (unknown ids are left out)."""
    return {found.id: found for found in await repository.by_ids(session, principal, type_ids)}


async def find_by_name(session: AsyncSession, principal: Principal, name: str) -> ClientType | None:
    """The type with this name (case-insensitive), if any."""
    return await repository.by_name(session, principal, name.strip())


async def ensure(session: AsyncSession, principal: Principal, name: str) -> ClientType:
    """The type with this name (case-insensitive), created when the organization has none."""
    found = await find_by_name(session, principal, name)
    if found is not None:
        return found
    try:
        data = ClientTypeCreate.model_validate({"name": name})
    except ValidationError as exc:
        raise Invalid.field("name", exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    return await create(session, principal, data)


async def names_of(
    session: AsyncSession, principal: Principal, type_ids: Collection[UUID]
) -> dict[UUID, str]:
    """id -> name of these client types (those of the organization)."""
    return await repository.names_of(session, principal, type_ids)


async def list_page(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> listing.Page[ClientType]:
    """A page of the organization's client types."""
    return await repository.list_page(session, principal, query)


async def create(session: AsyncSession, principal: Principal, data: ClientTypeCreate) -> ClientType:
    """Create a client type with the next number; its name must be new in the organization."""
    await _check_name_free(session, principal, data.name, None)
    moment = now()
    found = ClientType(
        organization_id=principal.organization_id,
        name=data.name,
        description=data.description,
        created_at=moment,
        updated_at=moment,
    )
    found.number = await numbers.next_number(session, principal.organization_id, NUMBER_KIND)
    session.add(found)
    await repository.flush(session)
    return found


async def update(
    session: AsyncSession, principal: Principal, type_id: UUID, data: ClientTypeUpdate
) -> ClientType:
    """Change the name or description."""
    found = await get(session, principal, type_id, for_update=True)
    readonly.check_unchanged(data, _read_only_values(found))
    values = {k: v for k, v in data.given().items() if k not in READ_ONLY}
    if "name" in values:
        if values["name"] is None:
            raise Invalid.field("name", "cannot be null")
        await _check_name_free(session, principal, values["name"], found.id)
        found.name = values["name"]
    if "description" in values:
        found.description = values["description"]
    found.updated_at = now()
    await repository.flush(session)
    return found


async def delete(session: AsyncSession, principal: Principal, type_id: UUID) -> ClientType:
    """Delete a client type that no client (soft-deleted ones included) uses."""
    found = await get(session, principal, type_id, for_update=True)
    used = await clients_repository.count_with_type(session, principal, found.id)
    if used:
        plural = "client uses" if used == 1 else "clients use"
        raise Conflict(
            f"Client type {found.name!r} is in use: {used} {plural} it (soft-deleted ones "
            "included); give them another type first"
        )
    await session.delete(found)
    await repository.flush(session)
    return found


async def _check_name_free(
    session: AsyncSession, principal: Principal, name: str, own_id: UUID | None
) -> None:
    existing = await repository.by_name(session, principal, name)
    if existing is not None and existing.id != own_id:
        raise Conflict(f"A client type named {existing.name!r} already exists")


def _read_only_values(found: ClientType) -> dict[str, str]:
    return {
        "id": str(found.id),
        "number": str(found.number),
        "created_at": readonly.stamp(found.created_at),
        "updated_at": readonly.stamp(found.updated_at),
    }


def to_read(found: ClientType) -> dict[str, Any]:
    """The client type as the API shows it."""
    return {
        "id": found.id,
        "number": found.number,
        "name": found.name,
        "description": found.description,
        "createdAt": found.created_at,
        "updatedAt": found.updated_at,
    }
