"""Contact person and link queries: every one starts from `scoped(principal)` or `links()`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ScalarSelect,
    Select,
    Table,
    Text,
    TextClause,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from rolodex.core import listing, rows
from rolodex.core.clients.models import Client
from rolodex.core.clock import now
from rolodex.core.contacts.models import ContactLink, ContactPerson
from rolodex.core.enums import Gender
from rolodex.core.errors import Conflict, FieldIssue
from rolodex.core.external_ids import repository as external_ids_repository
from rolodex.core.listing import FieldKind, Filter, ListField, ListSpec
from rolodex.core.principal import Principal

SUBJECT_KIND = "contact_person"  # the record kind in the external-id table


def scoped(principal: Principal) -> Select[ContactPerson]:
    """The one place contact persons are filtered by tenant."""
    return select(ContactPerson).where(ContactPerson.organization_id == principal.organization_id)


def _link_scope(principal: Principal) -> ColumnElement[bool]:
    """The one place links are filtered by tenant."""
    return ContactLink.organization_id == principal.organization_id


def _live_link(principal: Principal) -> ColumnElement[bool]:
    """A link of the contact in the outer query to a client that is not soft-deleted."""
    return exists().where(
        _link_scope(principal),
        ContactLink.contact_person_id == ContactPerson.id,
        Client.id == ContactLink.client_id,
        Client.deleted_at.is_(None),
    )


def visible(principal: Principal) -> Select[ContactPerson]:
    """Contacts reachable at the top level: linked to at least one live client."""
    return scoped(principal).where(_live_link(principal))


async def get(
    session: AsyncSession, principal: Principal, contact_id: UUID, *, for_update: bool = False
) -> ContactPerson | None:
    stmt = scoped(principal).where(ContactPerson.id == contact_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def ids_by_number(
    session: AsyncSession, principal: Principal, numbers: Collection[int]
) -> dict[int, UUID]:
    """number -> id of those of these numbers that name a contact person of the organization."""
    if not numbers:
        return {}
    stmt = (
        scoped(principal)
        .with_only_columns(ContactPerson.number, ContactPerson.id)
        .where(ContactPerson.number.in_(sorted(numbers)))
    )
    return {row[0]: row[1] for row in await session.execute(stmt)}


async def get_visible(
    session: AsyncSession, principal: Principal, contact_id: UUID
) -> ContactPerson | None:
    stmt = visible(principal).where(ContactPerson.id == contact_id)
    return (await session.scalars(stmt)).first()


async def lock_many(
    session: AsyncSession, principal: Principal, contact_ids: Collection[UUID]
) -> dict[UUID, ContactPerson]:
    """Load and lock these contacts, always in id order so that two requests never deadlock."""
    if not contact_ids:
        return {}
    stmt = (
        scoped(principal)
        .where(ContactPerson.id.in_(sorted(contact_ids)))
        .order_by(ContactPerson.id)
        .with_for_update()
    )
    return {contact.id: contact for contact in await session.scalars(stmt)}


async def get_many(
    session: AsyncSession, principal: Principal, contact_ids: Collection[UUID]
) -> list[ContactPerson]:
    """These contacts (no lock), in id order."""
    if not contact_ids:
        return []
    stmt = scoped(principal).where(ContactPerson.id.in_(sorted(contact_ids)))
    return list(await session.scalars(stmt.order_by(ContactPerson.id)))


async def get_linked(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    contact_id: UUID,
    *,
    for_update: bool = False,
) -> tuple[ContactPerson, bool] | None:
    """The contact and its isMain for this client, when it is linked to it."""
    stmt = (
        scoped(principal)
        .add_columns(ContactLink.is_main)
        .join(ContactLink, _joined(principal))
        .where(ContactLink.client_id == client_id, ContactPerson.id == contact_id)
    )
    if for_update:
        stmt = stmt.with_for_update(of=ContactPerson)
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], bool(row[1]))


async def by_external_id_linked(
    session: AsyncSession, principal: Principal, client_id: UUID, external_id: str
) -> tuple[ContactPerson, bool] | None:
    stmt = (
        scoped(principal)
        .add_columns(ContactLink.is_main)
        .join(ContactLink, _joined(principal))
        .where(ContactLink.client_id == client_id, ContactPerson.external_id == external_id)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], bool(row[1]))


async def by_external_ref(
    session: AsyncSession,
    principal: Principal,
    system: str,
    external_id: str,
    *,
    for_update: bool = False,
) -> ContactPerson | None:
    """The visible contact holding `external_id` in `system` (externalIds)."""
    stmt = external_ids_repository.holding(
        visible(principal), principal, SUBJECT_KIND, ContactPerson.id, system, external_id
    )
    if for_update:
        stmt = stmt.with_for_update(of=ContactPerson)
    return (await session.scalars(stmt)).first()


def _joined(principal: Principal) -> ColumnElement[bool]:
    return and_(_link_scope(principal), ContactLink.contact_person_id == ContactPerson.id)


# ---------------------------------------------------------------- links


async def link_state(
    session: AsyncSession, principal: Principal, client_id: UUID
) -> dict[UUID, bool]:
    """contact id -> isMain for every link of the client."""
    stmt = select(ContactLink.contact_person_id, ContactLink.is_main).where(
        _link_scope(principal), ContactLink.client_id == client_id
    )
    return {row[0]: bool(row[1]) for row in await session.execute(stmt)}


async def main_of(session: AsyncSession, principal: Principal, client_id: UUID) -> UUID | None:
    """The client's main contact, if it has one."""
    stmt = select(ContactLink.contact_person_id).where(
        _link_scope(principal), ContactLink.client_id == client_id, ContactLink.is_main
    )
    return (await session.scalars(stmt)).first()


