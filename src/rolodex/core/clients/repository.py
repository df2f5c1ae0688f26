"""Client queries: every one starts from `scoped(principal)`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from enum import Enum
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Select,
    Uuid,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    inspect,
    or_,
    select,
    text,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rolodex.core import listing, rows, search_cache
from rolodex.core.addresses import repository as addresses_repository
from rolodex.core.clients import creates, documents
from rolodex.core.clients.models import Client
from rolodex.core.contacts import repository as contacts_repository
from rolodex.core.contacts.models import ContactLink, ContactPerson
from rolodex.core.custom_fields import expressions
from rolodex.core.db import ReadPool
from rolodex.core.enums import (
    ClientKind,
    ClientStatus,
    Creditworthiness,
    PartnerType,
    PaymentType,
)
from rolodex.core.errors import Conflict
from rolodex.core.events import repository as events_repository
from rolodex.core.external_ids import repository as external_ids_repository
from rolodex.core.external_ids.models import ExternalId
from rolodex.core.listing import FieldKind, Filter, ListField, ListSpec
from rolodex.core.principal import Principal

SUBJECT_KIND = "client"
# The tenant in statements built once and reused: pass {"tenant_id": organization id}.
TENANT: Any = bindparam("tenant_id")


def scoped(principal: Principal) -> Select[Client]:
    """The one place clients are filtered by tenant."""
    return select(Client).where(Client.organization_id == principal.organization_id)


async def get(
    session: AsyncSession, principal: Principal, client_id: UUID, *, for_update: bool = False
) -> Client | None:
    stmt = scoped(principal).where(Client.id == client_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def get_embedded(
    session: AsyncSession, principal: Principal, client_id: UUID, *, for_update: bool = False
) -> Any:
    """PostgreSQL: the client and its contact persons and addresses as JSON texts (see
    embeds.fill), in one statement; or None. `for_update` locks the client's row."""
    params = {"tenant_id": principal.organization_id, "client_id": client_id}
    return (await session.execute(_embedded_statement(for_update), params)).first()


@cache
def _embedded_statement(for_update: bool) -> Select[Any]:
    # Built once, with the tenant as a bind parameter: building it costs more than running it.
    stmt = (
        select(Client, *embedded_columns(("contactPersons", "addresses")))
        .where(Client.organization_id == TENANT)
        .where(Client.id == bindparam("client_id"))
    )
    return stmt.with_for_update(of=Client) if for_update else stmt


@cache
def _client_columns() -> tuple[Any, ...]:
    return tuple(
        attr.columns[0].label(attr.key)
        for attr in inspect(Client).column_attrs
        if not attr.deferred
    )


def embedded_columns(include: Collection[str], client_ids: Any = None) -> list[Any]:
    """PostgreSQL: one JSON text column per embedded list in `include` (see embeds.fill), for
    statements built once: the tenant is the bind parameter TENANT; `client_ids` an expanding
    bind parameter, or None to correlate with the client of the enclosing select."""
    columns = []
    if "contactPersons" in include:
        columns.append(contacts_repository.embedded_json(TENANT, client_ids))
    if "addresses" in include:
        columns.append(addresses_repository.embedded_json(TENANT, client_ids))
    return columns


async def by_number(
    session: AsyncSession, principal: Principal, number: int, *, for_update: bool = False
) -> Client | None:
    stmt = scoped(principal).where(Client.number == number)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def by_external_id(
    session: AsyncSession, principal: Principal, external_id: str, *, for_update: bool = False
) -> Client | None:
    stmt = scoped(principal).where(Client.external_id == external_id, Client.deleted_at.is_(None))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def with_main_contact_email(
    session: AsyncSession, principal: Principal, email: str
) -> list[Client]:
    """Live clients whose main contact person has this email (any case), oldest first."""
    main_has_email = exists().where(
        ContactLink.organization_id == Client.organization_id,
        ContactLink.client_id == Client.id,
        ContactLink.is_main,
        ContactPerson.id == ContactLink.contact_person_id,
        ContactPerson.organization_id == principal.organization_id,
        func.lower(ContactPerson.email) == email.lower(),
    )
    stmt = scoped(principal).where(Client.deleted_at.is_(None), main_has_email)
    return list(await session.scalars(stmt.order_by(Client.number)))


