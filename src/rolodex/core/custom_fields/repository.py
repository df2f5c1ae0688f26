"""Custom-field queries: definitions start from `scoped(principal)`, stored values from the
clients' own `scoped(principal)`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from rolodex.core import listing
from rolodex.core.clients import repository as clients_repository
from rolodex.core.clients.models import Client
from rolodex.core.custom_fields import expressions
from rolodex.core.custom_fields.models import CustomField
from rolodex.core.custom_fields.schemas import FieldType
from rolodex.core.errors import Conflict
from rolodex.core.listing import FieldKind, ListField, ListSpec
from rolodex.core.principal import Principal


def scoped(principal: Principal) -> Select[CustomField]:
    """The one place definitions are filtered by tenant."""
    return _scoped(principal.organization_id)


@lru_cache(maxsize=1024)
def _scoped(organization_id: UUID) -> Select[CustomField]:
    # Statements are immutable: one per organization serves every request (a create reads
    # the definitions; building the statement cost a tenth of the create's own code).
    return select(CustomField).where(CustomField.organization_id == organization_id)


# The organization's definitions as one JSON array, by key, for a statement that reads them
# beside what it does (a create's numbers.reserve_reading); `from_json` makes them definitions.
DEFINITIONS_JSON = (
    "SELECT coalesce(json_agg(d ORDER BY d.key), '[]'::json) FROM custom_fields AS d "
    "WHERE d.organization_id = :of_organization"
)


def from_json(rows: list[dict[str, Any]]) -> list[CustomField]:
    """DEFINITIONS_JSON's rows as (transient) definitions."""
    return [
        CustomField(
            **row
            | {
                "id": UUID(row["id"]),
                "organization_id": UUID(row["organization_id"]),
                "created_at": datetime.fromisoformat(row["created_at"]),
                "updated_at": datetime.fromisoformat(row["updated_at"]),
            }
        )
        for row in rows
    ]


async def get(
    session: AsyncSession, principal: Principal, key: str, *, for_update: bool = False
) -> CustomField | None:
    stmt = scoped(principal).where(CustomField.key == key)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def by_key_any_case(
    session: AsyncSession, principal: Principal, key: str
) -> CustomField | None:
    stmt = scoped(principal).where(func.lower(CustomField.key) == key.lower())
    return (await session.scalars(stmt)).first()


async def by_label(session: AsyncSession, principal: Principal, label: str) -> CustomField | None:
    """The first definition (by key) with this label, compared case-insensitively."""
    stmt = scoped(principal).where(func.lower(CustomField.label) == label.lower())
    return (await session.scalars(stmt.order_by(CustomField.key))).first()


async def count(session: AsyncSession, principal: Principal) -> int:
    """How many definitions the organization has."""
    counted = select(func.count()).select_from(scoped(principal).subquery())
    return int(await session.scalar(counted) or 0)


async def all_of(session: AsyncSession, principal: Principal) -> list[CustomField]:
    """Every definition of the organization."""
    return list(await session.scalars(_all_of(principal.organization_id)))


@lru_cache(maxsize=1024)
def _all_of(organization_id: UUID) -> Select[CustomField]:
    return _scoped(organization_id).order_by(CustomField.key)


async def lock_shared(session: AsyncSession, principal: Principal, keys: Collection[str]) -> None:
    """Hold these definitions still (FOR SHARE) while values checked against them are written.

    A definition change takes FOR UPDATE, so it waits for the write and then sees its values.
    """
    if session.get_bind().dialect.name == "postgresql" and keys:
        stmt = scoped(principal).where(CustomField.key.in_(list(keys)))
        await session.execute(stmt.with_for_update(read=True))


async def flush(session: AsyncSession) -> None:
    """Flush, turning a duplicate key into a Conflict."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("A custom field with this key already exists") from None


L = CustomField
LIST_SPEC = ListSpec(
    fields={
        f.name: f
        for f in [
            ListField("key", L.key, FieldKind.STRING, sort=True, nullable=False),
            ListField("label", L.label, FieldKind.STRING, sort=True, nullable=False),
            ListField(
                "type",
                L.type,
                FieldKind.ENUM,
                enum_values=tuple(t.value for t in FieldType),
                nullable=False,
            ),
            ListField("required", L.required, FieldKind.BOOLEAN, nullable=False),
            ListField(
                "createdAt", L.created_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
            ListField(
                "updatedAt", L.updated_at, FieldKind.DATETIME, range=True, sort=True, nullable=False
            ),
        ]
    },
    id_column=L.id,
    default_sort=("key",),
    search=lambda q: listing.ilike_any([L.key, L.label], q),
)


async def list_page(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> listing.Page[CustomField]:
    return await listing.fetch_page(session, scoped(principal), LIST_SPEC, query)


# ------------------------------------------------------------------ stored values


async def _count_clients(
    session: AsyncSession, principal: Principal, condition: ColumnElement[bool]
) -> int:
    """Clients of the organization (soft-deleted ones too: they can be restored) matching."""
    matching = clients_repository.scoped(principal).where(condition).subquery()
    return int(await session.scalar(select(func.count()).select_from(matching)) or 0)


async def count_values(session: AsyncSession, principal: Principal, key: str) -> int:
    """How many clients hold a value for `key`."""
    dialect = session.get_bind().dialect.name
    return await _count_clients(
        session, principal, expressions.present(Client.custom_fields, key, dialect)
    )


async def count_invalid(
    session: AsyncSession, principal: Principal, key: str, field_type: str, options: list[str]
) -> int:
    """How many clients hold a value for `key` that a definition of this type would refuse."""
    dialect = session.get_bind().dialect.name
    column = Client.custom_fields
    condition = expressions.invalid(column, key, field_type, options, dialect)
    count = await _count_clients(session, principal, condition)
    if field_type != FieldType.DATE:
        return count
    # Shaped like a date, but is it one (2024-02-30)? Python knows; check each distinct value.
    as_text = expressions.text(column, key)
    shaped = (
        clients_repository.scoped(principal)
        .where(expressions.date_shaped(column, key, dialect))
        .with_only_columns(as_text, maintain_column_froms=True)
        .distinct()
    )
    impossible = [value for value in await session.scalars(shaped) if not _is_day(value)]
    if impossible:
        count += await _count_clients(session, principal, as_text.in_(impossible))
    return count


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
