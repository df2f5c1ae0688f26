"""Merge into existing: a new client that the organization turns out to have already.

An incoming client is the same as an existing live one when both hold for it:

- the names are equal once compared case-insensitively with runs of whitespace as one space;
- the existing client's main contact person has the email (any case) of the incoming main
  contact (the one marked `isMain`, else the first).

Nothing else counts (no phone, address or fuzzy name): a wrong merge silently joins two
customers' data and cannot be undone from the outside, while a missed one only leaves a
duplicate that `GET /clients/{id}/duplicates` can still find. Without a main contact email
there is no merge.

A merge overwrites nothing: the fields the existing client has empty are filled, metadata and
custom-field keys it lacks are added, and the contact persons are added as
`contacts.service.merge_into_client` says. Filling fields is a `client.updated` event; a merge
that fills none changes only contact persons (their own events) or nothing at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.addresses import service as addresses_service
from rolodex.core.clients import repository
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import READ_ONLY, ClientCreate, ClientUpdate
from rolodex.core.contacts import repository as contacts_repository
from rolodex.core.contacts import service as contacts_service
from rolodex.core.contacts.schemas import ClientContactPersonIn
from rolodex.core.principal import Principal

# Not client fields, or merged by their own rules below.
_OWN_RULES = {*READ_ONLY, "contact_persons", "addresses", "metadata", "custom_fields", "point"}


def same_name(name: str) -> str:
    """The form names are compared in: lower case, whitespace runs as one space, trimmed."""
    return " ".join(name.split()).casefold()


async def create_or_merge(
    session: AsyncSession, principal: Principal, data: ClientCreate
) -> tuple[Client, bool]:
    """Create the client, or merge it into the existing one it matches; True when merged."""
    existing = await find_match(session, principal, data)
    if existing is None:
        return await clients_service.create(session, principal, data), False
    return await merge(session, principal, existing, data), True


async def find_match(
    session: AsyncSession, principal: Principal, data: ClientCreate
) -> Client | None:
    """The oldest live client with the same name whose main contact has the same email."""
    email = await main_contact_email(session, principal, data.contact_persons or [])
    if not email:
        return None
    name = same_name(data.name)
    for client in await repository.with_main_contact_email(session, principal, email):
        if same_name(client.name) == name:
            return client
    return None


async def main_contact_email(
    session: AsyncSession, principal: Principal, items: Sequence[ClientContactPersonIn]
) -> str | None:
    """The email of the incoming main contact: as given, else that of the contact it links."""
    if not items:
        return None
    main = next((item for item in items if item.is_main), items[0])
    if main.email or main.id is None:
        return main.email
    linked = await contacts_repository.get(session, principal, main.id)
    return linked.email if linked is not None else None


async def merge(
    session: AsyncSession, principal: Principal, client: Client, data: ClientCreate
) -> Client:
    """Fill the client's empty fields from `data` and add its contacts and addresses."""
    client = await clients_service.get(session, principal, client.id, for_update=True)
    fill = unfilled(client, data)
    if fill:
        update = ClientUpdate.model_construct(_fields_set=set(fill), **fill)
        client = await clients_service.update(session, principal, client.id, update)
    if data.contact_persons:
        await contacts_service.merge_into_client(
            session, principal, client.id, data.contact_persons
        )
    if data.addresses:
        await addresses_service.set_for_client(
            session, principal, client.id, data.addresses, replace=False
        )
    return client


def unfilled(client: Client, data: ClientCreate) -> dict[str, Any]:
    """The values of `data` for fields the client has empty (for maps: the keys it lacks)."""
    fill: dict[str, Any] = {}
    for name, value in data.given().items():
        if name in _OWN_RULES or _blank(value):
            continue
        if _blank(getattr(client, name)):
            fill[name] = value
    if data.point is not None and client.point_lng is None:
        fill["point"] = data.point
    metadata = {k: v for k, v in (data.metadata or {}).items() if k not in client.meta}
    if metadata:
        fill["metadata"] = {**client.meta, **metadata}
    custom = {
        k: v
        for k, v in (data.custom_fields or {}).items()
        if v is not None and k not in client.custom_fields
    }
    if custom:
        fill["custom_fields"] = custom  # merged by key, as a PATCH does
    return fill


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}
