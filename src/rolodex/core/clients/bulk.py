"""Many new clients at once (batch and CSV import): a constant number of statements per chunk.

Three steps (`create_many` runs them in a row; an import overlaps them across chunks):
`build` puts every item through the same `service.build` as a single create (schemas, rules,
custom fields, client types), into a plain `Draft` rather than an ORM object; `check` tests the
uniqueness of email, externalId and externalIds for the whole chunk in one query each (against
the database and within the chunk) and reserves the numbers in one call; `write` inserts the
rows with one statement per table (COPY on PostgreSQL, a multi-row INSERT otherwise: no unit of
work). Should the write still hit a unique index (a concurrent writer took a value after the
check), the chunk is retried one item at a time, each in its own savepoint, so only the
clashing items fail.

These rows do not pass through `service.create`, so the change feed's `client.created` events
are recorded here, one per created client: their objects serialized straight to JSON, their
rows inserted by the commit hook with their sequences (see events.service.record_many).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import numbers, rows
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
    batch = await build(session, principal, items)
    await check(session, principal, batch, dry_run=dry_run)
    return await write(session, principal, batch, dry_run=dry_run)


@dataclass
class Batch:
    """New clients between create_many's steps: the errors so far, the clients still going."""

    outcomes: list[Outcome | None]
    ready: list[tuple[int, Client]] = field(default_factory=list)  # (item index, client)


async def build(
    session: AsyncSession,
    principal: Principal,
    items: Sequence[ClientCreate],
    *,
    pause_every: int = 0,
) -> Batch:
    """Step 1: every item through the rules of a single create (CPU; reads only definitions).

    With `pause_every`, control goes back to the event loop after so many items, so that other
    tasks (the previous chunk of an import being written) go on meanwhile.
    """
    batch = Batch([None] * len(items))
    for index, data in enumerate(items):
        try:
            client = await clients_service.build(session, principal, data, plain=True)
            batch.ready.append((index, client))
        except RolodexError as exc:
            batch.outcomes[index] = exc
        if pause_every and index % pause_every == pause_every - 1:
            await asyncio.sleep(0)
    return batch


async def check(
    session: AsyncSession, principal: Principal, batch: Batch, *, dry_run: bool = False
) -> None:
    """Step 2: uniqueness against the database and within the batch, then numbers."""
    clashes = await _clashes(session, principal, [client for _, client in batch.ready])
    ready = []
    for position, (index, client) in enumerate(batch.ready):
        if position in clashes:
            batch.outcomes[index] = clashes[position]
        else:
            ready.append((index, client))
    batch.ready = ready
    await _number(session, principal, [client for _, client in ready], dry_run=dry_run)


async def write(
    session: AsyncSession, principal: Principal, batch: Batch, *, dry_run: bool = False
) -> list[Outcome]:
    """Step 3: the rows and their client.created events; every item's outcome, in order."""
    outcomes = list(batch.outcomes)
    inserted = await _insert(session, principal, batch.ready)
    for (index, _), result in zip(batch.ready, inserted, strict=True):
        outcomes[index] = result
    if not dry_run:
        created = [o for o in outcomes if o is not None and not isinstance(o, RolodexError)]
        await events_service.record_many(
            session,
            principal,
            "client.created",
            [(c.id, clients_service.snapshot_json(c), c.updated_at) for c in created],
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


# Deferred columns (contact_search_text, kept by PostgreSQL triggers) take the server default.
_ATTRIBUTES = tuple(prop.key for prop in sa_inspect(Client).column_attrs if not prop.deferred)


async def _write(session: AsyncSession, principal: Principal, clients: Sequence[Client]) -> None:
    """Multi-row INSERTs (COPY on PostgreSQL) of the clients and their external ids."""
    await rows.insert_rows(session, Client, [_row(client) for client in clients])
    refs = [
        external_ids_service.row(principal, KIND, client.id, ref)
        for client in clients
        for ref in external_ids_service.refs_of(client.external_ids)
    ]
    await rows.insert_rows(session, ExternalId, refs)


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
