"""Many new rows of one table in one statement: COPY on PostgreSQL, a multi-row INSERT otherwise.

For bulk writes (batch creates, CSV import, their events) that bypass the ORM's unit of work:
rows are dicts by attribute name holding every column (None where the column gets NULL).
`insert_rows` runs in async code, `insert_rows_sync` in the synchronous code of a Session event
hook (the commit hook that numbers events).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import JSON, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

from rolodex.core.db import loads

COPY_FROM = 50  # rows from which COPY beats a multi-row INSERT on PostgreSQL


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
    except orjson.JSONEncodeError:  # integers beyond 64 bits, which JSONB keeps
        return json.dumps(plain(value))


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


def _embed(value: Any) -> Any:
    if isinstance(value, RawJSON):
        return orjson.Fragment(value.text)
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