async def by_external_ref(
    session: AsyncSession,
    principal: Principal,
    system: str,
    external_id: str,
    *,
    for_update: bool = False,
) -> Client | None:
    """The live client holding `external_id` in `system` (externalIds)."""
    stmt = external_ids_repository.holding(
        scoped(principal), principal, SUBJECT_KIND, Client.id, system, external_id
    ).where(Client.deleted_at.is_(None))
    if for_update:
        stmt = stmt.with_for_update(of=Client)
    return (await session.scalars(stmt)).first()


async def live_by(
    session: AsyncSession, principal: Principal, column: str, values: Sequence[str]
) -> list[Client]:
    """Live clients whose `column` (id, externalId, email lower-cased) is one of `values`."""
    if not values:
        return []
    if column == "id":
        condition: Any = Client.id.in_([UUID(v) for v in values])
    elif column == "email":
        condition = func.lower(Client.email).in_([v.lower() for v in values])
    else:
        condition = Client.external_id.in_(list(values))
    stmt = scoped(principal).where(condition, Client.deleted_at.is_(None))
    return list((await session.scalars(stmt)).all())


async def live_by_refs(
    session: AsyncSession, principal: Principal, system: str, values: Sequence[str]
) -> list[tuple[str, Client]]:
    """Live clients holding one of `values` in `system`, with the value each holds."""
    if not values:
        return []
    stmt = (
        scoped(principal)
        .join(
            ExternalId,
            (ExternalId.subject_id == Client.id)
            & (ExternalId.organization_id == principal.organization_id)
            & (ExternalId.subject_kind == SUBJECT_KIND),
        )
        .where(
            ExternalId.system == system,
            ExternalId.external_id.in_(list(values)),
            Client.deleted_at.is_(None),
        )
        .add_columns(ExternalId.external_id)
    )
    return [(value, client) for client, value in (await session.execute(stmt)).all()]


async def taken(
    session: AsyncSession, principal: Principal, column: str, values: Sequence[str]
) -> set[str]:
    """Which of `values` a live client already has in `column` (`email` compared lower-cased)."""
    if not values:
        return set()
    if column == "email":
        expr: Any = func.lower(Client.email)
        wanted = [v.lower() for v in values]
    else:
        expr, wanted = Client.external_id, list(values)
    stmt = select(expr).where(
        Client.organization_id == principal.organization_id,
        Client.deleted_at.is_(None),
        expr.in_(wanted),
    )
    return {value for value in (await session.scalars(stmt)).all() if value is not None}


