"""Client rules: create, read, list, update, soft delete, restore, purge, upsert.

Every write records exactly one event (client.created, .updated, .deleted, .restored, .purged)
in the caller's transaction, so the native API, the dialects and the CLI all emit them. Nested
contact persons and addresses (a body's lists, a purge) record their own events after it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rolodex.core import listing, numbers, rows
from rolodex.core.addresses import service as addresses_service
from rolodex.core.client_types import repository as client_types_repository
from rolodex.core.clients import documents, embeds, repository
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import (
    READ_ONLY,
    ClientCreate,
    ClientFields,
    ClientRead,
    ClientUpdate,
)
from rolodex.core.clock import format_timestamp, now
from rolodex.core.contacts import service as contacts_service
from rolodex.core.contacts.schemas import ClientContactPersonIn
from rolodex.core.custom_fields import repository as custom_fields_repository
from rolodex.core.custom_fields import service as custom_fields_service
from rolodex.core.db import ReadPool
from rolodex.core.errors import FieldIssue, Invalid, NotFound, PreconditionFailed
from rolodex.core.events import service as events_service
from rolodex.core.events.models import Event
from rolodex.core.external_ids import service as external_ids_service
from rolodex.core.ids import new_id
from rolodex.core.principal import Principal
from rolodex.core.validation import check_national_id, check_vat

NUMBER_KIND = "client"
MAX_NUMBER = 2**31 - 1  # the number column is a 32-bit integer
EVENT_KIND = "client"
# Embedded lists are other records with their own events; a client event carries its own fields.
EMBEDDED = ("contact_persons", "addresses")
_CUSTOM = "customFields."
SUBJECT_KIND = repository.SUBJECT_KIND  # the record kind in the external-id table
# Defaults a replace (PUT) resets absent fields to; everything else absent becomes null.
DEFAULTS: dict[str, Any] = {
    "kind": "COMPANY",
    "status": "ACTIVE",
    "archived": False,
    "tags": [],
    "meta": {},
    "external_ids": [],
    "custom_fields": {},
    "references": [],
}
SEARCHED = (
    "name",
    "long_name",
    "company_name",
    "first_name",
    "last_name",
    "email",
    "external_id",
    "city",
    "phone",
    "mobile",
)


def not_found(client_id: UUID | str | int) -> NotFound:
    return NotFound(f"Client {client_id} not found")


async def get(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
) -> Client:
    """One client of the caller's organization (soft-deleted ones only when asked)."""
    client = await repository.get(session, principal, client_id, for_update=for_update)
    if client is None or (client.deleted_at is not None and not include_deleted):
        raise not_found(client_id)
    return client


async def get_view(
    session: AsyncSession, principal: Principal, client_id: UUID, *, include_deleted: bool = False
) -> dict[str, Any]:
    """One client as the API shows it, with its contact persons and addresses."""
    client = await get(session, principal, client_id, include_deleted=include_deleted)
    embedded = (await embeds.load(session, principal, [client.id]))[client.id]
    return with_embedded(client, embedded)


async def get_document(
    pool: ReadPool, principal: Principal, client_id: UUID, *, include_deleted: bool = False
) -> documents.Document:
    """PostgreSQL: `get_view` as the JSON the database writes (documents.py), in one
    statement on the read pool."""
    found = await documents.one(pool, principal, client_id)
    if found is None or (found.deleted and not include_deleted):
        raise not_found(client_id)
    return found


def _unpack(row: Any) -> tuple[Client, dict[str, Any]]:
    """The client and its embedded lists from a `repository.get_embedded` row."""
    client, *texts = row
    found: embeds.Embedded = {client.id: {name: [] for name in embeds.EMBEDDABLE}}
    embeds.fill(found, embeds.EMBEDDABLE, *texts)
    return client, found[client.id]


def plain(row: Any) -> Client:
    """A plain row (`list_page(plain=True)`) as an object whose attributes
    read as a Client's do, and fast: a Row looks every name up in its key map (to_read over 50
    rows: 1.7 ms from Rows, 0.2 ms from these; making them costs 0.15 ms)."""
    return cast(Client, SimpleNamespace(**dict(zip(row._fields, row, strict=True))))


