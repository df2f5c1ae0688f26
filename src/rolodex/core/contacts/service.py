"""Contact person rules: create, link, unlink, update, read; the one-main-per-client invariant.

Every change to a client's links first locks that client's row (SELECT ... FOR UPDATE on
PostgreSQL; SQLite runs one writer at a time anyway), then the contacts involved, in id order.
So concurrent "make main" requests for one client run one after the other, and the partial
unique index on (organization_id, client_id) WHERE is_main is the last line of defence.

Every write records one event per contact person whose view from the client concerned changed
(see `_Watch`): `contact_person.created`, `.linked`, `.unlinked`, `.updated` (a field or the
client's `isMain`: a demoted or promoted main contact gets one too), and `.deleted` right after
the `.unlinked` of a contact left with no client.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, partial
from typing import Any
from uuid import UUID

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import listing, numbers, rows
from rolodex.core.clients import repository as clients_repository
from rolodex.core.clients.models import Client
from rolodex.core.clock import format_timestamp, now
from rolodex.core.contacts import repository
from rolodex.core.contacts.models import ContactLink, ContactPerson
from rolodex.core.contacts.schemas import (
    READ_ONLY,
    ClientContactPersonIn,
    ContactPersonCreate,
    ContactPersonFields,
    ContactPersonRead,
    ContactPersonUpdate,
    ContactPersonUpsert,
)
from rolodex.core.errors import (
    Conflict,
    FieldIssue,
    Invalid,
    NotFound,
    PreconditionFailed,
    under,
)
from rolodex.core.events import service as events_service
from rolodex.core.external_ids import service as external_ids_service
from rolodex.core.ids import new_id
from rolodex.core.principal import Principal
from rolodex.core.validation import check_national_id

NUMBER_KIND = "contact_person"
SUBJECT_KIND = repository.SUBJECT_KIND  # the record kind in the external-id table
MAX_NUMBER = 2**31 - 1  # the number column is a 32-bit integer
NOT_WRITTEN = {*READ_ONLY, "is_main"}
SEARCHED = (
    "name",
    "first_name",
    "last_name",
    "email",
    "email2",
    "phone",
    "phone2",
    "mobile",
    "work_phone",
)


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact person as seen from one client (`client_id`, `is_main`)."""

    contact: ContactPerson
    client_id: UUID | None
    is_main: bool | None
    client_ids: list[UUID]


def not_found(contact_id: UUID | str) -> NotFound:
    return NotFound(f"Contact person {contact_id} not found")


async def live_client(
    session: AsyncSession, principal: Principal, client_id: UUID, *, for_update: bool = False
) -> Client:
    """The client in the URL: a soft-deleted one is a 404 like a missing one."""
    client = await clients_repository.get(session, principal, client_id, for_update=for_update)
    if client is None or client.deleted_at is not None:
        raise NotFound(f"Client {client_id} not found")
    return client


# ---------------------------------------------------------------- reads


async def get(session: AsyncSession, principal: Principal, contact_id: UUID) -> ContactView:
    """One contact person linked to at least one live client (top level)."""
    contact = await repository.get_visible(session, principal, contact_id)
    if contact is None:
        raise not_found(contact_id)
    return (await _views(session, principal, [contact], None))[0]


async def ids_by_number(
    session: AsyncSession, principal: Principal, numbers: Collection[int]
) -> dict[int, UUID]:
    """number -> id for those of these per-organization numbers that name a contact person."""
    wanted = {number for number in numbers if 0 < number <= MAX_NUMBER}
    return await repository.ids_by_number(session, principal, wanted)