async def flush(session: AsyncSession) -> None:
    """Flush, turning unique-index violations into a Conflict that names the field."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict_from(exc) from None


async def insert_new(
    session: AsyncSession,
    client: Client,
    *,
    with_rows: Sequence[Sequence[Any]] = (),
    events: Sequence[dict[str, Any]] | None = None,
) -> None:
    """A new client's row in one INSERT (rows.insert_objects, no unit of work), then whatever
    else the session holds (its external ids), flushed; a unique-index violation as `flush`
    raises it. PostgreSQL: `with_rows`, new rows of other tables that refer to the client (its
    new contact persons, their links), and `events`, the transaction's events as rows
    (numbered by `events_repository.numbered_tail`), go in the same statement
    (rows.insert_together)."""
    try:
        if with_rows or events is not None:
            tail = None
            if events is not None:
                tail = events_repository.numbered_tail(client.organization_id, events)
            # The objects of a create that is one statement stay out of the session.
            await rows.insert_together(
                session, [[client], *with_rows], tail=tail, attach=events is None
            )
        else:
            await rows.insert_objects(session, [client])
        await session.flush()
    except IntegrityError as exc:
        raise conflict_from(exc) from None


async def insert_alone(
    engine: AsyncEngine,
    client: Client,
    *,
    with_rows: Sequence[Sequence[Any]],
    events: list[dict[str, Any]],
) -> None:
    """PostgreSQL: a create that is one statement, in autocommit on a connection of its own:
    the client, `with_rows` (its new contact persons and their links) and `events` (the
    transaction's events as rows), gathered with the tenant's concurrent creates
    (core/clients/creates.py); a unique-index violation as `flush` raises it."""
    try:
        await creates.write(engine, client.organization_id, [[client], *with_rows], events)
    except IntegrityError as exc:
        raise conflict_from(exc) from None


def conflict_from(exc: IntegrityError) -> Conflict:
    text = str(exc.orig).lower()
    if "external_ids" in text:
        return Conflict("Another client already has one of these externalIds")
    if "email" in text:
        return email_taken()
    if "external_id" in text:
        return external_id_taken()
    return Conflict("The change conflicts with another record")


def email_taken() -> Conflict:
    return Conflict("A client with this email already exists in the organization")


def external_id_taken() -> Conflict:
    return Conflict("A client with this externalId already exists in the organization")


def _enum(name: str, column: Any, values: type[Enum], **kw: Any) -> ListField:
    return ListField(name, column, FieldKind.ENUM, enum_values=tuple(v.value for v in values), **kw)


def _dynamic(name: str) -> ListField | None:
    prefix, _, key = name.partition(".")
    if prefix == "metadata" and key:
        return ListField(name, Client.meta[key].as_string(), FieldKind.STRING)
    if prefix == "customFields" and key:
        return custom_field_filter(name, key)
    if prefix == "externalIds" and key:
        return ListField(name, Client.id, FieldKind.STRING, predicate=_external_ids_filter)
    return None


def _external_ids_filter(flt: Filter) -> Any:
    """`externalIds.sap=4711,4712`: the client holds one of the ids in that system."""
    system = flt.field.name.partition(".")[2]
    return external_ids_repository.held_by(
        SUBJECT_KIND, Client.id, Client.organization_id, system, [str(v) for v in flt.values]
    )


def custom_field_filter(
    name: str, key: str, field_type: str | None = None, dialect: str = "sqlite"
) -> ListField:
    """A filter (and sort) on one custom field, typed by its definition.

    number: numeric comparisons and ranges; date: ranges on the `YYYY-MM-DD` values; text and
    singlechoice: equality; multiplechoice: any of the given options. Without a type (a caller
    that did not load the definitions) the value is compared as text.
    """
    column = Client.custom_fields
    if field_type == "number":
        number = expressions.number(column, key, dialect)
        return ListField(name, number, FieldKind.DECIMAL, range=True, sort=True)
    if field_type == "date":
        return ListField(name, expressions.day(column, key), FieldKind.DATE, range=True, sort=True)
    if field_type == "multiplechoice":
        return ListField(name, column[key], FieldKind.TAGS)
    text = expressions.text(column, key)
    return ListField(name, text, FieldKind.STRING, range=field_type is None, sort=True)


def list_spec(
    custom_field_types: Mapping[str, str], dialect: str, base: ListSpec | None = None
) -> ListSpec:
    """`base` (LIST_SPEC by default) with `customFields.<key>` filters and sorts that follow
    the definitions' types; an undefined key is an unknown parameter."""

    def dynamic(name: str) -> ListField | None:
        prefix, _, key = name.partition(".")
        if prefix != "customFields":
            return _dynamic(name)
        field_type = custom_field_types.get(key)
        return None if field_type is None else custom_field_filter(name, key, field_type, dialect)

    return replace(base or LIST_SPEC, dynamic=dynamic)


def _search(q: str) -> Any:
    """`q` in the client's own search text, or in that of one of its contact persons."""
    needle = q.lower()
    linked = exists().where(
        ContactLink.organization_id == Client.organization_id,
        ContactLink.client_id == Client.id,
        ContactPerson.id == ContactLink.contact_person_id,
        ContactPerson.search_text.contains(needle, autoescape=True),
    )
    return or_(Client.search_text.contains(needle, autoescape=True), linked)


# Joins the contact persons' texts in clients.contact_search_text (PostgreSQL triggers).
_SEPARATOR = "\x01"


def _search_in(organization_id: UUID) -> Callable[[str], Any]:
    """PostgreSQL: `_search` for one tenant, in a form the trigram indexes can serve.

    Normally `search_text` and `contact_search_text` (the linked contact persons' texts, kept
    by triggers): a BitmapOr of their trigram indexes, or a walk of the sort index. A `q`
    holding the separator U+0001 could match across two contacts' texts there, so it takes the
    older form below.

    `_search`'s correlated EXISTS cannot be part of a bitmap scan of clients, so a rare `q`
    walked the whole organization (a second at a million clients). Here the contact side is
    one uncorrelated subquery (the contacts' trigram index, then their links), and the client
    side `search_text LIKE ... OR id = ANY(those ids)`: a BitmapOr of the trigram and primary
    key indexes when `q` is rare, a walk of the sort index when it is common.
    """

    def search(q: str) -> Any:
        needle = q.lower()
        if _SEPARATOR not in needle:
            # The contacts' texts on the client itself (migration 0012): two trigram indexes.
            return or_(
                Client.search_text.contains(needle, autoescape=True),
                Client.contact_search_text.contains(needle, autoescape=True),
            )
        linked = (
            select(ContactLink.client_id)
            .join(ContactPerson, ContactPerson.id == ContactLink.contact_person_id)
            .where(
                ContactLink.organization_id == organization_id,
                ContactPerson.organization_id == organization_id,
                ContactPerson.search_text.contains(needle, autoescape=True),
            )
            .scalar_subquery()
        )
        ids = type_coerce(func.array(linked), ARRAY(Uuid()))
        return or_(Client.search_text.contains(needle, autoescape=True), Client.id == any_(ids))

    return search


def _search_name_or_email(q: str) -> Any:
    # search_text holds name and email too, so its trigram index narrows the rows first.
    narrowed = Client.search_text.contains(q.lower(), autoescape=True)
    return and_(narrowed, listing.ilike_any((Client.name, Client.email), q))


C = Client
LIST_SPEC = ListSpec(
    fields={
        f.name: f
        for f in [
            ListField("id", C.id, FieldKind.UUID, nullable=False),
            ListField("number", C.number, FieldKind.INTEGER, range=True, sort=True, nullable=False),
            ListField("name", C.name, FieldKind.STRING, sort=True, nullable=False),
            ListField("longName", C.long_name, FieldKind.STRING),
            _enum("kind", C.kind, ClientKind, nullable=False),
            ListField("firstName", C.first_name, FieldKind.STRING),
            ListField("lastName", C.last_name, FieldKind.STRING),
            ListField("companyName", C.company_name, FieldKind.STRING),
            ListField("externalId", C.external_id, FieldKind.STRING),
            ListField("customPriceId", C.custom_price_id, FieldKind.STRING),
            ListField("creditLimit", C.credit_limit, FieldKind.DECIMAL, range=True, sort=True),
            ListField("usedLimit", C.used_limit, FieldKind.DECIMAL, range=True),
            ListField("paymentTerms", C.payment_terms, FieldKind.INTEGER, range=True, sort=True),
            _enum("paymentType", C.payment_type, PaymentType),
            ListField("billingEmail", C.billing_email, FieldKind.STRING, case_insensitive=True),
            ListField("frameContract", C.frame_contract, FieldKind.BOOLEAN),
            ListField("selfInsurance", C.self_insurance, FieldKind.BOOLEAN),
            ListField("email", C.email, FieldKind.STRING, sort=True, case_insensitive=True),
            ListField("phone", C.phone, FieldKind.STRING, sort=True),
            ListField("vatNumber", C.vat_number, FieldKind.STRING),
            ListField("street", C.street, FieldKind.STRING),
            ListField("postalCode", C.postal_code, FieldKind.STRING, sort=True),
            ListField("city", C.city, FieldKind.STRING, sort=True),
            ListField("provinceCode", C.province_code, FieldKind.STRING),
            ListField("country", C.country, FieldKind.STRING),
            ListField("department", C.department, FieldKind.STRING),
            _enum("partnerType", C.partner_type, PartnerType),
            _enum("creditworthiness", C.creditworthiness, Creditworthiness),
            _enum("status", C.status, ClientStatus, nullable=False),
            ListField("clientTypeId", C.client_type_id, FieldKind.UUID),
            ListField("structureId", C.structure_id, FieldKind.STRING),
            ListField("tags", C.tags, FieldKind.TAGS),
            ListField("archived", C.archived, FieldKind.BOOLEAN, nullable=False),
            ListField("archivedAt", C.archived_at, FieldKind.DATETIME, range=True),
            ListField(
                "createdAt", C.created_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
            ListField(
                "updatedAt", C.updated_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
        ]
    },
    id_column=C.id,
    default_sort=("-createdAt",),
    search=_search,
    dynamic=_dynamic,
    deleted_column=C.deleted_at,
)
# The same fields, but `q` matches only name or email (a narrower search some fronts promise).
NAME_OR_EMAIL_SPEC = replace(LIST_SPEC, search=_search_name_or_email)


def _enum_order(column: Any, values: type[Enum]) -> Any:
    """The position of the column's value in the enum's declaration (1, 2, ...)."""
    return case({member.value: index for index, member in enumerate(values, 1)}, value=column)


def _wide_dynamic(name: str) -> ListField | None:
    prefix, _, key = name.partition(".")
    if prefix == "metadata" and key:
        return ListField(name, Client.meta[key].as_string(), FieldKind.STRING, sort=True)
    if prefix == "metadataNumber" and key:
        number = expressions.loose_number(Client.meta, key)
        return ListField(name, number, FieldKind.DECIMAL, range=True, sort=True)
    return _dynamic(name)


# For fronts whose documents sort and filter on more than the native list does: every short
# column sortable, `deleted` (soft-deleted or not; pair it with includeDeleted), paymentType in
# its declared order (`paymentTypeOrder`), `metadata.<key>` sortable as text and
# `metadataNumber.<key>` (a JSON number or a string of digits) compared and sorted as a number.
WIDE_SPEC = replace(
    LIST_SPEC,
    fields={
        **LIST_SPEC.fields,
        **{
            f.name: f
            for f in [
                _enum("status", C.status, ClientStatus, nullable=False, sort=True),
                ListField("longName", C.long_name, FieldKind.STRING, sort=True),
                ListField("firstName", C.first_name, FieldKind.STRING, sort=True),
                ListField("lastName", C.last_name, FieldKind.STRING, sort=True),
                ListField("companyName", C.company_name, FieldKind.STRING, sort=True),
                ListField(
                    "billingEmail",
                    C.billing_email,
                    FieldKind.STRING,
                    sort=True,
                    case_insensitive=True,
                ),
                ListField("mobile", C.mobile, FieldKind.STRING, sort=True),
                ListField("workPhone", C.work_phone, FieldKind.STRING, sort=True),
                ListField("fax", C.fax, FieldKind.STRING, sort=True),
                ListField("website", C.website, FieldKind.STRING, sort=True),
                ListField("vatNumber", C.vat_number, FieldKind.STRING, sort=True),
                ListField("personalNumber", C.personal_number, FieldKind.STRING, sort=True),
                ListField(
                    "paymentTypeOrder",
                    _enum_order(C.payment_type, PaymentType),
                    FieldKind.INTEGER,
                    filter=False,
                    sort=True,
                ),
                ListField(
                    "deleted",
                    C.deleted_at.is_not(None),
                    FieldKind.BOOLEAN,
                    sort=True,
                    nullable=False,
                ),
            ]
        },
    },
    dynamic=_wide_dynamic,
)


async def list_page(
    session: AsyncSession,
    principal: Principal,
    query: listing.ListQuery,
    *,
    spec: ListSpec = LIST_SPEC,
    plain: bool = False,
) -> listing.Page[Client]:
    """A page of clients; `plain`: as rows with Client's attribute names (read-only, cheaper)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if query.q is not None and spec.search is _search and postgres:
        spec = replace(spec, search=_search_in(principal.organization_id))
    if plain:
        stmt: Select[Any] = select(*_client_columns()).where(
            Client.organization_id == principal.organization_id
        )
        return await listing.fetch_page(session, stmt, spec, query, plain=True)
    return await listing.fetch_page(session, scoped(principal), spec, query)


# A page of documents is found as its rows' ids and versions (`row_version`, kept by
# PostgreSQL; see documents.DocumentCache): with the usual sorts, from their index alone.
_PAGE: tuple[Any, ...] = (Client.id, Client.row_version)


@lru_cache(maxsize=1024)
def _page_of(organization_id: UUID) -> Select[Any]:
    # Statements are immutable: one per organization serves every page (building it, with its
    # column comparison, was a twentieth of a list page's Python).
    return select(*_PAGE).where(Client.organization_id == organization_id)


async def list_documents(
    session: AsyncSession,
    pool: ReadPool,
    principal: Principal,
    query: listing.ListQuery,
    *,
    spec: ListSpec = LIST_SPEC,
    include: Collection[str] = (),
) -> listing.Page[bytes]:
    """PostgreSQL: a page of clients as the JSON documents the database writes
    (documents.py), embedding the lists named in `include`. The page is found by its rows' ids
    and versions alone; their documents come from the document cache or the read pool."""
    reuse = None
    if spec is LIST_SPEC:  # a spec built for custom fields is a new object every time
        reuse = (
            "clients.documents",
            principal.organization_id,
            query.fingerprint,
            query.signature,
            query.limit,
            query.page,
            query.offset,
            query.after,
        )
    if query.q is not None and spec.search is _search:
        spec = replace(spec, search=_search_in(principal.organization_id))
    stmt = _page_of(principal.organization_id)

    async def search() -> listing.Page[Any]:
        found = await listing.fetch_page(session, stmt, spec, query, plain=True)
        # Kept as plain (id, version) pairs: a third of the memory of the rows.
        return replace(found, items=[(row.id, row.row_version) for row in found.items])

    if query.q is not None and reuse is not None:
        # A search found before under the same snapshot is still right (core/search_cache.py).
        page = await search_cache.SEARCHES.page(pool, reuse, search)
    else:
        page = await listing.fetch_page(
            session, stmt, spec, query, plain=True, reuse=reuse, pool=pool
        )
    rows = [(row[0], row[1]) for row in page.items]  # _PAGE: the id, then the version
    return replace(page, items=await documents.many(pool, principal, rows, include))


async def count_with_type(session: AsyncSession, principal: Principal, type_id: UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(Client)
        .where(
            Client.organization_id == principal.organization_id, Client.client_type_id == type_id
        )
    )
    return int(await session.scalar(stmt) or 0)


async def nested_keys(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> tuple[set[str], set[str], set[str]]:
    """The metadata keys, custom-field keys and externalIds systems of the matching clients."""
    dialect = session.get_bind().dialect
    filtered = listing.filter_statement(scoped(principal), LIST_SPEC, query, dialect)
    if dialect.name == "postgresql":
        meta: Any = func.jsonb_object_keys(Client.meta)
        custom: Any = func.jsonb_object_keys(Client.custom_fields)
        system: Any = func.jsonb_array_elements(Client.external_ids).op("->>")("system")
        keys = [filtered.with_only_columns(expr).distinct() for expr in (meta, custom, system)]
    else:
        keys = []
        for column, path in (
            (Client.meta, None),
            (Client.custom_fields, None),
            (Client.external_ids, "$.system"),
        ):
            each = func.json_each(column).table_valued("key", "value")
            expr = each.c.key if path is None else func.json_extract(each.c.value, path)
            keys.append(filtered.join(each, true()).with_only_columns(expr).distinct())
    found = []
    for stmt in keys:
        found.append({str(value) for value in (await session.scalars(stmt)).all() if value})
    return found[0], found[1], found[2]


async def analyze(session: AsyncSession) -> None:
    """Refresh PostgreSQL's planner statistics of the client tables (after a bulk load)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("ANALYZE clients, external_ids"))


def _as_shown(column: Any) -> Any:
    """A text column as fronts that show a missing value as "" compare it: NULL is the empty
    text (first when ascending), and case does not matter (the same order on every backend)."""
    return func.lower(func.coalesce(column, ""))


# The same fields, plus sorts on the name parts as they are shown when "" stands for a missing
# part, and a filter on whether the client has a company name at all.
NAME_PARTS_SPEC = replace(
    LIST_SPEC,
    fields={
        **LIST_SPEC.fields,
        **{
            f.name: f
            for f in [
                ListField(
                    "hasCompanyName",
                    func.coalesce(C.company_name, "") != "",
                    FieldKind.BOOLEAN,
                    nullable=False,
                ),
                *(
                    ListField(
                        f"{name}AsShown",
                        _as_shown(column),
                        FieldKind.STRING,
                        filter=False,
                        sort=True,
                        nullable=False,
                    )
                    for name, column in [
                        ("companyName", C.company_name),
                        ("lastName", C.last_name),
                        ("firstName", C.first_name),
                    ]
                ),
            ]
        },
    },
)