def with_embedded(client: Client, embedded: dict[str, Any]) -> dict[str, Any]:
    """`to_read` with what `embeds.load` found for the client."""
    return to_read(
        client,
        contact_persons=embedded.get("contactPersons"),
        addresses=embedded.get("addresses"),
    )


async def get_by_number(
    session: AsyncSession,
    principal: Principal,
    number: int,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
) -> Client:
    """One live client by its per-organization number (soft-deleted ones only when asked)."""
    client = None
    if 0 < number <= MAX_NUMBER:
        client = await repository.by_number(session, principal, number, for_update=for_update)
    if client is None or (client.deleted_at is not None and not include_deleted):
        raise not_found(number)
    return client


async def get_by_external_id(
    session: AsyncSession, principal: Principal, external_id: str
) -> Client:
    """One live client by its externalId."""
    client = await repository.by_external_id(session, principal, external_id)
    if client is None:
        raise NotFound(f"Client with externalId {external_id!r} not found")
    return client


async def get_by_external_ref(
    session: AsyncSession, principal: Principal, system: str, external_id: str
) -> Client:
    """One live client by the id another system gives it (externalIds)."""
    ref = external_ids_service.parse_ref(system, external_id)
    client = await repository.by_external_ref(session, principal, ref.system, ref.id)
    if client is None:
        raise NotFound(f"Client with externalIds {system}={external_id} not found")
    return client


async def list_page(
    session: AsyncSession,
    principal: Principal,
    query: listing.ListQuery,
    *,
    spec: listing.ListSpec = repository.LIST_SPEC,
    plain: bool = False,
) -> listing.Page[Client]:
    """A page of clients matching the query (parsed against `spec`, the one used here);
    `plain`: rows with Client's attribute names instead of instances, for reading only."""
    return await repository.list_page(session, principal, query, spec=spec, plain=plain)


async def list_documents(
    session: AsyncSession,
    pool: ReadPool,
    principal: Principal,
    query: listing.ListQuery,
    *,
    spec: listing.ListSpec | None = None,
    include: Collection[str] = (),
) -> listing.Page[bytes]:
    """PostgreSQL: `list_page` as the JSON documents the database writes (documents.py), one
    per client, embedding the lists named in `include`."""
    return await repository.list_documents(
        session, pool, principal, query, spec=spec or repository.LIST_SPEC, include=include
    )


async def list_all(
    session: AsyncSession,
    principal: Principal,
    params: Sequence[tuple[str, str]],
    *,
    spec: listing.ListSpec = repository.LIST_SPEC,
) -> list[Client]:
    """Every client the list parameters select (for fronts whose lists have no pages),
    fetched a page of the largest size at a time through cursors."""
    found: list[Client] = []
    cursor: list[tuple[str, str]] = []
    while True:
        pairs = [*params, ("limit", str(listing.MAX_LIMIT)), *cursor]
        page = await list_page(session, principal, listing.parse_list_query(spec, pairs), spec=spec)
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = [("cursor", page.next_cursor)]


async def list_spec(
    session: AsyncSession,
    principal: Principal,
    params: Sequence[tuple[str, str]],
    *,
    base: listing.ListSpec | None = None,
) -> listing.ListSpec:
    """The clients' list spec (`base`, LIST_SPEC by default); when the query names custom
    fields, their filters and sorts are typed by the organization's definitions."""
    if not any(_CUSTOM in name or _CUSTOM in value for name, value in params):
        return base or repository.LIST_SPEC
    types = await custom_fields_service.types(session, principal)
    return repository.list_spec(types, session.get_bind().dialect.name, base)


async def build(
    session: AsyncSession, principal: Principal, data: ClientCreate, *, plain: bool = False
) -> Client:
    """A new client checked against every rule; not numbered, added or flushed yet.

    With `plain`, a Draft standing in for the Client (rows.Draft: only for writes that insert
    rows themselves, see bulk.py and `_create_in_one_statement`).
    """
    values = _values(data, exclude=("contact_persons", "addresses"))
    start = {"id": new_id(), "organization_id": principal.organization_id, **DEFAULTS}
    client = rows.draft(Client, **start) if plain else Client(**start)
    await _apply(session, principal, client, values, creating=True)
    return client


