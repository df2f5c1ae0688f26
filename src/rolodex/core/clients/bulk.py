"""Many new clients at once (batch and CSV import): a constant number of statements per chunk.

Every item goes through the same `service.build` as a single create (schemas, rules, custom
fields, client types), the uniqueness of email, externalId and externalIds is checked for the
whole chunk in one query each (against the database and within the chunk), numbers are reserved
in one call, and the rows are written with one statement per table: COPY on PostgreSQL, a
multi-row INSERT otherwise (no per-object unit of work). Should the write still hit a unique
index (a concurrent writer took a value after the check), the chunk is retried one item at a
time, each in its own savepoint, so only the clashing items fail.

These rows do not pass through `service.create`, so the change feed's `client.created` events
are recorded here, one per created client, with one more statement per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import JSON, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import numbers
from rolodex.core.clients import repository
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate
from rolodex.core.errors import RolodexError
from rolodex.core.events import service as events_service
from rolodex.core.external_ids import service as external_ids_service
from rolodex.core.external_ids.models import ExternalId
from rolodex.core.principal import Principal

KIND = clients_service.SUBJECT_KIND

Outcome = Client | RolodexError
COPY_FROM = 50  # rows from which COPY beats a multi-row INSERT on PostgreSQL


async def create_many(
    session: AsyncSession,
    principal: Principal,
    items: Sequence[ClientCreate],
    *,
    dry_run: bool = False,
) -> list[Outcome]:
    """Create the clients; per item, in order, the new client or the error that stopped it.

    With `dry_run` no numbers are reserved (placeholders stand in); the caller rolls back.
    """
    outcomes: list[Outcome | None] = [None] * len(items)
    built: list[tuple[int, Client]] = []
    for index, data in enumerate(items):
        try:
            built.append((index, await clients_service.build(session, principal, data)))
        except RolodexError as exc:
            outcomes[index] = exc
    clashes = await _clashes(session, principal, [client for _, client in built])
    ready = []
    for position, (index, client) in enumerate(built):
        if position in clashes:
            outcomes[index] = clashes[position]
        else:
            ready.append((index, client))
    await _number(session, principal, [client for _, client in ready], dry_run=dry_run)
    for index, result in zip(
        (index for index, _ in ready), await _insert(session, principal, ready), strict=True
    ):
        outcomes[index] = result
    if not dry_run:
        created = [o for o in outcomes if isinstance(o, Client)]
        await events_service.record_many(
            session,
            principal,
            "client.created",
            [(clients_service.snapshot(c), c.updated_at) for c in created],
        )
    done: list[Outcome] = []
    for outcome in outcomes:
        assert outcome is not None, "every item has an outcome"
        done.append(outcome)
    return done


async def _clashes(
    session: AsyncSession, principal: Principal, clients: Sequence[Client]
) -> dict[int, RolodexError]:
    """Positions of clients whose email, externalId or externalIds are taken (or repeated)."""
    emails = [c.email for c in clients if c.email]
    external = [c.external_id for c in clients if c.external_id]
    refs = [ref for c in clients for ref in external_ids_service.refs_of(c.external_ids)]
    taken_emails = await repository.taken(session, principal, "email", emails)
    taken_external = await repository.taken(session, principal, "external_id", external)
    taken_refs = set(await external_ids_service.owners(session, principal, KIND, refs))
    problems: dict[int, RolodexError] = {}
    for position, client in enumerate(clients):
        email = client.email.lower() if client.email else None
        client_refs = external_ids_service.refs_of(client.external_ids)
        if email is not None and email in taken_emails:
            problems[position] = repository.email_taken()
        elif client.external_id is not None and client.external_id in taken_external:
            problems[position] = repository.external_id_taken()
        elif clash := next((ref for ref in client_refs if ref in taken_refs), None):
            problems[position] = external_ids_service.conflict(KIND, clash)
        else:  # later items of the chunk cannot take these values any more
            if email is not None:
                taken_emails.add(email)
            if client.external_id is not None:
                taken_external.add(client.external_id)
            taken_refs.update(client_refs)
    return problems


async def _number(
    session: AsyncSession, principal: Principal, clients: Sequence[Client], *, dry_run: bool
) -> None:
    if not clients:
        return
    if dry_run:  # stand-ins that are never committed, so no number is used up
        low = session.info.get("placeholder_number", 0) - len(clients)
        session.info["placeholder_number"] = low
        reserved: Sequence[int] = range(low, low + len(clients))
    else:
        reserved = await numbers.next_numbers(
            session, principal.organization_id, clients_service.NUMBER_KIND, len(clients)
        )
    for client, number in zip(clients, reserved, strict=True):
        client.number = number
        client.search_text = clients_service.search_text(client)


def _row(client: Client) -> dict[str, Any]:
    """The client as an INSERT row (attribute names), defaults filled in as a flush would."""
    row = {key: client.__dict__.get(key) for key in _ATTRIBUTES}
    row["version"] = client.version = 1
    return row


_ATTRIBUTES = tuple(prop.key for prop in sa_inspect(Client).column_attrs)


async def _write(session: AsyncSession, principal: Principal, clients: Sequence[Client]) -> None:
    """Multi-row INSERTs (COPY on PostgreSQL) of the clients and their external ids."""
    rows = [_row(client) for client in clients]
    refs = [
        external_ids_service.row(principal, KIND, client.id, ref)
        for client in clients
        for ref in external_ids_service.refs_of(client.external_ids)
    ]
    for model, values in ((Client, rows), (ExternalId, refs)):
        if not values:
            continue
        if len(values) >= COPY_FROM and session.get_bind().dialect.name == "postgresql":
            await _copy(session, model, values)
        else:
            await session.execute(insert(model), values)


async def _copy(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL's COPY into the model's table, in the session's transaction."""
    table = model.__table__
    props = sa_inspect(model).column_attrs
    columns = [(prop.columns[0].name, prop.key, prop.columns[0].type) for prop in props]
    json_keys = {key for _, key, type_ in columns if isinstance(type_, JSON)}
    records = [
        tuple(
            orjson.dumps(row[key]).decode() if key in json_keys else row[key]
            for _, key, _ in columns
        )
        for row in rows
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    try:
        await driver.copy_records_to_table(
            table.name, records=records, columns=[name for name, _, _ in columns]
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError("COPY", None, exc) from exc


async def _insert(
    session: AsyncSession, principal: Principal, ready: Sequence[tuple[int, Client]]
) -> list[Outcome]:
    """One multi-row INSERT per table; item by item only when a unique index objects."""
    if not ready:
        return []
    clients = [client for _, client in ready]
    try:
        async with session.begin_nested():
            await _write(session, principal, clients)
        return list(clients)
    except IntegrityError:
        pass
    results: list[Outcome] = []
    for client in clients:
        try:
            async with session.begin_nested():
                await _write(session, principal, [client])
            results.append(client)
        except IntegrityError as exc:
            results.append(repository.conflict_from(exc))
    return results
