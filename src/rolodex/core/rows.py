"""Many new rows of one table in one statement: COPY on PostgreSQL, a multi-row INSERT otherwise.

For bulk writes (batch creates, CSV import, their events) that bypass the ORM's unit of work:
rows are dicts by attribute name holding every column (None where the column gets NULL).
`insert_rows` runs in async code, `insert_rows_sync` in the synchronous code of a Session event
hook (the commit hook that numbers events). `insert_objects` writes new ORM objects the same
way, then hands them to the session as if it had loaded them (a single create's rows).
`draft` makes a new row as a plain object that reads like a model's (for rows that never join
a session: bulk creates, a create that is one statement).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

import asyncpg
import orjson
from sqlalchemy import JSON, TextClause, insert, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.util import await_only

from rolodex.core.db import loads

COPY_FROM = 50  # rows from which COPY beats a multi-row INSERT on PostgreSQL

T = TypeVar("T")


class Draft:
    """A new row of `model` as plain attributes: a column not set reads None, as on a new ORM
    object. One with a default (Python-side or the server's) is absent from `__dict__` until
    set, so that `together` gives it its default; the others hold None from the start (read
    far more often than set: an unset attribute's lookup costs a failed lookup and a call).

    The model's own rules set and read it as they do the model's objects, without the ORM's
    per-attribute bookkeeping (instance state, history, events), which costs more than the
    rules themselves: about a fifth of a create's Python (issue #6, fourteenth pass). It never
    joins a session; only code that writes rows itself takes one (`together`, bulk inserts).
    """

    model: ClassVar[Any]
    columns: ClassVar[frozenset[str]]
    blank: ClassVar[dict[str, None]]

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(self.blank)
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only for attributes not set
        if name in self.columns:
            return None
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")


def draft(model: type[T], **values: Any) -> T:
    """A new `model` row as a Draft holding `values` (typed as the model: it reads as one)."""
    obj: Any = _draft_class(model)(values)
    return cast(T, obj)


def made(obj: T) -> T:
    """A Draft as a new object of its model holding the same values (a write that goes through
    the session after all); any other object as it is."""
    if not isinstance(obj, Draft):
        return obj
    result = obj.model()
    for key, value in obj.__dict__.items():
        setattr(result, key, value)
    return cast(T, result)


_DRAFTS: dict[Any, type[Draft]] = {}


def _draft_class(model: Any) -> type[Draft]:
    if model not in _DRAFTS:
        found = _object_columns(model)
        columns = frozenset(key for key, *_ in found)
        blank = {
            key: None for key, _, _, default, server in found if default is None and not server
        }
        attributes = {"model": model, "columns": columns, "blank": blank}
        _DRAFTS[model] = type(f"{model.__name__}Draft", (Draft,), attributes)
    return _DRAFTS[model]


def model_of(obj: Any) -> Any:
    """The ORM model of an object or Draft."""
    return obj.model if isinstance(obj, Draft) else type(obj)


class RawJSON:
    """A JSON text to embed as it is in a JSON column's value (serialized once, elsewhere)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def plain(value: Any) -> Any:
    """The value with any RawJSON in it (at any depth of dicts) parsed back into objects."""
    if isinstance(value, RawJSON):
        return loads(value.text)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def json_text(value: Any) -> str:
    """The value as JSON text, any RawJSON in it embedded as it is."""
    try:
        return orjson.dumps(value, default=_embed).decode()
    except orjson.JSONEncodeError:  # integers beyond 64 bits: the json module writes them
        return json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"), default=_scalar)


async def insert_rows(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rows in the session's transaction (IntegrityError on a unique index)."""
    if not rows:
        return
    if len(rows) >= COPY_FROM and session.get_bind().dialect.name == "postgresql":
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        await _copy(raw.driver_connection, model, rows)
    else:
        await session.execute(insert(model), _plain_rows(model, rows))


async def insert_objects(session: AsyncSession, objects: Sequence[Any]) -> None:
    """New ORM objects of one model, inserted with one Core statement instead of a flush.

    Columns the objects leave unset take their Python-side default, as a flush gives them (one
    with only a server default, or deferred, is left to the server). The objects then join the
    session as persistent and clean, as if read back: a later change to one is an UPDATE (with
    its version check), as after a flush. The unit of work, which a flush walks for every
    object (dependencies, history, events), costs more than the INSERT itself for one or two
    rows. IntegrityError on a unique index, as from a flush.
    """
    if not objects:
        return
    table = type(objects[0]).__table__
    values = [_object_row(obj) for obj in objects]
    await session.execute(insert(table), values if len(values) > 1 else values[0])
    _attach(session, objects)


@dataclass(frozen=True)
class Tail:
    """The last part of an `insert_together` statement, after the rows' INSERTs: `ctes`, WITH
    items of its own (or ""), then `final`, the statement itself; both constant SQL text (the
    statement is built once per shape), with named parameters in `params`.

    PostgreSQL runs a statement's WITH items in no set order. The tail may read `written`, one
    row whose `count` is how many rows the INSERTs wrote: that runs all of them first (a tail
    that takes a lock reads it, so that the rows' unique-index entries are taken before the
    lock, as in a transaction that inserts and then takes the lock)."""

    ctes: str
    final: str
    params: dict[str, Any]


async def insert_together(
    session: AsyncSession,
    groups: Sequence[Sequence[Any]],
    *,
    tail: Tail | None = None,
    attach: bool = True,
) -> None:
    """PostgreSQL: new ORM objects of several tables in one statement, as `insert_objects`
    writes each group (parents before their children: a client, its new contact persons and
    their links), and then `tail` if given (the events of a create that is one statement).

    One round trip instead of one per table. Each table's rows travel as one JSON parameter
    that `json_populate_recordset` turns into rows of the table's own type, so every value is
    read by its column's input function, as a bound parameter is. The tables' foreign keys are
    checked at the end of the statement, when all of its rows are there. IntegrityError on a
    unique index, as from `insert_objects`. Without `attach` the objects stay out of the
    session (a statement that is the whole transaction: nothing will change them).
    """
    groups = [group for group in groups if group]
    await session.execute(*together(groups, tail))
    if attach:
        for group in groups:
            _attach(session, group)


def together(
    groups: Sequence[Sequence[Any]], tail: Tail | None
) -> tuple[TextClause, dict[str, Any]]:
    """`insert_together`'s statement and parameters, for non-empty `groups` (of objects of one
    table each, with the same columns set: objects made the same way)."""
    params: dict[str, Any] = {}
    shapes = []
    for index, group in enumerate(groups):
        rows = [_object_row(obj, by_name=True) for obj in group]
        params[f"rows_{index}"] = json_text(rows)
        shapes.append((model_of(group[0]).__table__.name, tuple(rows[0])))
    if tail is not None:
        params.update(tail.params)
    ends = ("", "") if tail is None else (tail.ctes, tail.final)
    return _together(tuple(shapes), ends), params


def fill_defaults(objects: Sequence[Any]) -> None:
    """Set the Python-side default of every column the new objects leave unset, as the INSERT
    will (what they show before it is written: an event's snapshot)."""
    for obj in objects:
        state = obj.__dict__
        for key, _, _, default, server_side in _object_columns(model_of(obj)):
            if key not in state and not server_side:
                _set(obj, key, default() if default is not None else None)


@lru_cache(maxsize=64)
def _together(shapes: tuple[tuple[str, tuple[str, ...]], ...], ends: tuple[str, str]) -> TextClause:
    """The statement of `insert_together` for these (table, columns) in order and this tail
    (WITH items, final statement; or two empty strings): each INSERT but the last in a WITH
    clause (PostgreSQL runs every one of them, read or not)."""
    quote = postgresql.dialect().identifier_preparer.quote  # type: ignore[no-untyped-call]
    inserts = []
    for index, (table, columns) in enumerate(shapes):
        names = ", ".join(quote(column) for column in columns)
        inserts.append(
            f"INSERT INTO {quote(table)} ({names}) SELECT {names} "
            f"FROM json_populate_recordset(NULL::{quote(table)}, CAST(:rows_{index} AS json))"
        )
    ctes, final = ends
    if not final:
        *inserts, final = inserts
        items = [f"step_{index} AS ({sql})" for index, sql in enumerate(inserts)]
        return text(f"WITH {', '.join(items)} {final}" if items else final)
    items = [f"step_{index} AS ({sql} RETURNING 1)" for index, sql in enumerate(inserts)]
    counts = " + ".join(f"(SELECT count(*) FROM step_{index})" for index in range(len(inserts)))
    items.append(f"written AS (SELECT {counts} AS count)")
    if ctes:
        items.append(ctes)
    return text(f"WITH {', '.join(items)} {final}")


def _object_row(obj: Any, *, by_name: bool = False) -> dict[str, Any]:
    """The new object's row by column key (or name): every value it holds, and the Python-side
    default of each column it leaves unset (set on the object too, as a flush does); a column
    with only a server default, or deferred, is left out, for the server to fill in."""
    state = obj.__dict__
    row = {}
    for key, column_key, name, default, server_side in _object_columns(model_of(obj)):
        if key in state:
            row[name if by_name else column_key] = state[key]
        elif not server_side:
            value = default() if default is not None else None
            _set(obj, key, value)
            row[name if by_name else column_key] = value
    return row


def _set(obj: Any, key: str, value: Any) -> None:
    """A value the object holds as loaded, not as a change (a Draft simply holds it)."""
    if isinstance(obj, Draft):
        obj.__dict__[key] = value
    else:
        set_committed_value(obj, key, value)


def _attach(session: AsyncSession, objects: Sequence[Any]) -> None:
    """Written objects join the session as persistent and clean, as if read back (a Draft
    never joins one)."""
    for obj in objects:
        if isinstance(obj, Draft):
            continue
        make_transient_to_detached(obj)
        session.add(obj)


_OBJECT_COLUMNS: dict[Any, list[tuple[str, str, str, Any, bool]]] = {}


def _object_columns(model: Any) -> list[tuple[str, str, str, Any, bool]]:
    """(attribute, column key, column name, its default as a function or None, whether the
    server fills it in when unset) per column."""
    if model not in _OBJECT_COLUMNS:
        found = []
        for prop in sa_inspect(model).column_attrs:
            column = prop.columns[0]
            default = column.default
            make = None
            if default is not None and default.is_callable:
                make = _call(default.arg)
            elif default is not None and default.is_scalar:
                make = _constant(default.arg)
            server_side = bool(prop.deferred) or (
                make is None and column.server_default is not None
            )
            found.append((prop.key, column.key, str(column.name), make, server_side))
        _OBJECT_COLUMNS[model] = found
    return _OBJECT_COLUMNS[model]


def _call(function: Any) -> Any:
    return lambda: function(None)  # SQLAlchemy wraps a default callable to take a context


def _constant(value: Any) -> Any:
    return lambda: value


def insert_rows_sync(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """`insert_rows` from synchronous code running under an AsyncSession (a Session hook)."""
    if not rows:
        return
    if len(rows) >= COPY_FROM and session.get_bind().dialect.name == "postgresql":
        raw = session.connection().connection
        await_only(_copy(raw.driver_connection, model, rows))
    else:
        session.execute(insert(model), _plain_rows(model, rows))


def _plain_rows(model: Any, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as SQLAlchemy's JSON type takes them (no RawJSON)."""
    json_keys = [key for _, key, is_json in _columns(model) if is_json]
    return [row | {key: plain(row[key]) for key in json_keys if key in row} for row in rows]


async def _copy(driver: Any, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL's COPY into the model's table (asyncpg), JSON columns as text."""
    columns = _columns(model)
    json_keys = {key for _, key, is_json in columns if is_json}
    records = [
        tuple(json_text(row[key]) if key in json_keys else row[key] for _, key, _ in columns)
        for row in rows
    ]
    try:
        await driver.copy_records_to_table(
            model.__table__.name, records=records, columns=[name for name, _, _ in columns]
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError("COPY", None, exc) from exc


def _scalar(value: Any) -> Any:
    """The json module's text of a column value it does not know, as orjson writes it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _embed(value: Any) -> Any:
    if isinstance(value, RawJSON):
        return orjson.Fragment(value.text)
    if isinstance(value, (Decimal, UUID)):  # a NUMERIC's value, exact; asyncpg's own UUID
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_COLUMNS: dict[Any, list[tuple[str, str, bool]]] = {}


def _columns(model: Any) -> list[tuple[str, str, bool]]:
    """(column name, attribute name, is JSON) of every column of the model, cached; deferred
    columns (kept by the database itself) are left to their server default."""
    if model not in _COLUMNS:
        _COLUMNS[model] = [
            (prop.columns[0].name, prop.key, isinstance(prop.columns[0].type, JSON))
            for prop in sa_inspect(model).column_attrs
            if not prop.deferred
        ]
    return _COLUMNS[model]
