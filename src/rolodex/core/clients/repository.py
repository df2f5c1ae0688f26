"""Client queries: every one starts from `scoped(principal)`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import listing
from rolodex.core.clients.models import Client
from rolodex.core.contacts.models import ContactLink, ContactPerson
from rolodex.core.custom_fields import expressions
from rolodex.core.enums import (
    ClientKind,
    ClientStatus,
    Creditworthiness,
    PartnerType,
    PaymentType,
)
from rolodex.core.errors import Conflict
from rolodex.core.listing import FieldKind, ListField, ListSpec
from rolodex.core.principal import Principal


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


async def by_number(session: AsyncSession, principal: Principal, number: int) -> Client | None:
    stmt = scoped(principal).where(Client.number == number)
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


async def flush(session: AsyncSession) -> None:
    """Flush, turning unique-index violations into a Conflict that names the field."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict_from(exc) from None


def conflict_from(exc: IntegrityError) -> Conflict:
    text = str(exc.orig).lower()
    if "email" in text:
        return Conflict("A client with this email already exists in the organization")
    if "external_id" in text:
        return Conflict("A client with this externalId already exists in the organization")
    return Conflict("The change conflicts with another record")


def _enum(name: str, column: Any, values: type[Any], **kw: Any) -> ListField:
    return ListField(name, column, FieldKind.ENUM, enum_values=tuple(v.value for v in values), **kw)


def _dynamic(name: str) -> ListField | None:
    prefix, _, key = name.partition(".")
    if prefix == "metadata" and key:
        return ListField(name, Client.meta[key].as_string(), FieldKind.STRING)
    if prefix == "customFields" and key:
        return custom_field_filter(name, key)
    return None


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


async def list_page(
    session: AsyncSession,
    principal: Principal,
    query: listing.ListQuery,
    *,
    spec: ListSpec = LIST_SPEC,
) -> listing.Page[Client]:
    return await listing.fetch_page(session, scoped(principal), spec, query)


async def count_with_type(session: AsyncSession, principal: Principal, type_id: UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(Client)
        .where(
            Client.organization_id == principal.organization_id, Client.client_type_id == type_id
        )
    )
    return int(await session.scalar(stmt) or 0)