async def insert_link(
    session: AsyncSession, principal: Principal, client_id: UUID, contact_id: UUID, is_main: bool
) -> None:
    values = {
        "organization_id": principal.organization_id,
        "client_id": client_id,
        "contact_person_id": contact_id,
        "is_main": is_main,
        "created_at": now(),
    }
    await session.execute(insert(ContactLink).values(values))


async def insert_links(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    links: Sequence[tuple[UUID, bool]],
) -> None:
    """Link the client to each (contact id, isMain) in one statement: one multi-row INSERT,
    not one execution per row, so that the links' statement trigger (clients.
    contact_search_text, migration 0012) refreshes the client once."""
    if not links:
        return
    moment = now()
    params: dict[str, Any] = {}
    for index, (contact_id, is_main) in enumerate(links):
        params[f"organization_id_{index}"] = principal.organization_id
        params[f"client_id_{index}"] = client_id
        params[f"contact_person_id_{index}"] = contact_id
        params[f"is_main_{index}"] = is_main
        params[f"created_at_{index}"] = moment
    await session.execute(_links_insert(len(links)), params)


_LINK_COLUMNS = ("organization_id", "client_id", "contact_person_id", "is_main", "created_at")


@lru_cache(maxsize=128)
def _links_insert(count: int) -> TextClause:
    """The multi-row INSERT of `count` links, with named parameters, as SQL text: SQLAlchemy
    caches no compiled form of a multi-row `insert().values()`, and compiled it anew on every
    create; a text statement is compiled once (and this one is built once per count)."""
    table = ContactLink.__table__
    assert isinstance(table, Table)
    names = [[f"{column}_{index}" for column in _LINK_COLUMNS] for index in range(count)]
    values = ", ".join("(" + ", ".join(f":{name}" for name in row) + ")" for row in names)
    sql = f"INSERT INTO {table.name} ({', '.join(_LINK_COLUMNS)}) VALUES {values}"
    return text(sql).bindparams(
        *(
            bindparam(name, type_=table.c[column].type)
            for row in names
            for column, name in zip(_LINK_COLUMNS, row, strict=True)
        )
    )