async def create(session: AsyncSession, principal: Principal, data: ClientCreate) -> Client:
    """Create a client with the next number."""
    return (await _create(session, principal, data))[0]


async def create_view(
    session: AsyncSession, principal: Principal, data: ClientCreate
) -> dict[str, Any]:
    """`create`, answered as the API shows the client. When what it embeds is only what this
    create wrote (new contact persons, no addresses), it is shown as written, not read back."""
    client, contacts = await _create(session, principal, data, alone=True)
    if contacts is None or data.addresses:
        return with_embedded(
            client, (await embeds.load(session, principal, [client.id]))[client.id]
        )
    return to_read(client, contact_persons=contacts, addresses=[])


async def _create(
    session: AsyncSession, principal: Principal, data: ClientCreate, *, alone: bool = False
) -> tuple[Client, list[dict[str, Any]] | None]:
    """The new client, and its contact persons as shown when they were all new (else None).

    The numbers come first, and the custom-field definitions that `build` checks against ride
    along with them (one round trip less). A create refused after that leaves a gap in the
    numbers, as one refused by a unique index always did.

    `alone`: the caller writes nothing else in this transaction, so a create that needs no
    statement but its own writes is one statement in autocommit on PostgreSQL
    (`_create_in_one_statement`)."""
    items = data.contact_persons
    fresh = items if items and contacts_service.all_new(items) else ()
    reserved, definitions = await numbers.reserve_reading(
        session,
        principal.organization_id,
        {NUMBER_KIND: 1, contacts_service.NUMBER_KIND: len(fresh)},
        custom_fields_repository.DEFINITIONS_JSON,
    )
    if definitions is not None:
        custom_fields_service.seed(
            session, principal, custom_fields_repository.from_json(definitions)
        )
    postgres = session.get_bind().dialect.name == "postgresql"
    # Such a create may be one statement: built as Drafts, its rows never join the session.
    plain = alone and postgres and not data.addresses and (not items or bool(fresh))
    client = await build(session, principal, data, plain=plain)
    await sync_external_ids(session, principal, client, new=True)
    one = plain and _nothing_else(session)
    if plain and not one:  # it wrote or read something after all: through the session
        client = rows.made(client)
    client.number = reserved[NUMBER_KIND][0]
    client.search_text = search_text(client)
    new_contacts = None
    # PostgreSQL: the rows written with the client's own (else None).
    with_rows: list[list[Any]] | None = None
    if postgres:
        with_rows = []
    if fresh:
        new_contacts = contacts_service.prepare_new(
            principal, fresh, reserved[contacts_service.NUMBER_KIND], plain=one
        )
        if with_rows is not None:
            # What the links' trigger would set: written with the row, the trigger then finds
            # it current instead of updating the new row (a second version, every index).
            client.contact_search_text = new_contacts.search_text
            # The contacts and their links go in the client's own statement (one round trip
            # instead of three; the links' trigger runs at its end, with every row there).
            links = contacts_service.new_links(principal, client.id, new_contacts, plain=one)
            with_rows = [list(new_contacts.contacts), list(links)]
    if one:
        assert with_rows is not None
        return client, await _create_in_one_statement(
            session, principal, client, new_contacts, with_rows
        )
    await repository.insert_new(session, client, with_rows=with_rows or ())
    # The client's event comes first, then those of its nested contacts and addresses.
    await _record_created(session, principal, client)
    shown = await _set_nested(
        session,
        principal,
        client,
        data,
        replace=False,
        new_contacts=new_contacts,
        written=bool(with_rows),
    )
    return client, [] if not data.contact_persons else shown


def _nothing_else(session: AsyncSession) -> bool:
    """Whether a create with no addresses and only new contact persons writes only its rows and
    events: no statement has run in the session yet (no definition locked for custom-field
    values, no client type checked, ...) and nothing else waits in it to be flushed (external
    ids)."""
    return not session.in_transaction() and not session.new


