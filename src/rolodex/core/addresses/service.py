"""Address rules: create, read, list, update and delete a client's addresses.

Every write records one event per address it changes (`address.created`, `.updated`, `.deleted`)
in the caller's transaction; an update that changes nothing records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import listing, numbers
from rolodex.core.addresses import repository
from rolodex.core.addresses.models import Address
from rolodex.core.addresses.schemas import (
    FLAGS,
    READ_ONLY,
    AddressCreate,
    AddressFields,
    AddressRead,
    AddressUpdate,
    ClientAddressIn,
)
from rolodex.core.clients import repository as clients_repository
from rolodex.core.clients.models import Client
from rolodex.core.clock import format_timestamp, now
from rolodex.core.errors import FieldIssue, Invalid, NotFound, under
from rolodex.core.events import service as events_service
from rolodex.core.principal import Principal

NUMBER_KIND = "address"
WRITABLE = tuple(name for name in AddressFields.model_fields if name not in READ_ONLY)


def not_found(address_id: UUID) -> NotFound:
    return NotFound(f"Address {address_id} not found")


async def live_client(
    session: AsyncSession, principal: Principal, client_id: UUID, *, for_update: bool = False
) -> Client:
    """The client in the URL: a soft-deleted one is a 404 like a missing one."""
    client = await clients_repository.get(session, principal, client_id, for_update=for_update)
    if client is None or client.deleted_at is not None:
        raise NotFound(f"Client {client_id} not found")
    return client


async def create(
    session: AsyncSession, principal: Principal, client_id: UUID, data: AddressCreate
) -> Address:
    """Add an address to a client."""
    client = await live_client(session, principal, client_id)
    address = _new(principal, client.id)
    _apply(address, _values(data), creating=True)
    address.number = await numbers.next_number(session, principal.organization_id, NUMBER_KIND)
    session.add(address)
    await session.flush()
    await _record(session, principal, "address.created", address)
    return address


async def list_for_client(
    session: AsyncSession, principal: Principal, client_id: UUID, query: listing.ListQuery
) -> listing.Page[Address]:
    """A page of the client's addresses."""
    await live_client(session, principal, client_id)
    return await repository.list_for_client(session, principal, client_id, query)


async def get(
    session: AsyncSession, principal: Principal, client_id: UUID, address_id: UUID
) -> Address:
    """One address of a live client."""
    await live_client(session, principal, client_id)
    address = await repository.get(session, principal, client_id, address_id)
    if address is None:
        raise not_found(address_id)
    return address


async def update(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    address_id: UUID,
    data: AddressUpdate,
) -> Address:
    """Change the fields given; `null` clears one."""
    address = await get(session, principal, client_id, address_id)
    _check_read_only(address, data)
    before = snapshot(address)
    _apply(address, _values(data), creating=False)
    await session.flush()
    await _record(session, principal, "address.updated", address, previous=before)
    return address


async def delete(
    session: AsyncSession, principal: Principal, client_id: UUID, address_id: UUID
) -> Address:
    """Remove an address for good; answers it as it was."""
    address = await get(session, principal, client_id, address_id)
    await _record(session, principal, "address.deleted", address)
    await session.delete(address)
    await session.flush()
    return address


async def set_for_client(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    items: Sequence[ClientAddressIn],
    *,
    replace: bool,
) -> None:
    """The addresses of a client body: created, or (replace) exactly these, ids kept."""
    existing = {a.id: a for a in await repository.for_clients(session, principal, [client_id])}
    seen: set[UUID] = set()
    for index, item in enumerate(items):
        if item.id is not None and (item.id not in existing or not replace or item.id in seen):
            raise Invalid.field(f"addresses[{index}].id", f"no address {item.id} of this client")
        if item.id is not None:
            seen.add(item.id)
    before = {address_id: snapshot(address) for address_id, address in existing.items()}
    gone = [a for a in existing.values() if a.id not in seen] if replace else []
    if replace:
        await repository.delete_for_client(session, principal, client_id, keep=sorted(seen))
    fresh = [item for item in items if item.id is None]
    numbers_ = iter(
        await numbers.next_numbers(session, principal.organization_id, NUMBER_KIND, len(fresh))
        if fresh
        else ()
    )
    written: list[Address] = []
    for index, item in enumerate(items):
        with under(f"addresses[{index}]"):
            values = {name: None for name in WRITABLE} | _values(item)
            if item.id is not None:
                _apply(existing[item.id], values, creating=False)
                written.append(existing[item.id])
                continue
            address = _new(principal, client_id)
            _apply(address, values, creating=True)
            address.number = next(numbers_)
            session.add(address)
            written.append(address)
    await session.flush()
    # Events in the body's order, then the addresses the replace removed.
    for address in written:
        kind = "address.updated" if address.id in before else "address.created"
        await _record(session, principal, kind, address, previous=before.get(address.id))
    for address in gone:
        await events_service.record(session, principal, "address.deleted", before[address.id])


