"""Other systems' ids for records: uniqueness per organization, kind and system; lookup.

The record's service owns the list (it lives in the record's own JSON for reading); it calls
`replace` whenever the list changes, `remove` when the record stops being live and `restore`
when it is live again. The unique index on (organization, kind, system, id) is the final
guarantee; the checks here only give a clear message first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.clock import now
from rolodex.core.errors import Conflict, FieldIssue, Invalid
from rolodex.core.external_ids import repository
from rolodex.core.external_ids.models import ExternalId
from rolodex.core.ids import new_id
from rolodex.core.principal import Principal
from rolodex.core.schemas import ExternalIdRef

Ref = tuple[str, str]  # (system, id)


def refs_of(items: Iterable[Mapping[str, str]] | None) -> list[Ref]:
    """[{"system", "id"}, ...] as (system, id) pairs."""
    return [(item["system"], item["id"]) for item in items or ()]


def conflict(kind: str, ref: Ref) -> Conflict:
    label = kind.replace("_", " ")
    system, value = ref
    message = f"Another {label} already has externalIds {system}={value}"
    return Conflict(message, details=[FieldIssue(f"externalIds.{system}", "already taken")])


def parse_ref(system: str, external_id: str) -> ExternalIdRef:
    """A (system, id) pair from a path, checked as a body's externalIds are (Invalid if not)."""
    try:
        return ExternalIdRef.model_validate({"system": system, "id": external_id})
    except ValidationError as exc:
        issues = [
            FieldIssue(str(err["loc"][0]) if err["loc"] else "externalIds", err["msg"])
            for err in exc.errors()
        ]
        raise Invalid("Invalid external id: " + issues[0].message, details=issues) from None


def with_ref(refs: Sequence[ExternalIdRef] | None, ref: ExternalIdRef) -> list[ExternalIdRef]:
    """A body's externalIds with the path's pair added (Invalid when it names another id)."""
    listed = list(refs or [])
    mine = [item for item in listed if item.system == ref.system]
    if mine and mine[0].id != ref.id:
        raise Invalid.field("externalIds", f"the {ref.system} id differs from the id in the path")
    return listed if mine else [*listed, ref]


async def lock_ref(session: AsyncSession, principal: Principal, kind: str, ref: Ref) -> None:
    """Serialize upserts of one pair until the transaction ends (PostgreSQL).

    Two concurrent PUTs of a pair nobody holds yet would both create a record and one would
    fail on the unique index; with this lock the second waits, then finds the first's record
    and replaces it. SQLite runs one writer at a time anyway.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    name = "\x1f".join((str(principal.organization_id), kind, *ref)).encode()
    key = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


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


async def sync_many(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    wanted: Mapping[UUID, Sequence[Ref]],
) -> None:
    """Make each record's rows exactly its pairs (none for a record that is not live).

    Removals go first, so records of one write can swap pairs; a pair wanted by two of them,
    or held by another live record, is a Conflict. The caller flushes.
    """
    if not wanted:
        return
    current = await repository.of_subjects(session, principal, kind, list(wanted))
    for subject_id, refs in wanted.items():
        gone = current.get(subject_id, set()) - set(refs)
        if gone:
            await repository.delete_refs(session, principal, kind, [subject_id], gone)
    added: dict[Ref, UUID] = {}
    for subject_id, refs in wanted.items():
        for ref in refs:
            if ref in current.get(subject_id, set()):
                continue
            if added.setdefault(ref, subject_id) != subject_id:
                raise conflict(kind, ref)
    if not added:
        return
    taken = await repository.owners(session, principal, kind, set(added))
    for ref, subject_id in added.items():
        if taken.get(ref, subject_id) != subject_id:
            raise conflict(kind, ref)
    session.add_all(
        ExternalId(**row(principal, kind, subject_id, ref)) for ref, subject_id in added.items()
    )


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