async def _create_in_one_statement(
    session: AsyncSession,
    principal: Principal,
    client: Client,
    new_contacts: contacts_service.NewContacts | None,
    with_rows: list[list[Any]],
) -> list[dict[str, Any]]:
    """PostgreSQL: the client, its new contact persons, their links and the events of all of
    them in one statement, in autocommit (no BEGIN, no COMMIT: two round trips with the
    numbers', where a transaction takes five). The events are recorded first, from the rows as
    they will be written, and the statement numbers them as the commit hook would: the event
    counter stays locked until the statement's own commit, so sequence order is still commit
    order. The statement writes all of it or nothing; it may write the tenant's concurrent
    creates too (core/clients/creates.py). Answers the contacts as shown."""
    rows.fill_defaults([client, *(new_contacts.contacts if new_contacts else ())])
    await _record_created(session, principal, client)
    shown: list[dict[str, Any]] = []
    if new_contacts is not None:
        shown = await contacts_service.create_for_new_client(
            session, principal, client.id, new_contacts, written=True
        )
    events = events_service.take_deferred(session, principal.organization_id)
    if events is None:  # other events were waiting (none can, with no statement run before)
        await repository.insert_new(session, client, with_rows=with_rows)
        return shown
    engine = session.bind
    if not isinstance(engine, AsyncEngine):  # a session bound to a connection of the caller's
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        await repository.insert_new(session, client, with_rows=with_rows, events=events)
        return shown
    # The session itself never connects: the statement runs on a connection of its own,
    # gathered with the tenant's creates under way meanwhile (core/clients/creates.py).
    await repository.insert_alone(engine, client, with_rows=with_rows, events=events)
    return shown


async def update(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    data: ClientUpdate,
    *,
    if_match: int | None = None,
) -> Client:
    """Change the fields given; `null` clears one."""
    client = await get(session, principal, client_id, for_update=True)
    return await _update(session, principal, client, data, if_match=if_match)


async def update_view(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    data: ClientUpdate,
    *,
    if_match: int | None = None,
) -> dict[str, Any]:
    """`update`, answered as the API shows the client. On PostgreSQL its contact persons and
    addresses (which a PATCH does not change) are read with the row lock, in one statement."""
    if session.get_bind().dialect.name != "postgresql":
        client = await update(session, principal, client_id, data, if_match=if_match)
        return with_embedded(
            client, (await embeds.load(session, principal, [client.id]))[client.id]
        )
    row = await repository.get_embedded(session, principal, client_id, for_update=True)
    if row is None or row[0].deleted_at is not None:
        raise not_found(client_id)
    client, *texts = row
    found: embeds.Embedded = {client.id: {name: [] for name in embeds.EMBEDDABLE}}
    embeds.fill(found, embeds.EMBEDDABLE, *texts)
    client = await _update(session, principal, client, data, if_match=if_match)
    return with_embedded(client, found[client.id])


async def _update(
    session: AsyncSession,
    principal: Principal,
    client: Client,
    data: ClientUpdate,
    *,
    if_match: int | None,
) -> Client:
    check_version(client, if_match)
    check_read_only(client, data)
    before = snapshot(client)
    values = _values(data, exclude=("contact_persons", "addresses"))
    await _apply(session, principal, client, values, creating=False, merge_custom_fields=True)
    if "external_ids" in values:
        await sync_external_ids(session, principal, client)
    await repository.flush(session)
    await _record(session, principal, "client.updated", client, previous=before)
    return client


async def update_with_contacts(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    data: ClientUpdate,
    contact_persons: Sequence[ClientContactPersonIn] | None,
) -> Client:
    """A partial update that, when `contact_persons` is given, also makes the client's contact
    persons exactly those (new ones created, `{"id"}` ones linked, the others unlinked). With
    contact persons and no field, the client itself is left as it is (no client.updated)."""
    if contact_persons is not None and not data.given():
        client = await get(session, principal, client_id, for_update=True)
    else:
        client = await update(session, principal, client_id, data)
    if contact_persons is not None:
        await contacts_service.set_for_client(
            session, principal, client.id, contact_persons, replace=True
        )
    return client


