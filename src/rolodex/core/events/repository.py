"""Event queries. Reads start from `scoped(principal)`; the worker's reads name the organization."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    DateTime,
    Select,
    String,
    Text,
    Uuid,
    bindparam,
    delete,
    exists,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from rolodex.core import listing
from rolodex.core.events.catalog import EVENT_TYPES
from rolodex.core.events.models import Event
from rolodex.core.listing import FieldKind, ListField, ListSpec
from rolodex.core.orgs.models import Counter, Organization
from rolodex.core.principal import Principal
from rolodex.core.rows import Tail, json_text

COUNTER_KIND = "event"


def scoped(principal: Principal) -> Select[Event]:
    """The one place events are filtered by tenant; committed events only."""
    return select(Event).where(
        Event.organization_id == principal.organization_id, Event.sequence.is_not(None)
    )


async def feed(
    session: AsyncSession,
    principal: Principal,
    *,
    after: int,
    types: Collection[str] | None,
    limit: int,
) -> Sequence[Event]:
    stmt = scoped(principal).where(Event.sequence > after)
    if types is not None:
        stmt = stmt.where(Event.type.in_(sorted(types)))
    return (await session.scalars(stmt.order_by(Event.sequence).limit(limit))).all()


def _subject(principal: Principal, kind: str, subject_id: UUID) -> Select[Event]:
    return scoped(principal).where(Event.subject_kind == kind, Event.subject_id == subject_id)


async def latest_at(
    session: AsyncSession, principal: Principal, kind: str, subject_id: UUID, moment: datetime
) -> Event | None:
    stmt = (
        _subject(principal, kind, subject_id)
        .where(Event.occurred_at <= moment)
        .order_by(Event.sequence.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def any_for(session: AsyncSession, principal: Principal, kind: str, subject_id: UUID) -> bool:
    stmt = select(exists(_subject(principal, kind, subject_id)))
    return bool(await session.scalar(stmt))


HISTORY_SPEC = ListSpec(
    fields={
        f.name: f
        for f in [
            # NULL only inside the writing transaction, never in what scoped() reads.
            ListField(
                "sequence",
                Event.sequence,
                FieldKind.INTEGER,
                range=True,
                sort=True,
                nullable=False,
            ),
            ListField(
                "occurredAt",
                Event.occurred_at,
                FieldKind.DATETIME,
                range=True,
                sort=True,
                nullable=False,
            ),
            ListField("type", Event.type, FieldKind.ENUM, enum_values=EVENT_TYPES, nullable=False),
        ]
    },
    id_column=Event.id,
    default_sort=("-sequence",),
    updated_column_name=None,
)


async def history_page(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    subject_id: UUID,
    query: listing.ListQuery,
) -> listing.Page[Event]:
    stmt = _subject(principal, kind, subject_id)
    return await listing.fetch_page(session, stmt, HISTORY_SPEC, query)


def reserve_sequences(session: Session, organization_id: UUID, count: int) -> int:
    """Bump the organization's event counter by `count` in the caller's transaction.

    The counter row stays locked until that transaction ends, so the next writer of the same
    organization gets its sequences only after this one committed: sequence order is commit
    order. Synchronous: it runs inside the Session's before_commit hook. Answers the last value.
    """
    stmt = (
        update(Counter)
        .where(Counter.organization_id == organization_id, Counter.kind == COUNTER_KIND)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        _create_counter(session, organization_id)
        value = session.execute(stmt).scalar_one()
    return int(value)


def _create_counter(session: Session, organization_id: UUID) -> None:
    """The organization's event counter at 0, unless a concurrent writer made it first."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    row = {"organization_id": organization_id, "kind": COUNTER_KIND, "value": 0}
    session.execute(insert(Counter).values(row).on_conflict_do_nothing())


def number_events(session: Session, organization_id: UUID, event_ids: Sequence[UUID]) -> int | None:
    """PostgreSQL: `reserve_sequences` and the events' new sequences in one statement.

    The events (inserted, in this order) get the reserved numbers; answers the last one (None
    when none of them is left). The organization's first events create its counter first.
    """
    stmt = _NUMBER_EVENTS.bindparams(
        organization_id=organization_id, kind=COUNTER_KIND, count=len(event_ids), ids=event_ids
    )
    found = session.execute(stmt).first()
    if found is None:
        _create_counter(session, organization_id)
        found = session.execute(stmt).first()
    # None: the counter exists, so none of the events is left (deleted in this transaction).
    return None if found is None else int(found[0])


# The counter row is locked by the UPDATE in the CTE until the transaction ends (commit order).
_NUMBER_EVENTS = text(
    """
    WITH bumped AS (
        UPDATE counters SET value = value + :count
        WHERE organization_id = :organization_id AND kind = :kind
        RETURNING value
    )
    UPDATE events SET sequence = bumped.value - :count + numbered.position
    FROM bumped, unnest(:ids) WITH ORDINALITY AS numbered(id, position)
    WHERE events.id = numbered.id AND events.organization_id = :organization_id
    RETURNING bumped.value
    """
).bindparams(
    bindparam("organization_id", type_=Uuid()),
    bindparam("kind", type_=String()),
    bindparam("count", type_=BigInteger()),
    bindparam("ids", type_=ARRAY(Uuid())),
)


def numbered_tail(organization_id: UUID, rows: Sequence[dict[str, Any]]) -> Tail:
    """`insert_numbered` as the end of a statement that writes the rows the events are about
    (rows.insert_together): a create that is one statement in autocommit. The counter row is
    bumped by an upsert, so the organization's first events create it in the same statement,
    after the rows are written; its lock lasts until that statement's commit, as
    `insert_numbered`'s until COMMIT.

    `rows` are events rows (every column, `data` as objects) in the order they are numbered.
    """
    return Tail(
        _NUMBERED_COUNTER,
        _NUMBERED_INSERT,
        {
            "events_organization": str(organization_id),
            "events_count": len(rows),
            "events": json_text(rows),
        },
    )


