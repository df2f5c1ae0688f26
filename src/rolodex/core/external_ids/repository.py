"""External-id queries: every one starts from `scoped(principal, kind)`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from rolodex.core.external_ids.models import ExternalId
from rolodex.core.principal import Principal

# Bound parameters per IN list: well under SQLite's and asyncpg's limits.
_IN_CHUNK = 500


def scoped(principal: Principal, kind: str) -> Select[Any]:
    """The one place external ids are filtered by tenant (and record kind)."""
    return select(ExternalId).where(
        ExternalId.organization_id == principal.organization_id, ExternalId.subject_kind == kind
    )


async def subject_of(
    session: AsyncSession, principal: Principal, kind: str, system: str, external_id: str
) -> UUID | None:
    stmt = (
        scoped(principal, kind)
        .where(ExternalId.system == system, ExternalId.external_id == external_id)
        .with_only_columns(ExternalId.subject_id)
    )
    return (await session.scalars(stmt)).first()


async def owners(
    session: AsyncSession, principal: Principal, kind: str, refs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], UUID]:
    """Who holds each of the (system, id) pairs now (one query per system and 500 ids)."""
    by_system: dict[str, list[str]] = {}
    for system, value in refs:
        by_system.setdefault(system, []).append(value)
    found: dict[tuple[str, str], UUID] = {}
    for system, values in by_system.items():
        for start in range(0, len(values), _IN_CHUNK):
            stmt = (
                scoped(principal, kind)
                .where(
                    ExternalId.system == system,
                    ExternalId.external_id.in_(values[start : start + _IN_CHUNK]),
                )
                .with_only_columns(ExternalId.external_id, ExternalId.subject_id)
            )
            for value, subject_id in (await session.execute(stmt)).all():
                found[(system, value)] = subject_id
    return found


async def of_subject(
    session: AsyncSession, principal: Principal, kind: str, subject_id: UUID
) -> list[tuple[str, str]]:
    stmt = (
        scoped(principal, kind)
        .where(ExternalId.subject_id == subject_id)
        .with_only_columns(ExternalId.system, ExternalId.external_id)
    )
    return [(system, value) for system, value in (await session.execute(stmt)).all()]


async def of_subjects(
    session: AsyncSession, principal: Principal, kind: str, subject_ids: Sequence[UUID]
) -> dict[UUID, set[tuple[str, str]]]:
    """The pairs each of these records holds now (one query per 500 records)."""
    found: dict[UUID, set[tuple[str, str]]] = {}
    for start in range(0, len(subject_ids), _IN_CHUNK):
        stmt = (
            scoped(principal, kind)
            .where(ExternalId.subject_id.in_(subject_ids[start : start + _IN_CHUNK]))
            .with_only_columns(ExternalId.subject_id, ExternalId.system, ExternalId.external_id)
        )
        for subject_id, system, value in (await session.execute(stmt)).all():
            found.setdefault(subject_id, set()).add((system, value))
    return found


async def delete_refs(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    subject_ids: Sequence[UUID],
    refs: Collection[tuple[str, str]] | None = None,
) -> None:
    """Remove the subjects' rows (only the given pairs, when `refs` is given)."""
    for start in range(0, len(subject_ids), _IN_CHUNK):
        stmt = delete(ExternalId).where(
            ExternalId.organization_id == principal.organization_id,
            ExternalId.subject_kind == kind,
            ExternalId.subject_id.in_(subject_ids[start : start + _IN_CHUNK]),
        )
        if refs is not None:
            stmt = stmt.where(tuple_(ExternalId.system, ExternalId.external_id).in_(list(refs)))
        await session.execute(stmt)


def holding(
    stmt: Select[Any],
    principal: Principal,
    kind: str,
    subject_column: Any,
    system: str,
    external_id: str,
) -> Select[Any]:
    """`stmt` narrowed to the record (in `subject_column`) that holds `external_id` in
    `system`, joined to the tenant's external-id row."""
    return stmt.join(
        ExternalId,
        (ExternalId.subject_id == subject_column)
        & (ExternalId.organization_id == principal.organization_id)
        & (ExternalId.subject_kind == kind),
    ).where(ExternalId.system == system, ExternalId.external_id == external_id)


def held_by(
    kind: str,
    subject_column: Any,
    organization_column: Any,
    system: str,
    values: Sequence[str],
) -> ColumnElement[bool]:
    """SQL: the record in `subject_column` holds one of `values` in `system` (a list filter)."""
    subjects = select(ExternalId.subject_id).where(
        ExternalId.organization_id == organization_column,
        ExternalId.subject_kind == kind,
        ExternalId.system == system,
        ExternalId.external_id.in_(list(values)),
    )
    result: ColumnElement[bool] = subject_column.in_(subjects)
    return result