async def replace(
    session: AsyncSession, principal: Principal, client: Client, data: ClientCreate
) -> Client:
    """Replace every field: those the body leaves out go back to their defaults or null."""
    before = snapshot(client)
    values = _values(data, exclude=("contact_persons", "addresses"))
    writable = set(ClientFields.model_fields) - set(READ_ONLY)
    full = {name: None for name in writable} | values
    for attr, default in DEFAULTS.items():
        key = "metadata" if attr == "meta" else attr
        if full.get(key) is None:
            full[key] = default
    await _apply(session, principal, client, full, creating=False)
    await sync_external_ids(session, principal, client)
    await repository.flush(session)
    await _record(session, principal, "client.updated", client, previous=before)
    await _set_nested(session, principal, client, data, replace=True)
    return client


async def _set_nested(
    session: AsyncSession,
    principal: Principal,
    client: Client,
    data: ClientCreate,
    *,
    replace: bool,
    new_contacts: contacts_service.NewContacts | None = None,
    written: bool = False,
) -> list[dict[str, Any]] | None:
    """The body's contactPersons and addresses, when given (null or absent: left as they are);
    `new_contacts`: the contactPersons of a client created in this transaction, prepared, which
    are then answered as shown (else None); `written`: their rows were inserted with the
    client's."""
    shown = None
    if new_contacts is not None:
        shown = await contacts_service.create_for_new_client(
            session, principal, client.id, new_contacts, written=written
        )
    elif data.contact_persons is not None:
        await contacts_service.set_for_client(
            session, principal, client.id, data.contact_persons, replace=replace
        )
    if data.addresses is not None:
        await addresses_service.set_for_client(
            session, principal, client.id, data.addresses, replace=replace
        )
    return shown


async def upsert_by_external_id(
    session: AsyncSession, principal: Principal, external_id: str, data: ClientCreate
) -> tuple[Client, bool]:
    """Create or replace the client with this externalId; True when created."""
    if not external_id.strip() or len(external_id) > 255:
        raise Invalid.field("externalId", "must be 1 to 255 characters")
    if data.external_id not in (None, external_id):
        raise Invalid.field("externalId", "differs from the externalId in the path")
    data = data.model_copy(update={"external_id": external_id})
    data.model_fields_set.add("external_id")
    existing = await repository.by_external_id(session, principal, external_id, for_update=True)
    if existing is None:
        return await create(session, principal, data), True
    return await replace(session, principal, existing, data), False


async def upsert_by_external_ref(
    session: AsyncSession, principal: Principal, system: str, external_id: str, data: ClientCreate
) -> tuple[Client, bool]:
    """Create or replace the client holding this id in `system`; True when created."""
    ref = external_ids_service.parse_ref(system, external_id)
    refs = external_ids_service.with_ref(data.external_ids, ref)
    data = data.model_copy(update={"external_ids": refs})
    data.model_fields_set.add("external_ids")
    await external_ids_service.lock_ref(session, principal, SUBJECT_KIND, (ref.system, ref.id))
    existing = await repository.by_external_ref(
        session, principal, ref.system, ref.id, for_update=True
    )
    if existing is None:
        return await create(session, principal, data), True
    return await replace(session, principal, existing, data), False


async def sync_external_ids(
    session: AsyncSession, principal: Principal, client: Client, *, new: bool = False
) -> None:
    """Make the external-id table match the client's externalIds (409 when one is taken)."""
    refs = external_ids_service.refs_of(client.external_ids)
    await external_ids_service.replace(session, principal, SUBJECT_KIND, client.id, refs, new=new)


