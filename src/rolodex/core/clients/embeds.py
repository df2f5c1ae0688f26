"""What a client response embeds: its contact persons and addresses, loaded in bulk."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.addresses import repository as addresses_repository
from rolodex.core.addresses import service as addresses_service
from rolodex.core.addresses.models import Address
from rolodex.core.clients import documents
from rolodex.core.clients import repository as clients_repository
from rolodex.core.contacts import repository as contacts_repository
from rolodex.core.contacts import service as contacts_service
from rolodex.core.contacts.models import ContactPerson
from rolodex.core.db import from_json_row, loads
from rolodex.core.principal import Principal

EMBEDDABLE = documents.EMBEDDABLE
Embedded = dict[UUID, dict[str, list[dict[str, Any]]]]


async def load(
    session: AsyncSession,
    principal: Principal,
    client_ids: Sequence[UUID],
    include: Collection[str] = EMBEDDABLE,
) -> Embedded:
    """For each client id: {"contactPersons": [...], "addresses": [...]} (constant queries).

    On PostgreSQL one statement, whatever the number of clients. Elsewhere three queries at
    most: the links with their contacts, those contacts' other clients (`clientIds`), and the
    addresses.
    """
    out: Embedded = {cid: {name: [] for name in include} for cid in client_ids}
    if not client_ids:
        return out
    if session.get_bind().dialect.name == "postgresql":
        params = {"tenant_id": principal.organization_id, "client_ids": list(client_ids)}
        row = (await session.execute(_statement(tuple(include)), params)).one()
        fill(out, include, *row)
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


@cache
def _statement(include: tuple[str, ...]) -> Select[Any]:
    # Built once and reused with bind parameters: building it costs more than running it.
    ids: Any = bindparam("client_ids", expanding=True)
    return select(*clients_repository.embedded_columns(include, ids))


def fill(out: Embedded, include: Collection[str], *texts: str | None) -> None:
    """Put the JSON columns of `subqueries` into `out` (whose clients they belong to)."""
    columns = iter(texts)
    if "contactPersons" in include:
        for client_id, is_main, row, client_ids in loads(next(columns) or "[]"):
            view = contacts_service.ContactView(
                from_json_row(ContactPerson, row),
                UUID(client_id),
                is_main,
                [UUID(cid) for cid in client_ids or ()],
            )
            out[view.client_id]["contactPersons"].append(contacts_service.to_read(view))  # type: ignore[index]
    if "addresses" in include:
        for row in loads(next(columns) or "[]"):
            address = from_json_row(Address, row)
            out[address.client_id]["addresses"].append(addresses_service.to_read(address))