async def list_page(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> listing.Page[ContactView]:
    """A page of the organization's contact persons, across clients."""
    page = await repository.list_page(session, principal, query)
    return _with_items(page, await _views(session, principal, page.items, None))


async def get_for_client(
    session: AsyncSession, principal: Principal, client_id: UUID, contact_id: UUID
) -> ContactView:
    """One contact person of a live client."""
    await live_client(session, principal, client_id)
    found = await repository.get_linked(session, principal, client_id, contact_id)
    if found is None:
        raise not_found(contact_id)
    return (await _views(session, principal, [found[0]], client_id))[0]


async def get_by_external_id_for_client(
    session: AsyncSession, principal: Principal, client_id: UUID, external_id: str
) -> ContactView:
    """One contact person of a live client, by its externalId."""
    await live_client(session, principal, client_id)
    found = await repository.by_external_id_linked(session, principal, client_id, external_id)
    if found is None:
        raise NotFound(f"Contact person with externalId {external_id!r} not found")
    return (await _views(session, principal, [found[0]], client_id))[0]


async def get_by_external_ref(
    session: AsyncSession, principal: Principal, system: str, external_id: str
) -> ContactView:
    """One visible contact person by the id another system gives it (externalIds)."""
    ref = external_ids_service.parse_ref(system, external_id)
    contact = await repository.by_external_ref(session, principal, ref.system, ref.id)
    if contact is None:
        raise NotFound(f"Contact person with externalIds {system}={external_id} not found")
    return (await _views(session, principal, [contact], None))[0]


async def list_for_client(
    session: AsyncSession, principal: Principal, client_id: UUID, query: listing.ListQuery
) -> listing.Page[ContactView]:
    """A page of a live client's contact persons, the main one first by default."""
    await live_client(session, principal, client_id)
    page = await repository.list_for_client(session, principal, client_id, query)
    return _with_items(page, await _views(session, principal, page.items, client_id))


def _with_items(
    page: listing.Page[ContactPerson], views: list[ContactView]
) -> listing.Page[ContactView]:
    return listing.Page(views, page.total, page.page, page.limit, page.page_count, page.next_cursor)


async def _views(
    session: AsyncSession,
    principal: Principal,
    contacts: Sequence[ContactPerson],
    client_id: UUID | None,
) -> list[ContactView]:
    """Views of these contacts from `client_id` (None: from the client first linked)."""
    links = await repository.links_of(session, principal, [c.id for c in contacts])
    views = []
    for contact in contacts:
        mine = links[contact.id]
        flags = dict(mine)
        seen_from = client_id if client_id is not None else (mine[0][0] if mine else None)
        views.append(
            ContactView(
                contact,
                seen_from,
                flags.get(seen_from) if seen_from is not None else None,
                [cid for cid, _ in mine],
            )
        )
    return views


# ---------------------------------------------------------------- writes on one client


async def create(
    session: AsyncSession, principal: Principal, client_id: UUID, data: ContactPersonCreate
) -> ContactView:
    """Create a contact person linked to the client (main when asked, or when it is the first)."""
    await live_client(session, principal, client_id, for_update=True)
    watch = await _Watch.start(session, principal, client_id)
    contact = _new(principal)
    _apply(contact, _values(data), creating=True)
    contact.number = await numbers.next_number(session, principal.organization_id, NUMBER_KIND)
    contact.search_text = search_text(contact)
    session.add(contact)
    await repository.flush(session)
    watch.created(contact)
    await _link(session, principal, client_id, contact.id, data.is_main, None)
    await watch.finish(session, principal, first=[contact.id])
    return (await _views(session, principal, [contact], client_id))[0]


async def update(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    contact_id: UUID,
    data: ContactPersonUpdate,
    *,
    if_match: int | None = None,
) -> ContactView:
    """Change the fields given (`null` clears one); `isMain` applies to this client's link."""
    await live_client(session, principal, client_id, for_update=True)
    found = await repository.get_linked(session, principal, client_id, contact_id, for_update=True)
    if found is None:
        raise not_found(contact_id)
    contact, is_main = found
    check_version(contact, if_match)
    _check_read_only(contact, client_id, data)
    watch = await _Watch.start(session, principal, client_id, [contact])
    values = _values(data)
    if values:
        _apply(contact, values, creating=False)
        await repository.flush(session)
    await _link(session, principal, client_id, contact.id, data.is_main, is_main)
    await watch.finish(session, principal)
    return (await _views(session, principal, [contact], client_id))[0]


async def link(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    contact_id: UUID,
    is_main: bool | None,
) -> tuple[ContactView, bool]:
    """Link an existing contact person of the organization to the client; True when new."""
    await live_client(session, principal, client_id, for_update=True)
    contact = await repository.get(session, principal, contact_id, for_update=True)
    if contact is None:
        raise not_found(contact_id)
    watch = await _Watch.start(session, principal, client_id, [contact])
    current = await repository.link_flag(session, principal, client_id, contact_id)
    created = await _link(session, principal, client_id, contact_id, is_main, current)
    await watch.finish(session, principal)
    return (await _views(session, principal, [contact], client_id))[0], created


async def upsert_by_external_ref(
    session: AsyncSession,
    principal: Principal,
    system: str,
    external_id: str,
    data: ContactPersonUpsert,
) -> tuple[ContactView, bool]:
    """Create (True) or replace the contact person holding this id in `system`.

    A new contact needs `clientId`, the live client it is created for (400 without). A replace
    resets the fields the body leaves out, keeps the contact's links, links it to `clientId`
    too when given, and answers it as seen from that client (else from the client it was first
    linked to), the one `isMain` is about.
    """
    ref = external_ids_service.parse_ref(system, external_id)
    refs = external_ids_service.with_ref(data.external_ids, ref)
    data = data.model_copy(update={"external_ids": refs})
    data.model_fields_set.add("external_ids")
    await external_ids_service.lock_ref(session, principal, SUBJECT_KIND, (ref.system, ref.id))
    found = await repository.by_external_ref(session, principal, ref.system, ref.id)
    client_id = data.client_id
    if client_id is not None:
        await _body_client(session, principal, client_id)
    if found is None:
        if client_id is None:
            raise Invalid.field(
                "clientId", "is required to create a contact person (the client it belongs to)"
            )
        return await create(session, principal, client_id, data), True
    if client_id is None:
        links = await repository.links_of(session, principal, [found.id])
        client_id = links[found.id][0][0]  # visible, so linked to a live client
        await live_client(session, principal, client_id, for_update=True)
    # Locked after its client, as every contact write does (never the other way round).
    contact = await repository.get(session, principal, found.id, for_update=True)
    if contact is None:
        raise Conflict("The contact person was removed meanwhile; try again")
    current = await repository.link_flag(session, principal, client_id, contact.id)
    watch = await _Watch.start(session, principal, client_id, [contact])
    _apply(contact, _replacement(data), creating=False)
    await repository.flush(session)
    await _link(session, principal, client_id, contact.id, data.is_main, current)
    await watch.finish(session, principal)
    return (await _views(session, principal, [contact], client_id))[0], False


async def _body_client(session: AsyncSession, principal: Principal, client_id: UUID) -> None:
    """A body's `clientId`: a live client of the organization (locked), else a 400."""
    try:
        await live_client(session, principal, client_id, for_update=True)
    except NotFound:
        raise Invalid.field("clientId", f"no client {client_id} in this organization") from None


def _replacement(data: ContactPersonFields) -> dict[str, Any]:
    """Every writable field: those the body leaves out are cleared (lists and maps emptied)."""
    writable = set(ContactPersonFields.model_fields) - NOT_WRITTEN
    return {name: None for name in writable} | _values(data)


async def unlink(
    session: AsyncSession, principal: Principal, client_id: UUID, contact_id: UUID
) -> ContactView:
    """Remove the contact from the client; deleted when no client is left. Answers it as it was."""
    await live_client(session, principal, client_id, for_update=True)
    found = await repository.get_linked(session, principal, client_id, contact_id, for_update=True)
    if found is None:
        raise not_found(contact_id)
    before = (await _views(session, principal, [found[0]], client_id))[0]
    watch = await _Watch.start(session, principal, client_id, [found[0]])
    await repository.delete_links(session, principal, client_id, [contact_id])
    if found[1]:
        # The next contact in the client's list takes over as the main one.
        successor = await repository.first_linked(session, principal, client_id)
        if successor is not None:
            # Watched now: its view changes only when it becomes the main one.
            await watch.add(
                session, principal, await repository.get_many(session, principal, [successor])
            )
        await repository.set_main(session, principal, client_id, successor)
    await watch.finish(session, principal)
    return before


async def _link(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    contact_id: UUID,
    want_main: bool | None,
    current: bool | None,
) -> bool:
    """Create or adjust one link (the client is locked); True when it was created."""
    if current is None:
        main = await repository.main_of(session, principal, client_id)
        # The first contact of a client without a main one becomes its main contact.
        make_main = want_main is True or main is None
        if make_main and main is not None:
            await repository.set_main(session, principal, client_id, None)
        await repository.insert_link(session, principal, client_id, contact_id, make_main)
        return True
    if want_main is True and not current:
        await repository.set_main(session, principal, client_id, contact_id)
    elif want_main is False and current:
        await repository.set_main(session, principal, client_id, None)
    return False


# ---------------------------------------------------------------- a client body's list


async def set_for_client(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    items: Sequence[ClientContactPersonIn],
    *,
    replace: bool,
) -> None:
    """A client body's `contactPersons`: new ones created, `{"id"}` ones linked (and updated).

    With `replace`, the client ends up linked to exactly these; contacts it loses and that
    no other client has are deleted. The caller holds the client (new, or locked).
    """
    _check_items(items)
    current = await repository.link_state(session, principal, client_id) if replace else {}
    wanted = {item.id for item in items if item.id is not None}
    locked = await repository.lock_many(session, principal, wanted | set(current))
    watch = await _Watch.start(session, principal, client_id, locked.values())
    fresh = sum(1 for item in items if item.id is None)
    reserved = iter(
        await numbers.next_numbers(session, principal.organization_id, NUMBER_KIND, fresh)
        if fresh
        else ()
    )
    chosen: list[UUID] = []
    for index, item in enumerate(items):
        with under(f"contactPersons[{index}]"):
            chosen.append(await _item(session, principal, item, locked, reserved, watch))
    gone = set(current) - set(chosen)
    if gone:
        await repository.delete_links(session, principal, client_id, gone)
    for contact_id in chosen:
        if contact_id not in current:
            await repository.insert_link(session, principal, client_id, contact_id, False)
    await repository.set_main(session, principal, client_id, _pick_main(items, chosen, current))
    # Events in the body's order, then the contacts the client lost.
    await watch.finish(session, principal, first=chosen)


def all_new(items: Sequence[ClientContactPersonIn]) -> bool:
    """Whether `create_for_new_client` can take these items: new contacts, no externalId and
    no externalIds (those go through `set_for_client`, which claims them in the external-id
    table)."""
    return all(
        item.id is None and item.external_id is None and not item.external_ids for item in items
    )


@dataclass
class NewContacts:
    """The contact persons of a client being created, built and numbered (`prepare_new`),
    not yet written (`create_for_new_client`)."""

    items: Sequence[ClientContactPersonIn]
    contacts: list[ContactPerson]

    @property
    def search_text(self) -> str:
        """What PostgreSQL keeps in the client's `contact_search_text` for these contacts (the
        function of migration 0012: their texts joined by U+0001 in id order)."""
        return "\x01".join(c.search_text for c in sorted(self.contacts, key=lambda c: c.id))

    @cached_property
    def main(self) -> UUID | None:
        """The one of them that is the client's main contact."""
        return _pick_main(self.items, [contact.id for contact in self.contacts], {})


def prepare_new(
    principal: Principal,
    items: Sequence[ClientContactPersonIn],
    reserved: range,
    *,
    plain: bool = False,
) -> NewContacts:
    """The new contacts of `items` (`all_new`), checked, numbered from `reserved` (one number
    each, NUMBER_KIND) and with their ids, ready for `create_for_new_client`: the client's own
    row can then carry their search text. With `plain`, as Drafts (rows.Draft), for a create
    that writes its rows itself."""
    _check_items(items)
    contacts: list[ContactPerson] = []
    numbers_left = iter(reserved)
    for index, item in enumerate(items):
        with under(f"contactPersons[{index}]"):
            contact = _new(principal, plain=plain)
            _apply(contact, _values(item), creating=True)
        contact.id = new_id()
        contact.number = next(numbers_left)
        contact.search_text = search_text(contact)
        contacts.append(contact)
    return NewContacts(items, contacts)


def new_links(
    principal: Principal, client_id: UUID, new: NewContacts, *, plain: bool = False
) -> list[ContactLink]:
    """The links of a new client to its new contacts (`prepare_new`), for the client's own
    INSERT to write with it (PostgreSQL: then `create_for_new_client(..., written=True)`);
    with `plain`, as Drafts."""
    moment = now()
    make = partial(rows.draft, ContactLink) if plain else ContactLink
    return [
        make(
            organization_id=principal.organization_id,
            client_id=client_id,
            contact_person_id=contact.id,
            is_main=contact.id == new.main,
            created_at=moment,
        )
        for contact in new.contacts
    ]


async def create_for_new_client(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    new: NewContacts,
    *,
    written: bool = False,
) -> list[dict[str, Any]]:
    """`set_for_client` for a client created in this transaction, when every item is a new
    contact without an externalId (`all_new`): the same rows and events, written together
    (contacts, links, events: three statements instead of a dozen). Answers the contacts as
    the client's response embeds them (main first, then by number), as written.

    Nothing can be linked to the client yet, so there is nothing to watch or unlink; without
    an externalId or externalIds a contact has no unique value that one item could take from
    another. `written`: the contacts and their links (`new_links`) were inserted with the
    client's row; only their events and answers are left.
    """
    contacts = new.contacts
    if not contacts:
        return []
    main = new.main
    if not written:
        await repository.insert_new(session, contacts)
        await repository.insert_links(
            session, principal, client_id, [(c.id, c.id == main) for c in contacts]
        )
    views = [ContactView(c, client_id, c.id == main, [client_id]) for c in contacts]
    shown = [to_read(view) for view in views]
    await events_service.record_many(
        session,
        principal,
        "contact_person.created",
        [
            (
                view.contact.id,
                events_service.snapshot_json(ContactPersonRead, read),
                view.contact.updated_at,
            )
            for view, read in zip(views, shown, strict=True)
        ],
    )
    # The order of embeds.load (contacts_repository.embedded_json): main first, then number.
    return [read for _, read in sorted(zip(views, shown, strict=True), key=_embedded_order)]


def _embedded_order(pair: tuple[ContactView, dict[str, Any]]) -> tuple[bool, int]:
    view = pair[0]
    return not view.is_main, view.contact.number


async def _item(
    session: AsyncSession,
    principal: Principal,
    item: ClientContactPersonIn,
    locked: dict[UUID, ContactPerson],
    reserved: Any,
    watch: _Watch,
) -> UUID:
    """One item of `contactPersons`: the id of the contact it names or creates."""
    values = _values(item)
    if item.id is not None:
        contact = locked.get(item.id)
        if contact is None:
            raise Invalid.field("id", f"no contact person {item.id} in this organization")
        if values:
            _apply(contact, values, creating=False)
            await repository.flush(session)
        return contact.id
    contact = _new(principal)
    _apply(contact, values, creating=True)
    contact.number = next(reserved)
    contact.search_text = search_text(contact)
    session.add(contact)
    await repository.flush(session)
    watch.created(contact)
    return contact.id


def _check_items(items: Sequence[ClientContactPersonIn]) -> None:
    """At most one main, and no contact listed twice."""
    mains = [index for index, item in enumerate(items) if item.is_main]
    if len(mains) > 1:
        raise Invalid.field(
            f"contactPersons[{mains[1]}].isMain", "only one contact person can be the main one"
        )
    seen: set[UUID] = set()
    for index, item in enumerate(items):
        if item.id is not None:
            if item.id in seen:
                raise Invalid.field(f"contactPersons[{index}].id", "listed twice")
            seen.add(item.id)


def _pick_main(
    items: Sequence[ClientContactPersonIn], chosen: list[UUID], current: dict[UUID, bool]
) -> UUID | None:
    """The one asked for; else the current main if it stays; else the first one."""
    for item, contact_id in zip(items, chosen, strict=True):
        if item.is_main:
            return contact_id
    willing = [cid for item, cid in zip(items, chosen, strict=True) if item.is_main is not False]
    kept = [cid for cid, is_main in current.items() if is_main and cid in willing]
    if kept:
        return kept[0]
    if willing:
        return willing[0]
    return chosen[0] if chosen else None


async def merge_into_client(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    items: Sequence[ClientContactPersonIn],
) -> None:
    """A client body's `contactPersons` added to an existing client, overwriting nothing.

    An `{"id"}` item is linked (when it is not yet) and its empty fields filled from the item. A
    new one with the email (any case) of a contact already linked to the client, or of an
    earlier item, is merged into that contact the same way; any other new one is created and
    linked. The client's main contact stays; a client without one gets the item marked main
    (else the first). The caller holds the client (locked).
    """
    _check_items(items)
    current = await repository.link_state(session, principal, client_id)
    wanted = {item.id for item in items if item.id is not None}
    locked = await repository.lock_many(session, principal, wanted | set(current))
    watch = await _Watch.start(session, principal, client_id, locked.values())
    by_email: dict[str, ContactPerson] = {}
    for contact in sorted(locked.values(), key=lambda found: found.number):
        if contact.id in current and contact.email:
            by_email.setdefault(contact.email.lower(), contact)  # the oldest one wins
    chosen: list[UUID] = []
    for index, item in enumerate(items):
        with under(f"contactPersons[{index}]"):
            contact = await _merged_item(session, principal, item, locked, by_email, watch)
        chosen.append(contact.id)
    for contact_id in dict.fromkeys(chosen):
        if contact_id not in current:
            await repository.insert_link(session, principal, client_id, contact_id, False)
    if chosen and not any(current.values()):
        marked = [cid for item, cid in zip(items, chosen, strict=True) if item.is_main]
        await repository.set_main(session, principal, client_id, (marked or chosen)[0])
    await watch.finish(session, principal, first=chosen)


async def _merged_item(
    session: AsyncSession,
    principal: Principal,
    item: ClientContactPersonIn,
    locked: dict[UUID, ContactPerson],
    by_email: dict[str, ContactPerson],
    watch: _Watch,
) -> ContactPerson:
    """The contact one item of a merge names, matches by email, or creates."""
    values = _values(item)
    contact: ContactPerson | None
    if item.id is not None:
        contact = locked.get(item.id)
        if contact is None:
            raise Invalid.field("id", f"no contact person {item.id} in this organization")
    else:
        contact = by_email.get(item.email.lower()) if item.email else None
    if contact is None:
        contact = _new(principal)
        _apply(contact, values, creating=True)
        contact.number = await numbers.next_number(session, principal.organization_id, NUMBER_KIND)
        session.add(contact)
        await repository.flush(session)
        watch.created(contact)
    else:
        filled = _unfilled(contact, values)
        if filled:
            _apply(contact, filled, creating=False)
            await repository.flush(session)
    if contact.email:
        by_email.setdefault(contact.email.lower(), contact)
    return contact


def _unfilled(contact: ContactPerson, values: dict[str, Any]) -> dict[str, Any]:
    """Those of `values` that fill a field the contact has empty (metadata: keys it lacks)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if _blank(value):
            continue
        if key == "metadata":
            missing = {k: v for k, v in value.items() if k not in contact.meta}
            if missing:
                out[key] = {**contact.meta, **missing}
        elif key != "name" and _blank(getattr(contact, key)):
            out[key] = value
    return out


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


async def detach_client(session: AsyncSession, principal: Principal, client_id: UUID) -> None:
    """Unlink every contact from a client being purged; delete those left with no client."""
    current = await repository.link_state(session, principal, client_id)
    locked = await repository.lock_many(session, principal, current.keys())
    watch = await _Watch.start(session, principal, client_id, locked.values())
    await repository.delete_links(session, principal, client_id)
    await watch.finish(session, principal)


# ---------------------------------------------------------------- external ids


async def visibility(
    session: AsyncSession, principal: Principal, client_id: UUID
) -> dict[UUID, bool]:
    """Whether each contact linked to the client is visible now (linked to a live client)."""
    linked = await repository.link_state(session, principal, client_id)
    links = await repository.links_of(session, principal, list(linked))
    return {contact_id: bool(links[contact_id]) for contact_id in linked}


async def follow_client(
    session: AsyncSession, principal: Principal, client_id: UUID, before: dict[UUID, bool]
) -> None:
    """After a client's soft delete or restore (`before`: its `visibility` until then).

    Contacts it alone kept visible release their externalIds (like a deleted client); those
    visible again take them back (Conflict when another contact took one meanwhile).
    """
    after = await visibility(session, principal, client_id)
    turned = [cid for cid, live in after.items() if live != before.get(cid, live)]
    if not turned:
        return
    wanted = {
        contact.id: external_ids_service.refs_of(contact.external_ids) if after[contact.id] else []
        for contact in await repository.get_many(session, principal, turned)
    }
    await external_ids_service.sync_many(session, principal, SUBJECT_KIND, wanted)
    await repository.flush(session)


def _held(contact: ContactPerson, live: bool) -> set[tuple[str, str]]:
    """The pairs a contact holds in the external-id table: its externalIds while visible."""
    return set(external_ids_service.refs_of(contact.external_ids)) if live else set()


# ---------------------------------------------------------------- events


def snapshot(view: ContactView) -> dict[str, Any]:
    """The contact person as its events carry it: the API's view from the client concerned."""
    return events_service.snapshot(ContactPersonRead, to_read(view))


@dataclass
class _Watch:
    """The contact persons one write on a client touches, as that client saw them before.

    `start` it before changing anything (it watches the client's main contact too, so a demoted
    main is noticed), `add` a contact before it changes, `created` for a new one; `finish` then
    records one event per contact whose view from the client changed, and deletes the contacts
    left with no client at all (an `.unlinked` then a `.deleted` for those).
    """

    client_id: UUID
    linked: set[UUID]
    contacts: dict[UUID, ContactPerson] = field(default_factory=dict)
    before: dict[UUID, dict[str, Any] | None] = field(default_factory=dict)
    held: dict[UUID, set[tuple[str, str]]] = field(default_factory=dict)  # external-id pairs

    @classmethod
    async def start(
        cls,
        session: AsyncSession,
        principal: Principal,
        client_id: UUID,
        contacts: Iterable[ContactPerson] = (),
    ) -> _Watch:
        state = await repository.link_state(session, principal, client_id)
        watch = cls(client_id, set(state))
        targets = list(contacts)
        known = {contact.id for contact in targets}
        main = [cid for cid, is_main in state.items() if is_main and cid not in known]
        if main:
            targets += await repository.get_many(session, principal, main)
        await watch.add(session, principal, targets)
        return watch

    async def add(
        self, session: AsyncSession, principal: Principal, contacts: Iterable[ContactPerson]
    ) -> None:
        fresh = [contact for contact in contacts if contact.id not in self.contacts]
        for view in await _views(session, principal, fresh, self.client_id):
            self.contacts[view.contact.id] = view.contact
            self.before[view.contact.id] = snapshot(view)
            self.held[view.contact.id] = _held(view.contact, bool(view.client_ids))

    def created(self, contact: ContactPerson) -> None:
        self.contacts[contact.id] = contact
        self.before[contact.id] = None
        self.held[contact.id] = set()

    async def finish(
        self, session: AsyncSession, principal: Principal, *, first: Sequence[UUID] = ()
    ) -> None:
        linked = set(await repository.link_state(session, principal, self.client_id))
        order = [*dict.fromkeys(cid for cid in first if cid in self.contacts)]
        order += [cid for cid in self.contacts if cid not in order]
        contacts = [self.contacts[cid] for cid in order]
        lost = [c.id for c in contacts if c.id in self.linked and c.id not in linked]
        orphans = await repository.orphans(session, principal, lost)
        views = await _views(session, principal, contacts, self.client_id)
        await self._sync_external_ids(session, principal, views)
        for view in views:
            contact, previous, after = view.contact, self.before[view.contact.id], snapshot(view)
            if previous is None:
                verb = "created"
            elif contact.id in self.linked and contact.id not in linked:
                verb = "unlinked"
            elif contact.id not in self.linked and contact.id in linked:
                verb = "linked"
            elif events_service.changed(previous, after):
                verb = "updated"
            else:
                continue
            # A change of its own fields moved updatedAt; a change of links only did not.
            moved = previous is None or previous["updatedAt"] != after["updatedAt"]
            await events_service.record(
                session,
                principal,
                f"contact_person.{verb}",
                after,
                previous=previous,
                at=contact.updated_at if moved else None,
            )
            if contact.id in orphans:
                await events_service.record(session, principal, "contact_person.deleted", after)
        await repository.delete_orphans(session, principal, orphans)

    async def _sync_external_ids(
        self, session: AsyncSession, principal: Principal, views: Sequence[ContactView]
    ) -> None:
        """The external-id rows of the contacts whose externalIds or visibility changed.

        A contact left with no client (deleted) or only with soft-deleted ones releases its
        pairs; a new one, or one visible again, takes them (Conflict when another holds one).
        """
        wanted = {}
        for view in views:
            held = _held(view.contact, bool(view.client_ids))
            if held != self.held[view.contact.id]:
                wanted[view.contact.id] = (
                    external_ids_service.refs_of(view.contact.external_ids) if held else []
                )
        if wanted:
            await external_ids_service.sync_many(session, principal, SUBJECT_KIND, wanted)
            await repository.flush(session)


# ---------------------------------------------------------------- fields


def _new(principal: Principal, *, plain: bool = False) -> ContactPerson:
    make = partial(rows.draft, ContactPerson) if plain else ContactPerson
    return make(organization_id=principal.organization_id, tags=[], meta={}, external_ids=[])


def _values(data: ContactPersonFields) -> dict[str, Any]:
    return {k: v for k, v in data.given().items() if k not in NOT_WRITTEN and k != "id"}


def _apply(contact: ContactPerson, values: dict[str, Any], *, creating: bool) -> None:
    """Set the given values, derive the name when needed, check the rules that span fields."""
    derived_before = _derived_name(contact) if not creating else None
    for key, value in values.items():
        if key == "name":
            continue
        if key == "metadata":
            contact.meta = value if value is not None else {}
        elif key == "tags":
            contact.tags = value if value is not None else []
        elif key == "external_ids":
            contact.external_ids = [ref.model_dump(mode="json") for ref in value or []]
        else:
            setattr(contact, key, value.value if isinstance(value, Enum) else value)
    renamed = "first_name" in values or "last_name" in values
    if values.get("name"):
        contact.name = values["name"]
    elif "name" in values or creating or (renamed and contact.name == derived_before):
        # No name given (or cleared), or the name was derived: derive it again.
        contact.name = _derived_name(contact)
    if not contact.name:
        raise Invalid.field("name", "is required when firstName and lastName are empty")
    if contact.personal_number and (
        problem := check_national_id(contact.personal_number, contact.country)
    ):
        raise Invalid.field("personalNumber", problem)
    contact.search_text = search_text(contact)
    if creating or changed(contact):
        contact.updated_at = now()
    if creating:
        contact.created_at = contact.updated_at


def changed(record: object) -> bool:
    """Whether any attribute got a new value (setting an equal value is not a change)."""
    return any(attr.history.has_changes() for attr in inspect(record).attrs)


def _derived_name(contact: ContactPerson) -> str:
    full = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    return full[:255].strip()


def search_text(contact: ContactPerson) -> str:
    """What `q` matches: names, emails, phones, externalId and number, lower-cased."""
    parts = [getattr(contact, name) for name in SEARCHED]
    parts += [contact.external_id, str(contact.number) if contact.number else None]
    return " ".join(p for p in parts if p).lower()


def check_version(contact: ContactPerson, if_match: int | None) -> None:
    """412 when the caller's If-Match version is not the current one."""
    if if_match is not None and if_match != contact.version:
        raise PreconditionFailed(
            f"Contact person {contact.id} is at version {contact.version}, not {if_match}"
        )


def _check_read_only(contact: ContactPerson, client_id: UUID, data: ContactPersonFields) -> None:
    """Read-only fields may be sent back unchanged; a changed one is a 400 (clientIds aside)."""
    current = {
        "id": str(contact.id),
        "number": str(contact.number),
        "client_id": str(client_id),
        "version": str(contact.version),
        "created_at": format_timestamp(contact.created_at),
        "updated_at": format_timestamp(contact.updated_at),
    }
    issues = [
        FieldIssue(_camel(name), "read-only field")
        for name, value in current.items()
        if name in data.model_fields_set
        and getattr(data, name) is not None
        and str(getattr(data, name)) != value
    ]
    if issues:
        raise Invalid("Read-only fields cannot be changed", details=issues)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_read(view: ContactView) -> dict[str, Any]:
    """The contact person as the API shows it (camelCase keys)."""
    contact = view.contact
    return {
        "id": contact.id,
        "number": contact.number,
        "name": contact.name,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "jobTitle": contact.job_title,
        "department": contact.department,
        "email": contact.email,
        "email2": contact.email2,
        "phone": contact.phone,
        "phone2": contact.phone2,
        "mobile": contact.mobile,
        "fax": contact.fax,
        "workPhone": contact.work_phone,
        "gender": contact.gender,
        "salutation": contact.salutation,
        "street": contact.street,
        "postalCode": contact.postal_code,
        "city": contact.city,
        "country": contact.country,
        "personalNumber": contact.personal_number,
        "isMain": view.is_main,
        "externalId": contact.external_id,
        "externalIds": contact.external_ids,
        "clientId": view.client_id,
        "clientIds": view.client_ids,
        "tags": contact.tags,
        "metadata": contact.meta,
        "version": contact.version,
        "createdAt": contact.created_at,
        "updatedAt": contact.updated_at,
    }