async def delete(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    *,
    permanent: bool = False,
    if_match: int | None = None,
) -> Client:
    """Soft delete (hidden, restorable) or, with `permanent`, purge for good."""
    client = await get(session, principal, client_id, include_deleted=permanent, for_update=True)
    check_version(client, if_match)
    await external_ids_service.remove(session, principal, SUBJECT_KIND, [client.id])
    if permanent:
        # The event keeps the client's last state; the events outlive the row.
        await events_service.record(session, principal, "client.purged", snapshot(client))
        # The foreign keys cascade too; doing it here also deletes the contacts left orphaned.
        await contacts_service.detach_client(session, principal, client.id)
        await addresses_service.delete_for_client(session, principal, client.id)
        await _orders_service().delete_for_client(session, principal, client.id)
        await session.delete(client)
        await session.flush()
        return client
    before = snapshot(client)
    seen = await contacts_service.visibility(session, principal, client.id)
    client.deleted_at = client.updated_at = now()
    await repository.flush(session)
    # Contacts this client alone kept visible release their externalIds.
    await contacts_service.follow_client(session, principal, client.id, seen)
    await _record(session, principal, "client.deleted", client, previous=before)
    return client


async def restore(session: AsyncSession, principal: Principal, client_id: UUID) -> Client:
    """Undo a soft delete; a live client is answered unchanged."""
    client = await get(session, principal, client_id, include_deleted=True, for_update=True)
    if client.deleted_at is not None:
        before = snapshot(client)
        seen = await contacts_service.visibility(session, principal, client.id)
        client.deleted_at = None
        client.updated_at = now()
        await sync_external_ids(session, principal, client)
        await repository.flush(session)
        # Its contacts that are visible again take their externalIds back (409 when taken).
        await contacts_service.follow_client(session, principal, client.id, seen)
        await _record(session, principal, "client.restored", client, previous=before)
    return client


async def get_as_of(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    moment: datetime,
    *,
    include_deleted: bool = False,
) -> dict[str, Any]:
    """The client as it was at `moment` (its last event then), as the API showed it."""
    event = await events_service.latest_at(session, principal, EVENT_KIND, client_id, moment)
    if event is None or event.type == "client.purged":
        raise not_found(client_id)
    if event.type == "client.deleted" and not include_deleted:
        raise not_found(client_id)
    return dict(event.data["object"])


async def history(
    session: AsyncSession, principal: Principal, client_id: UUID, query: listing.ListQuery
) -> listing.Page[Event]:
    """A page of the client's changes, newest first (also for deleted and purged clients)."""
    page = await events_service.history(session, principal, EVENT_KIND, client_id, query)
    if not page.items and not await events_service.any_for(
        session, principal, EVENT_KIND, client_id
    ):
        await get(session, principal, client_id, include_deleted=True)  # 404 when unknown
    return page


def snapshot(client: Client) -> dict[str, Any]:
    """The client as its events carry it: the API's view, without the embedded lists."""
    return events_service.snapshot(ClientRead, to_read(client), exclude=EMBEDDED)


def snapshot_json(client: Client) -> str:
    """`snapshot` as JSON text (for bulk writes: the same object, at less than half the cost)."""
    return events_service.snapshot_json(ClientRead, to_read(client), exclude=EMBEDDED)


async def _record(
    session: AsyncSession,
    principal: Principal,
    event_type: str,
    client: Client,
    *,
    previous: dict[str, Any] | None = None,
) -> None:
    await events_service.record(
        session, principal, event_type, snapshot(client), previous=previous, at=client.updated_at
    )


async def _record_created(session: AsyncSession, principal: Principal, client: Client) -> None:
    """`client.created`, its object written as JSON at once (`snapshot_json`: the same object
    as `snapshot`'s, for less than half the cost)."""
    await events_service.record_many(
        session,
        principal,
        "client.created",
        [(client.id, snapshot_json(client), client.updated_at)],
    )


def check_version(client: Client, if_match: int | None) -> None:
    """412 when the caller's If-Match version is not the current one."""
    if if_match is not None and if_match != client.version:
        raise PreconditionFailed(
            f"Client {client.id} is at version {client.version}, not {if_match}"
        )


def check_read_only(client: Client, data: ClientFields) -> None:
    """Read-only fields may be sent back unchanged; a changed one is a 400."""
    current = read_only_values(client)
    issues = [
        FieldIssue(_camel(name), "read-only field")
        for name in READ_ONLY
        if name in data.model_fields_set
        and getattr(data, name) is not None
        and str(getattr(data, name)) != current[name]
    ]
    if issues:
        raise Invalid("Read-only fields cannot be changed", details=issues)