async def link_flag(
    session: AsyncSession, principal: Principal, client_id: UUID, contact_id: UUID
) -> bool | None:
    """isMain of the link between the client and the contact; None when not linked."""
    stmt = select(ContactLink.is_main).where(
        _link_scope(principal),
        ContactLink.client_id == client_id,
        ContactLink.contact_person_id == contact_id,
    )
    found = (await session.execute(stmt)).first()
    return None if found is None else bool(found[0])


async def first_linked(session: AsyncSession, principal: Principal, client_id: UUID) -> UUID | None:
    """The client's contact that comes first in its list after the main one."""
    stmt = (
        select(ContactLink.contact_person_id)
        .join(ContactPerson, ContactPerson.id == ContactLink.contact_person_id)
        .where(_link_scope(principal), ContactLink.client_id == client_id)
        .order_by(ContactPerson.number)
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def set_main(
    session: AsyncSession, principal: Principal, client_id: UUID, contact_id: UUID | None
) -> None:
    """Make `contact_id` the client's only main contact (None: no main at all).

    The old main is demoted by a statement of its own first: the partial unique index is
    checked per statement, so promoting before demoting would fail. The caller holds the
    client's row lock, so concurrent calls for one client run one after the other.
    """
    demote = [_link_scope(principal), ContactLink.client_id == client_id, ContactLink.is_main]
    if contact_id is not None:
        demote.append(ContactLink.contact_person_id != contact_id)
    await session.execute(
        update(ContactLink)
        .where(*demote)
        .values(is_main=False)
        .execution_options(synchronize_session=False)
    )
    if contact_id is not None:
        await session.execute(
            update(ContactLink)
            .where(
                _link_scope(principal),
                ContactLink.client_id == client_id,
                ContactLink.contact_person_id == contact_id,
                ~ContactLink.is_main,
            )
            .values(is_main=True)
            .execution_options(synchronize_session=False)
        )


async def delete_links(
    session: AsyncSession,
    principal: Principal,
    client_id: UUID,
    contact_ids: Collection[UUID] | None = None,
) -> None:
    """Unlink these contacts (all when None) from the client."""
    stmt = delete(ContactLink).where(_link_scope(principal), ContactLink.client_id == client_id)
    if contact_ids is not None:
        stmt = stmt.where(ContactLink.contact_person_id.in_(sorted(contact_ids)))
    await session.execute(stmt.execution_options(synchronize_session=False))


def _unlinked(principal: Principal) -> ColumnElement[bool]:
    """The contact in the outer query is linked to no client at all."""
    return ~exists().where(
        _link_scope(principal), ContactLink.contact_person_id == ContactPerson.id
    )


async def orphans(
    session: AsyncSession, principal: Principal, contact_ids: Collection[UUID]
) -> set[UUID]:
    """Those of these contacts that are linked to no client any more."""
    if not contact_ids:
        return set()
    stmt = (
        scoped(principal)
        .with_only_columns(ContactPerson.id)
        .where(ContactPerson.id.in_(sorted(contact_ids)), _unlinked(principal))
    )
    return set(await session.scalars(stmt))


async def delete_orphans(
    session: AsyncSession, principal: Principal, contact_ids: Collection[UUID]
) -> None:
    """Delete those of these contacts that are linked to no client any more."""
    if not contact_ids:
        return
    await session.execute(
        delete(ContactPerson)
        .where(
            ContactPerson.organization_id == principal.organization_id,
            ContactPerson.id.in_(sorted(contact_ids)),
            _unlinked(principal),
        )
        .execution_options(synchronize_session="fetch")
    )


async def links_of(
    session: AsyncSession, principal: Principal, contact_ids: Collection[UUID]
) -> dict[UUID, list[tuple[UUID, bool]]]:
    """contact id -> (client id, isMain) of its live clients, oldest link first (one query)."""
    out: dict[UUID, list[tuple[UUID, bool]]] = {cid: [] for cid in contact_ids}
    if not contact_ids:
        return out
    stmt = (
        select(ContactLink.contact_person_id, ContactLink.client_id, ContactLink.is_main)
        .join(Client, Client.id == ContactLink.client_id)
        .where(
            _link_scope(principal),
            Client.organization_id == principal.organization_id,
            Client.deleted_at.is_(None),
            ContactLink.contact_person_id.in_(sorted(contact_ids)),
        )
        .order_by(ContactLink.created_at, ContactLink.client_id)
    )
    for contact_id, client_id, is_main in await session.execute(stmt):
        out[contact_id].append((client_id, bool(is_main)))
    return out


async def for_clients(
    session: AsyncSession, principal: Principal, client_ids: Sequence[UUID]
) -> list[tuple[UUID, bool, ContactPerson]]:
    """(client id, isMain, contact) for every link of these clients, main first (one query)."""
    if not client_ids:
        return []
    stmt = (
        select(ContactLink.client_id, ContactLink.is_main, ContactPerson)
        .join(ContactPerson, ContactPerson.id == ContactLink.contact_person_id)
        .where(_link_scope(principal), ContactLink.client_id.in_(client_ids))
        .order_by(ContactLink.client_id, ContactLink.is_main.desc(), ContactPerson.number)
    )
    return [(row[0], bool(row[1]), row[2]) for row in await session.execute(stmt)]


def embedded_json(organization_id: Any, client_ids: Any = None) -> ScalarSelect[Any]:
    """PostgreSQL: what `for_clients` and `links_of` read, as one JSON text for a subquery.

    The answer is an array of `[client id, isMain, contact row (to_jsonb), [its live client
    ids]]` in `for_clients`' order (client, main first, number), or NULL when there is none.
    `organization_id` is the tenant (a bind parameter: the statement is built once and
    reused); `client_ids` an expanding bind parameter, or None to correlate with `Client.id`.
    """
    other = ContactLink.__table__.alias("other_link")
    linked = Client.__table__.alias("linked_client")
    live = select(linked.c.id).where(
        linked.c.organization_id == organization_id,
        linked.c.id == other.c.client_id,
        linked.c.deleted_at.is_(None),
    )
    client_id_list = (
        select(
            func.json_agg(
                aggregate_order_by(other.c.client_id, other.c.created_at, other.c.client_id)
            )
        )
        .where(
            other.c.organization_id == organization_id,
            other.c.contact_person_id == ContactPerson.id,
            live.exists(),
        )
        .scalar_subquery()
    )
    item = func.json_build_array(
        ContactLink.client_id,
        ContactLink.is_main,
        func.to_jsonb(ContactPerson.__table__.table_valued()),  # type: ignore[attr-defined]
        client_id_list,
    )
    order = (ContactLink.client_id, ContactLink.is_main.desc(), ContactPerson.number)
    match = (
        ContactLink.client_id == Client.id
        if client_ids is None
        else ContactLink.client_id.in_(client_ids)
    )
    return (
        select(cast(func.json_agg(aggregate_order_by(item, *order)), Text))
        .select_from(ContactLink)
        .join(ContactPerson, ContactPerson.id == ContactLink.contact_person_id)
        .where(ContactLink.organization_id == organization_id, match)
        .scalar_subquery()
    )


async def flush(session: AsyncSession) -> None:
    """Flush, turning unique-index violations into a Conflict that names the field."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise _conflict(exc) from None


async def insert_new(session: AsyncSession, contacts: Sequence[ContactPerson]) -> None:
    """New contact persons' rows in one INSERT (rows.insert_objects, no unit of work), then
    whatever else the session holds, flushed; a unique-index violation as `flush` raises it."""
    try:
        await rows.insert_objects(session, contacts)
        await session.flush()
    except IntegrityError as exc:
        raise _conflict(exc) from None


def _conflict(exc: IntegrityError) -> Conflict:
    text = str(exc.orig).lower()
    if "external_ids" in text:  # the external-id table (a concurrent writer took a pair)
        return Conflict(
            "Another contact person already has one of these externalIds",
            details=[FieldIssue("externalIds", "already used by another contact person")],
        )
    if "external_id" in text:
        return Conflict(
            "A contact person with this externalId already exists in the organization",
            details=[FieldIssue("externalId", "already used by another contact person")],
        )
    return Conflict("The change conflicts with another record")


# ---------------------------------------------------------------- lists


def _enum(name: str, column: Any, values: type[Any], **kw: Any) -> ListField:
    return ListField(name, column, FieldKind.ENUM, enum_values=tuple(v.value for v in values), **kw)


def _dynamic(name: str) -> ListField | None:
    prefix, _, key = name.partition(".")
    if prefix == "metadata" and key:
        return ListField(name, ContactPerson.meta[key].as_string(), FieldKind.STRING)
    if prefix == "externalIds" and key:
        return ListField(name, ContactPerson.id, FieldKind.STRING, predicate=_external_ids_filter)
    return None


def _external_ids_filter(flt: Filter) -> Any:
    """`externalIds.sap=4711,4712`: the contact holds one of the ids in that system."""
    system = flt.field.name.partition(".")[2]
    return external_ids_repository.held_by(
        SUBJECT_KIND,
        ContactPerson.id,
        ContactPerson.organization_id,
        system,
        [str(v) for v in flt.values],
    )


def _search(q: str) -> Any:
    return ContactPerson.search_text.contains(q.lower(), autoescape=True)


CP = ContactPerson
FIELDS = [
    ListField("id", CP.id, FieldKind.UUID, nullable=False),
    ListField("number", CP.number, FieldKind.INTEGER, range=True, sort=True, nullable=False),
    ListField("name", CP.name, FieldKind.STRING, sort=True, nullable=False),
    ListField("firstName", CP.first_name, FieldKind.STRING, sort=True),
    ListField("lastName", CP.last_name, FieldKind.STRING, sort=True),
    ListField("jobTitle", CP.job_title, FieldKind.STRING),
    ListField("department", CP.department, FieldKind.STRING),
    ListField("email", CP.email, FieldKind.STRING, case_insensitive=True),
    ListField("email2", CP.email2, FieldKind.STRING, case_insensitive=True),
    ListField("phone", CP.phone, FieldKind.STRING),
    ListField("mobile", CP.mobile, FieldKind.STRING),
    ListField("workPhone", CP.work_phone, FieldKind.STRING),
    _enum("gender", CP.gender, Gender),
    ListField("postalCode", CP.postal_code, FieldKind.STRING),
    ListField("city", CP.city, FieldKind.STRING, sort=True),
    ListField("country", CP.country, FieldKind.STRING),
    ListField("externalId", CP.external_id, FieldKind.STRING),
    ListField("tags", CP.tags, FieldKind.TAGS),
    ListField(
        "createdAt", CP.created_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
    ),
    ListField(
        "updatedAt", CP.updated_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
    ),
]
LIST_SPEC = ListSpec(
    fields={f.name: f for f in FIELDS},
    id_column=CP.id,
    default_sort=("-createdAt",),
    search=_search,
    dynamic=_dynamic,
)
# A client's contacts: the same fields plus the link's isMain; the main one first by default.
CLIENT_LIST_SPEC = ListSpec(
    fields={
        f.name: f
        for f in [
            *FIELDS,
            ListField("isMain", ContactLink.is_main, FieldKind.BOOLEAN, sort=True, nullable=False),
        ]
    },
    id_column=CP.id,
    default_sort=("-isMain", "number"),
    search=_search,
    dynamic=_dynamic,
)


async def list_page(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> listing.Page[ContactPerson]:
    return await listing.fetch_page(session, visible(principal), LIST_SPEC, query)


async def list_for_client(
    session: AsyncSession, principal: Principal, client_id: UUID, query: listing.ListQuery
) -> listing.Page[ContactPerson]:
    stmt = (
        scoped(principal)
        .join(ContactLink, _joined(principal))
        .where(ContactLink.client_id == client_id)
    )
    return await listing.fetch_page(session, stmt, CLIENT_LIST_SPEC, query)