async def set_tagged(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    key: str,
    items: Mapping[str, ClientAddressIn | None],
) -> None:
    """For each tag, the client's address whose metadata[key] is the tag becomes the item.

    Replaced (every field the item leaves out cleared) when there is one, created when there is
    none, deleted when the item is None. The item's metadata should carry the tag itself, so
    the next call finds the address again. The client is not checked: callers have it locked.
    """
    if not items:
        return
    existing = await repository.for_clients(session, principal, [client_id])
    for tag, item in items.items():
        found = next((a for a in existing if (a.meta or {}).get(key) == tag), None)
        if item is None:
            if found is not None:
                await _record(session, principal, "address.deleted", found)
                await session.delete(found)
            continue
        values = {name: None for name in WRITABLE} | _values(item)
        if found is not None:
            before = snapshot(found)
            _apply(found, values, creating=False)
            await session.flush()
            await _record(session, principal, "address.updated", found, previous=before)
            continue
        address = _new(principal, client_id)
        _apply(address, values, creating=True)
        address.number = await numbers.next_number(session, principal.organization_id, NUMBER_KIND)
        session.add(address)
        await session.flush()
        await _record(session, principal, "address.created", address)
    await session.flush()


async def delete_for_client(session: AsyncSession, principal: Principal, client_id: UUID) -> None:
    """Remove every address of a client (its purge)."""
    for address in await repository.for_clients(session, principal, [client_id]):
        await _record(session, principal, "address.deleted", address)
    await repository.delete_for_client(session, principal, client_id)


def snapshot(address: Address) -> dict[str, Any]:
    """The address as its events carry it: the API's view, `clientId` included."""
    return {
        **events_service.snapshot(AddressRead, to_read(address)),
        "clientId": str(address.client_id),
    }


async def _record(
    session: AsyncSession,
    principal: Principal,
    event_type: str,
    address: Address,
    *,
    previous: dict[str, Any] | None = None,
) -> None:
    """One event for the address; an update that changed nothing records none."""
    after = snapshot(address)
    if previous is not None and not events_service.changed(previous, after):
        return
    at = None if event_type == "address.deleted" else address.updated_at
    await events_service.record(session, principal, event_type, after, previous=previous, at=at)


def _new(principal: Principal, client_id: UUID) -> Address:
    return Address(
        organization_id=principal.organization_id,
        client_id=client_id,
        is_delivery=False,
        is_invoice=False,
        is_visiting=False,
        meta={},
    )


def _values(data: AddressFields) -> dict[str, Any]:
    return {k: v for k, v in data.given().items() if k in WRITABLE}


def _apply(address: Address, values: dict[str, Any], *, creating: bool) -> None:
    """Set the given values, then check the rules that span fields."""
    for key, value in values.items():
        if key == "point":
            address.point_lng = value.lng if value is not None else None
            address.point_lat = value.lat if value is not None else None
        elif key == "metadata":
            address.meta = value if value is not None else {}
        elif key in FLAGS:
            setattr(address, key, bool(value))
        else:
            setattr(address, key, value)
    province, country = address.province_code, address.country
    if province and country and province.split("-", 1)[0] != country:
        raise Invalid.field("provinceCode", f"{province} is not in country {country}")
    address.search_text = search_text(address)
    if creating or _changed(address):
        address.updated_at = now()
    if creating:
        address.created_at = address.updated_at


def _changed(address: Address) -> bool:
    """Whether any attribute got a new value (setting an equal value is not a change)."""
    return any(attr.history.has_changes() for attr in inspect(address).attrs)


def search_text(address: Address) -> str:
    """What `q` matches: label, street, postal code and city, lower-cased."""
    parts = (
        address.label,
        address.street,
        address.street_and_number,
        address.co_address,
        address.postal_code,
        address.city,
    )
    return " ".join(p for p in parts if p).lower()


def _check_read_only(address: Address, data: AddressFields) -> None:
    """Read-only fields may be sent back unchanged; a changed one is a 400."""
    current = {
        "id": str(address.id),
        "number": str(address.number),
        "client_id": str(address.client_id),
        "created_at": format_timestamp(address.created_at),
        "updated_at": format_timestamp(address.updated_at),
    }
    issues = [
        FieldIssue(_camel(name), "read-only field")
        for name in READ_ONLY
        if name in data.model_fields_set
        and getattr(data, name) is not None
        and str(getattr(data, name)) != current[name]
    ]
    if issues:
        raise Invalid("Read-only fields cannot be changed", details=issues)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_read(address: Address) -> dict[str, Any]:
    """The address as the API shows it (camelCase keys)."""
    point = None
    if address.point_lng is not None and address.point_lat is not None:
        point = {"lng": address.point_lng, "lat": address.point_lat}
    return {
        "id": address.id,
        "number": address.number,
        "clientId": address.client_id,
        "label": address.label,
        "street": address.street,
        "streetAndNumber": address.street_and_number,
        "coAddress": address.co_address,
        "postalCode": address.postal_code,
        "city": address.city,
        "provinceCode": address.province_code,
        "country": address.country,
        "point": point,
        "isDelivery": address.is_delivery,
        "isInvoice": address.is_invoice,
        "isVisiting": address.is_visiting,
        "metadata": address.meta,
        "createdAt": address.created_at,
        "updatedAt": address.updated_at,
    }
