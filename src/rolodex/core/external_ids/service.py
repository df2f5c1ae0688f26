"""Other systems' ids for records: uniqueness per organization, kind and system; lookup.

The record's service owns the list (it lives in the record's own JSON for reading); it calls
`replace` whenever the list changes, `remove` when the record stops being live and `restore`
when it is live again. The unique index on (organization, kind, system, id) is the final
guarantee; the checks here only give a clear message first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.clock import now
from rolodex.core.errors import Conflict, FieldIssue
from rolodex.core.external_ids import repository
from rolodex.core.external_ids.models import ExternalId
from rolodex.core.ids import new_id
from rolodex.core.principal import Principal

Ref = tuple[str, str]  # (system, id)


def refs_of(items: Iterable[Mapping[str, str]] | None) -> list[Ref]:
    """[{"system", "id"}, ...] as (system, id) pairs."""
    return [(item["system"], item["id"]) for item in items or ()]


def conflict(kind: str, ref: Ref) -> Conflict:
    label = kind.replace("_", " ")
    system, value = ref
    message = f"Another {label} already has externalIds {system}={value}"
    return Conflict(message, details=[FieldIssue(f"externalIds.{system}", "already taken")])


async def find(
    session: AsyncSession, principal: Principal, kind: str, system: str, external_id: str
) -> UUID | None:
    """The live record of `kind` holding this id in `system`, if any."""
    return await repository.subject_of(session, principal, kind, system, external_id)


async def owners(
    session: AsyncSession, principal: Principal, kind: str, refs: Iterable[Ref]
) -> dict[Ref, UUID]:
    """The live records holding each of the pairs (only the pairs that are taken)."""
    return await repository.owners(session, principal, kind, set(refs))


def add(
    session: AsyncSession, principal: Principal, kind: str, subject_id: UUID, refs: Iterable[Ref]
) -> None:
    """Stage rows for a record's pairs (flushed with the record; the caller checked them)."""
    session.add_all(ExternalId(**row(principal, kind, subject_id, ref)) for ref in refs)


def row(principal: Principal, kind: str, subject_id: UUID, ref: Ref) -> dict[str, Any]:
    """One pair as the values of a new row (for multi-row INSERTs)."""
    return {
        "id": new_id(),
        "organization_id": principal.organization_id,
        "subject_kind": kind,
        "subject_id": subject_id,
        "system": ref[0],
        "external_id": ref[1],
        "created_at": now(),
    }


async def replace(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    subject_id: UUID,
    refs: Sequence[Ref],
    *,
    new: bool = False,
) -> None:
    """Make the record's rows exactly `refs`; Conflict when another live record holds one."""
    current = set()
    if not new:
        current = set(await repository.of_subject(session, principal, kind, subject_id))
    wanted = set(refs)
    added = [ref for ref in refs if ref not in current]
    if added:
        taken = await repository.owners(session, principal, kind, added)
        for ref in added:
            if ref in taken and taken[ref] != subject_id:
                raise conflict(kind, ref)
    removed = current - wanted
    if removed:
        await repository.delete_refs(session, principal, kind, [subject_id], removed)
    add(session, principal, kind, subject_id, added)


async def remove(
    session: AsyncSession, principal: Principal, kind: str, subject_ids: Sequence[UUID]
) -> None:
    """Drop the records' rows (soft delete or purge): their ids are free again."""
    await repository.delete_refs(session, principal, kind, subject_ids)


async def restore(
    session: AsyncSession, principal: Principal, kind: str, subject_id: UUID, refs: Sequence[Ref]
) -> None:
    """Put back a restored record's rows; Conflict when another live record took one meanwhile."""
    await replace(session, principal, kind, subject_id, refs)
