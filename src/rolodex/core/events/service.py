"""Recording changes (one call per write) and reading them back: feed, history, time travel.

A service that changes a record calls `record(...)` once, after its flush, in the request's own
transaction (so a rolled-back request or savepoint takes its event with it). The row is inserted,
with its per-organization `sequence`, by a before-commit hook, right before COMMIT, under a row
lock on the organization's event counter. That lock is held only for the last moment of the
transaction, and it makes sequence order equal commit order: a reader that has seen sequence N
can never later see a new event numbered N or less.

Outside a savepoint, `record` and `record_many` (bulk writes) keep their rows in the session,
and the same hook inserts them, numbered, in one statement (no ORM objects, no UPDATE afterwards).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel
from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from rolodex.core import listing
from rolodex.core.clock import format_timestamp, now
from rolodex.core.db import PENDING_EVENTS
from rolodex.core.events import catalog, repository
from rolodex.core.events.models import Event
from rolodex.core.ids import new_id
from rolodex.core.principal import Principal
from rolodex.core.rows import COPY_FROM, RawJSON, insert_rows_sync, json_text, plain
from rolodex.core.schemas import json_value

# Fields that change on every write; they are left out of previousAttributes and history.
BOOKKEEPING = frozenset({"updatedAt", "version", "displayName"})
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
PRUNE_BATCH = 5000


def snapshot(model: type[BaseModel], data: Any, *, exclude: Collection[str] = ()) -> dict[str, Any]:
    """A record as the API shows it, as plain JSON (what an event's `object` holds).

    `model` is the record's read schema (ClientRead), `data` what the route would answer;
    `exclude` names fields (by attribute name) the event leaves out, such as embedded lists.
    """
    return model.model_validate(data).model_dump(mode="json", by_alias=True, exclude=set(exclude))


def snapshot_json(
    model: type[BaseModel], data: Mapping[str, Any], *, exclude: Collection[str] = ()
) -> str:
    """`snapshot` as JSON text, the same object, for half the cost of the model's own JSON.

    `data` holds what the model would (as the answers api/http.py's `json_response` writes),
    so orjson writes it, the model's fields in the model's order (tests/api/test_json_response.py
    holds it to the model's own JSON). Through the model only when orjson cannot: a field
    `data` lacks, an integer beyond 64 bits."""
    try:
        fields = {alias: data[alias] for alias in _aliases(model, frozenset(exclude))}
        return orjson.dumps(
            fields, default=json_value, option=orjson.OPT_PASSTHROUGH_DATETIME
        ).decode()
    except (KeyError, TypeError):  # orjson.JSONEncodeError is a TypeError
        return model.model_validate(data).model_dump_json(by_alias=True, exclude=set(exclude))


@cache
def _aliases(model: type[BaseModel], exclude: frozenset[str]) -> tuple[str, ...]:
    """The model's JSON keys in its order, but those of the fields `exclude` names."""
    assert not model.model_computed_fields, "a computed field is the model's to write"
    return tuple(
        field.serialization_alias or field.alias or name
        for name, field in model.model_fields.items()
        if name not in exclude and not field.exclude
    )


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The fields whose value differs, with their old values (bookkeeping fields left out)."""
    keys = [*after, *(k for k in before if k not in after)]
    return {
        key: before.get(key)
        for key in keys
        if key not in BOOKKEEPING and before.get(key) != after.get(key)
    }


async def record(
    session: AsyncSession,
    principal: Principal,
    event_type: str,
    obj: Mapping[str, Any],
    *,
    previous: Mapping[str, Any] | None = None,
    subject_id: UUID | None = None,
    subject_kind: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append an event to the outbox in the caller's transaction (written before it commits).

    `obj` is the record after the change (see `snapshot`); `previous` the snapshot before it, for
    updates: the event then carries only the changed fields in `previousAttributes`. The subject
    defaults to `obj["id"]` and the kind to the type's prefix; `at` to now (pass the record's
    `updatedAt` so that `?asOf=<updatedAt>` finds this very change).

    Outside a savepoint the row is kept until the commit hook, which inserts it with the
    transaction's other events in one statement (a create with contact persons: one INSERT for
    all its events). In a savepoint, which may still be rolled back, it is flushed at once.
    """
    if event_type not in catalog.EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}: add it to events/catalog.py")
    row = _row(
        principal,
        event_type,
        subject_kind or catalog.kind_of(event_type),
        subject_id or UUID(str(obj["id"])),
        {
            "object": dict(obj),
            "previousAttributes": None if previous is None else changed(previous, obj),
        },
        at or now(),
    )
    await _keep(session, principal, [row])


@dataclass
class _Deferred:
    """Events as rows, kept until the commit hook inserts them, numbered."""

    organization_id: UUID
    rows: list[dict[str, Any]]


async def record_many(
    session: AsyncSession,
    principal: Principal,
    event_type: str,
    objects: Sequence[tuple[UUID, str, datetime]],
) -> None:
    """Append one creation-style event per (subject id, object as JSON, moment) (bulk writes).

    Each object is the record's `snapshot_json`. Kept as `record` keeps one: the commit hook
    inserts the rows with their sequences in one statement (COPY on PostgreSQL from COPY_FROM
    rows): no ORM objects, no UPDATE afterwards.
    """
    if event_type not in catalog.EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}: add it to events/catalog.py")
    if not objects:
        return
    kind = catalog.kind_of(event_type)
    rows = [
        _row(
            principal,
            event_type,
            kind,
            subject_id,
            {"object": RawJSON(obj), "previousAttributes": None},
            moment,
        )
        for subject_id, obj, moment in objects
    ]
    await _keep(session, principal, rows)


def _row(
    principal: Principal,
    event_type: str,
    kind: str,
    subject_id: UUID,
    data: dict[str, Any],
    moment: datetime,
) -> dict[str, Any]:
    """An events row, every column (rows.insert_rows), not numbered yet."""
    return {
        "id": new_id(),
        "organization_id": principal.organization_id,
        "sequence": None,
        "type": event_type,
        "occurred_at": moment,
        "actor_key_id": principal.key_id,
        "subject_kind": kind,
        "subject_id": subject_id,
        "data": data,
    }


async def _keep(session: AsyncSession, principal: Principal, rows: list[dict[str, Any]]) -> None:
    """Rows for the commit hook; in a savepoint, flushed as Events now (its rollback drops them)."""
    pending = session.info.setdefault(PENDING_EVENTS, [])
    if not session.in_nested_transaction():
        pending.append(_Deferred(principal.organization_id, rows))
        return
    events = [Event(**(row | {"data": plain(row["data"])})) for row in rows]
    session.add_all(events)
    await session.flush()
    pending.extend(events)


def take_deferred(session: AsyncSession, organization_id: UUID) -> list[dict[str, Any]] | None:
    """The transaction's events, as rows for `repository.numbered_tail`, taken from the commit
    hook (which then has none to write): only when every one is a row kept for this organization
    outside a savepoint (`record`, `record_many`); else None, and they stay."""
    pending = session.info.get(PENDING_EVENTS, [])
    if not all(
        isinstance(item, _Deferred) and item.organization_id == organization_id for item in pending
    ):
        return None
    session.info.pop(PENDING_EVENTS, None)
    return [row for item in pending for row in item.rows]


def assign_sequences(session: Session) -> None:
    """Give this transaction's surviving events their sequences, just before COMMIT."""
    if session.in_nested_transaction():
        return  # a savepoint being released: the outer transaction's commit numbers them
    pending: list[Event | _Deferred] = session.info.pop(PENDING_EVENTS, [])
    if not pending:
        return
    session.flush()  # whatever else is pending fails here, before the counter is locked
    # Events inserted inside a savepoint that was rolled back are no longer in the session;
    # deferred ones (bulk writes, inserted here) were recorded outside any savepoint.
    by_org: dict[UUID, list[Event | dict[str, Any]]] = {}
    for item in pending:
        if isinstance(item, _Deferred):
            by_org.setdefault(item.organization_id, []).extend(item.rows)
        elif inspect(item).persistent:
            by_org.setdefault(item.organization_id, []).append(item)
    postgres = session.get_bind().dialect.name == "postgresql"
    for org_id in sorted(by_org, key=str):  # one lock order, should a transaction span tenants
        entries = by_org[org_id]
        rows = [entry for entry in entries if isinstance(entry, dict)]
        if postgres and len(rows) == len(entries) and len(rows) < COPY_FROM:
            # The counter row stays locked from here to the end of COMMIT, and every other
            # writer of the organization waits for it there (a lock held across three round
            # trips had queued concurrent creates behind each other): one statement takes the
            # counter and inserts the rows with their numbers, each row written once.
            data = [row | {"data": json_text(row["data"])} for row in rows]
            repository.insert_numbered(session, org_id, data)
            continue
        if postgres and len(rows) < COPY_FROM:
            # Events flushed in a savepoint are there already: the deferred rows are inserted
            # beside them, unnumbered, and one statement then numbers them all. Larger bulk
            # writes take the numbers first and COPY the rows with them.
            insert_rows_sync(session, Event, rows)
            ids = [entry.id if isinstance(entry, Event) else entry["id"] for entry in entries]
            last = repository.number_events(session, org_id, ids)
            for offset, entry in enumerate(entries):
                if last is not None and isinstance(entry, Event):
                    set_committed_value(entry, "sequence", last - len(ids) + 1 + offset)
            continue
        first = repository.reserve_sequences(session, org_id, len(entries)) - len(entries) + 1
        for offset, entry in enumerate(entries):
            if isinstance(entry, dict):
                entry["sequence"] = first + offset
            else:
                entry.sequence = first + offset
        insert_rows_sync(session, Event, rows)  # the dicts above, numbered now
    # The commit flushes the ORM events' updates right after this hook.


def _forget(session: Session, transaction: SessionTransaction) -> None:
    # Only when the whole transaction ends: a savepoint's rollback keeps the events before it.
    if transaction.parent is None:
        session.info.pop(PENDING_EVENTS, None)


# Every Session (the sync core of each AsyncSession) numbers its events when it commits.
sa_event.listen(Session, "before_commit", assign_sequences)
sa_event.listen(Session, "after_transaction_end", _forget)


# ---------------------------------------------------------------- reading


def to_read(event: Event) -> dict[str, Any]:
    """The event as the feed and webhooks show it (plain JSON)."""
    return {
        "id": str(event.id),
        "sequence": event.sequence,
        "type": event.type,
        "occurredAt": format_timestamp(event.occurred_at),
        "actor": {"keyId": str(event.actor_key_id) if event.actor_key_id else None},
        "data": {
            "object": event.data.get("object"),
            "previousAttributes": event.data.get("previousAttributes"),
        },
    }


async def feed(
    session: AsyncSession,
    principal: Principal,
    *,
    after: int = 0,
    types: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[Event], int]:
    """Events after `after` in sequence order, and the `after` to pass next."""
    selected = catalog.expand(types, field="type") if types else None
    events = list(
        await repository.feed(session, principal, after=after, types=selected, limit=limit)
    )
    next_after = events[-1].sequence if events else after
    return events, int(next_after or 0)


async def latest_at(
    session: AsyncSession, principal: Principal, kind: str, subject_id: UUID, moment: datetime
) -> Event | None:
    """The subject's last event at or before `moment` (its state then), if any."""
    return await repository.latest_at(session, principal, kind, subject_id, moment)


async def history(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    subject_id: UUID,
    query: listing.ListQuery,
) -> listing.Page[Event]:
    """A page of the subject's events (newest first unless sorted otherwise)."""
    return await repository.history_page(session, principal, kind, subject_id, query)


async def any_for(session: AsyncSession, principal: Principal, kind: str, subject_id: UUID) -> bool:
    """Whether the subject has any event."""
    return await repository.any_for(session, principal, kind, subject_id)


def history_entry(event: Event) -> dict[str, Any]:
    """An event as a history entry: who, when, and field-level before and after."""
    return {
        "id": event.id,
        "sequence": event.sequence,
        "type": event.type,
        "occurredAt": event.occurred_at,
        "actor": {"keyId": event.actor_key_id},
        "changes": field_changes(event),
    }


def field_changes(event: Event) -> list[dict[str, Any]]:
    """[{field, before, after}]: the changed fields, or every set field of a creation."""
    obj: dict[str, Any] = event.data.get("object") or {}
    previous: dict[str, Any] | None = event.data.get("previousAttributes")
    if previous is not None:
        return [{"field": k, "before": v, "after": obj.get(k)} for k, v in previous.items()]
    if event.type.endswith(".created"):
        return [
            {"field": k, "before": None, "after": v}
            for k, v in obj.items()
            if k not in BOOKKEEPING and v not in (None, [], {})
        ]
    return []


# ---------------------------------------------------------------- retention


async def prune(session: AsyncSession, *, retention_days: int | None, at: datetime) -> int:
    """Delete events older than the retention (None keeps them forever); answers how many."""
    if retention_days is None:
        return 0
    cutoff = at - timedelta(days=retention_days)
    total = 0
    for org_id in await repository.organization_ids(session):
        while True:
            deleted = await repository.delete_before(session, org_id, cutoff, PRUNE_BATCH)
            total += deleted
            if deleted < PRUNE_BATCH:
                break
    return total