def read_only_values(client: Client) -> dict[str, str]:
    return {
        "id": str(client.id),
        "number": str(client.number),
        "display_name": display_name(client),
        "organization": str(client.organization_id),
        "version": str(client.version),
        "created_at": _stamp(client.created_at),
        "updated_at": _stamp(client.updated_at),
        "deleted_at": _stamp(client.deleted_at),
        "archived_at": _stamp(client.archived_at),
    }


def _stamp(value: datetime | None) -> str:
    return format_timestamp(value) if value else "None"


def display_name(client: Client) -> str:
    """A person's first and last name when known, otherwise the name."""
    if client.kind == "PERSON":
        full = " ".join(p for p in (client.first_name, client.last_name) if p)
        if full:
            return full
    return client.name


def _values(data: ClientFields, *, exclude: Sequence[str]) -> dict[str, Any]:
    skip = set(READ_ONLY) | set(exclude)
    values = {k: v for k, v in data.given().items() if k not in skip}
    for key in ("external_ids", "references"):
        if values.get(key) is not None:
            values[key] = [item.model_dump(mode="json") for item in values[key]]
    if "point" in values and values["point"] is not None:
        values["point"] = values["point"].model_dump()
    if values.get("structure_id") is not None:
        # Stored as text: Rolodex keeps no table of business units to reference.
        values["structure_id"] = str(values["structure_id"])
    return values


def would_change(client: Client, data: ClientFields) -> bool:
    """Whether `data` as a PATCH would change any stored field (a re-import changes nothing)."""
    for key, value in _values(data, exclude=("contact_persons", "addresses")).items():
        if key == "point":
            wanted = (value["lng"], value["lat"]) if value else (None, None)
            if wanted != (client.point_lng, client.point_lat):
                return True
            continue
        attr = "meta" if key == "metadata" else key
        if value is None and attr in DEFAULTS:
            value = DEFAULTS[attr]
        value = value.value if hasattr(value, "value") else value
        if attr == "references":
            value = _number_references(value)
        current = getattr(client, attr)
        if isinstance(value, UUID) or isinstance(current, UUID):
            value, current = (str(v) if v is not None else None for v in (value, current))
        if value != current:
            return True
    return False


async def _apply(
    session: AsyncSession,
    principal: Principal,
    client: Client,
    values: dict[str, Any],
    *,
    creating: bool,
    merge_custom_fields: bool = False,
) -> None:
    """Set the given values on the client, then check the rules that span fields.

    `customFields` replaces the whole set on create and replace; on PATCH
    (`merge_custom_fields`) it is merged by key: absent keys stay, `null` removes one.
    """
    if "name" in values and values["name"] is None:
        raise Invalid.field("name", "is required")
    given_custom = "custom_fields" in values
    custom = values.pop("custom_fields", None)
    for key, value in values.items():
        _set(client, key, value)
    if merge_custom_fields:
        if given_custom:
            current = dict(client.custom_fields or {})
            # `"customFields": null` clears every value, as if each key were sent as null.
            given = custom if custom is not None else dict.fromkeys(current)
            client.custom_fields = await custom_fields_service.validate_values(
                session, principal, given, current=current
            )
    else:
        client.custom_fields = await custom_fields_service.validate_values(
            session, principal, custom or {}
        )
    if "client_type_id" in values and client.client_type_id is not None:
        await _check_client_type(session, principal, client.client_type_id)
    _check_rules(client)
    client.references = _number_references(client.references or [])
    client.search_text = search_text(client)
    if "archived" in values:
        client.archived_at = (client.archived_at or now()) if client.archived else None
    client.updated_at = now()
    if creating:
        client.created_at = client.updated_at