# After the rows (`written`): their unique-index entries come before the counter's lock, as in
# a transaction that inserts and takes the counter at COMMIT; two writers that took them in
# opposite orders could deadlock on a value both write (a client's email).
_NUMBERED_COUNTER = f"""
    events_counter AS (
        INSERT INTO counters (organization_id, kind, value)
        SELECT CAST(:events_organization AS uuid), '{COUNTER_KIND}', CAST(:events_count AS bigint)
        FROM written WHERE written.count >= 0  -- read: else the INSERTs run last
        ON CONFLICT (organization_id, kind) DO UPDATE SET value = counters.value + EXCLUDED.value
        RETURNING value
    )"""
_NUMBERED_INSERT = """
    INSERT INTO events (id, organization_id, sequence, type, occurred_at, actor_key_id,
                        subject_kind, subject_id, data)
    SELECT r.id, r.organization_id,
           events_counter.value - CAST(:events_count AS bigint) + r.ordinality,
           r.type, r.occurred_at, r.actor_key_id, r.subject_kind, r.subject_id, r.data
    FROM events_counter,
         json_populate_recordset(NULL::events, CAST(:events AS json)) WITH ORDINALITY AS r
    """


def insert_numbered(session: Session, organization_id: UUID, rows: Sequence[dict[str, Any]]) -> int:
    """PostgreSQL: `reserve_sequences` and the insert of the events, numbered, in one statement.

    `rows` are events rows (every column; `data` as JSON text) in the order they are numbered.
    Each row is written once, with its sequence: no UPDATE after the insert. The organization's
    first events create its counter first. Answers the last sequence.
    """
    columns = {
        name: [row[name] for row in rows]
        for name in ("id", "type", "occurred_at", "actor_key_id", "subject_kind", "subject_id")
    }
    stmt = _INSERT_NUMBERED.bindparams(
        organization_id=organization_id,
        kind=COUNTER_KIND,
        count=len(rows),
        data=[row["data"] for row in rows],
        **columns,
    )
    found = session.execute(stmt).scalars().all()
    if not found:
        _create_counter(session, organization_id)
        found = session.execute(stmt).scalars().all()
    return int(max(found))


# As _NUMBER_EVENTS, for events not inserted yet: the counter's UPDATE (which locks its row until
# the transaction ends) feeds the INSERT; with no counter row, nothing is inserted.
_INSERT_NUMBERED = text(
    """
    WITH bumped AS (
        UPDATE counters SET value = value + :count
        WHERE organization_id = :organization_id AND kind = :kind
        RETURNING value
    )
    INSERT INTO events (id, organization_id, sequence, type, occurred_at, actor_key_id,
                        subject_kind, subject_id, data)
    SELECT r.id, :organization_id, bumped.value - :count + r.position, r.type, r.occurred_at,
           r.actor_key_id, r.subject_kind, r.subject_id, r.data::jsonb
    FROM bumped,
         unnest(:id, :type, :occurred_at, :actor_key_id, :subject_kind, :subject_id, :data)
            WITH ORDINALITY
            AS r(id, type, occurred_at, actor_key_id, subject_kind, subject_id, data, position)
    RETURNING sequence
    """
).bindparams(
    bindparam("organization_id", type_=Uuid()),
    bindparam("kind", type_=String()),
    bindparam("count", type_=BigInteger()),
    bindparam("id", type_=ARRAY(Uuid())),
    bindparam("type", type_=ARRAY(String())),
    bindparam("occurred_at", type_=ARRAY(DateTime(timezone=True))),
    bindparam("actor_key_id", type_=ARRAY(Uuid())),
    bindparam("subject_kind", type_=ARRAY(String())),
    bindparam("subject_id", type_=ARRAY(Uuid())),
    bindparam("data", type_=ARRAY(Text())),
)


# ---------------------------------------------------------------- worker (no principal)


async def after_sequence(
    session: AsyncSession, organization_id: UUID, after: int, limit: int
) -> Sequence[Event]:
    """Committed events of one organization after `after`, in order (the webhook fan-out)."""
    stmt = (
        select(Event)
        .where(Event.organization_id == organization_id, Event.sequence > after)
        .order_by(Event.sequence)
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()


async def by_ids(session: AsyncSession, ids: Collection[UUID]) -> dict[UUID, Event]:
    if not ids:
        return {}
    found = await session.scalars(select(Event).where(Event.id.in_(list(ids))))
    return {event.id: event for event in found}


async def last_sequence(session: AsyncSession, organization_id: UUID) -> int:
    stmt = select(Counter.value).where(
        Counter.organization_id == organization_id, Counter.kind == COUNTER_KIND
    )
    return int(await session.scalar(stmt) or 0)


async def organization_ids(session: AsyncSession) -> Sequence[UUID]:
    return (await session.scalars(select(Organization.id))).all()


async def delete_before(
    session: AsyncSession, organization_id: UUID, cutoff: datetime, batch: int
) -> int:
    """Delete up to `batch` events of one organization that happened before `cutoff`."""
    doomed = (
        select(Event.id)
        .where(Event.organization_id == organization_id, Event.occurred_at < cutoff)
        .limit(batch)
        .scalar_subquery()
    )
    result = await session.execute(
        delete(Event).where(Event.organization_id == organization_id, Event.id.in_(doomed))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
