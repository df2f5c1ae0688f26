"""What a client response embeds: its contact persons and addresses, loaded in bulk."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.addresses import repository as addresses_repository
from rolodex.core.addresses import service as addresses_service
from rolodex.core.contacts import repository as contacts_repository
from rolodex.core.contacts import service as contacts_service
from rolodex.core.principal import Principal

EMBEDDABLE = ("contactPersons", "addresses")


async def load(
    session: AsyncSession,
    principal: Principal,
    client_ids: Sequence[UUID],
    include: Collection[str] = EMBEDDABLE,
) -> dict[UUID, dict[str, list[dict[str, Any]]]]:
    """For each client id: {"contactPersons": [...], "addresses": [...]} (constant queries).

    Three queries at most, whatever the number of clients: the links with their contacts,
    those contacts' other clients (`clientIds`), and the addresses.
    """
    out: dict[UUID, dict[str, list[dict[str, Any]]]] = {
        cid: {name: [] for name in include} for cid in client_ids
    }
    if not client_ids:
        return out
    if "contactPersons" in include:
        rows = await contacts_repository.for_clients(session, principal, client_ids)
        links = await contacts_repository.links_of(
            session, principal, {contact.id for _, _, contact in rows}
        )
        for client_id, is_main, contact in rows:
            view = contacts_service.ContactView(
                contact, client_id, is_main, [cid for cid, _ in links[contact.id]]
            )
            out[client_id]["contactPersons"].append(contacts_service.to_read(view))
    if "addresses" in include:
        for address in await addresses_repository.for_clients(session, principal, client_ids):
            out[address.client_id]["addresses"].append(addresses_service.to_read(address))
    return out