def _set(client: Client, key: str, value: Any) -> None:
    if key == "point":
        client.point_lng = value["lng"] if value else None
        client.point_lat = value["lat"] if value else None
    elif key == "metadata":
        client.meta = value if value is not None else {}
    elif key in DEFAULTS and value is None:
        setattr(client, key, DEFAULTS[key])
    elif key == "structure_id":  # a UUID in the API, kept as text
        client.structure_id = str(value) if value is not None else None
    else:
        setattr(client, key, value.value if hasattr(value, "value") else value)


def _check_rules(client: Client) -> None:
    issues: list[FieldIssue] = []
    if client.payment_type == "EMAIL" and not client.billing_email:
        issues.append(FieldIssue("billingEmail", "is required when paymentType is EMAIL"))
    if client.vat_number and (problem := check_vat(client.vat_number, client.country)):
        issues.append(FieldIssue("vatNumber", problem))
    if client.personal_number and (
        problem := check_national_id(client.personal_number, client.country)
    ):
        issues.append(FieldIssue("personalNumber", problem))
    if issues:
        raise Invalid("; ".join(f"{i.field} {i.message}" for i in issues), details=issues)


async def _check_client_type(session: AsyncSession, principal: Principal, type_id: UUID) -> None:
    if await client_types_repository.get(session, principal, type_id) is None:
        raise Invalid.field("clientTypeId", f"no client type {type_id} in this organization")


def _number_references(refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    taken = [r["id"] for r in refs if isinstance(r.get("id"), int)]
    next_id = max(taken, default=0) + 1
    out = []
    for ref in refs:
        if ref.get("id") is None:
            ref = {**ref, "id": next_id}
            next_id += 1
        out.append(ref)
    return out


def search_text(client: Client) -> str:
    """What `q` matches: the searched fields and the number, lower-cased."""
    parts = [getattr(client, name) for name in SEARCHED]
    parts.append(str(client.number) if client.number else "")
    return " ".join(p for p in parts if p).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_read(
    client: Client,
    *,
    contact_persons: list[dict[str, Any]] | None = None,
    addresses: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The client as the API shows it (camelCase keys, before response-model validation)."""
    point = None
    if client.point_lng is not None and client.point_lat is not None:
        point = {"lng": client.point_lng, "lat": client.point_lat}
    return {
        "id": client.id,
        "number": client.number,
        "name": client.name,
        "longName": client.long_name,
        "displayName": display_name(client),
        "kind": client.kind,
        "firstName": client.first_name,
        "lastName": client.last_name,
        "companyName": client.company_name,
        "externalId": client.external_id,
        "customPriceId": client.custom_price_id,
        "creditLimit": client.credit_limit,
        "usedLimit": client.used_limit,
        "paymentTerms": client.payment_terms,
        "paymentType": client.payment_type,
        "billingEmail": client.billing_email,
        "additionalInformation": client.additional_information,
        "frameContract": client.frame_contract,
        "selfInsurance": client.self_insurance,
        "pricing": client.pricing,
        "website": client.website,
        "fax": client.fax,
        "phone": client.phone,
        "mobile": client.mobile,
        "workPhone": client.work_phone,
        "email": client.email,
        "vatNumber": client.vat_number,
        "personalNumber": client.personal_number,
        "point": point,
        "street": client.street,
        "streetAndNumber": client.street_and_number,
        "postalCode": client.postal_code,
        "city": client.city,
        "provinceCode": client.province_code,
        "country": client.country,
        "department": client.department,
        "invoiceAddressing": client.invoice_addressing,
        "partnerType": client.partner_type,
        "creditworthiness": client.creditworthiness,
        "status": client.status,
        "clientTypeId": client.client_type_id,
        "tags": client.tags,
        "metadata": client.meta,
        "externalIds": client.external_ids,
        "customFields": client.custom_fields,
        "references": client.references,
        "archived": client.archived,
        "archivedAt": client.archived_at,
        "deletedAt": client.deleted_at,
        "organization": client.organization_id,
        "structureId": client.structure_id,
        "version": client.version,
        "createdAt": client.created_at,
        "updatedAt": client.updated_at,
        "contactPersons": contact_persons,
        "addresses": addresses,
    }


def _orders_service() -> Any:
    # orders.service imports this module (an order's client must exist), so import it late.
    from rolodex.core.orders import service

    return service
