"""SQL over one key of a JSON object column, the same on SQLite and PostgreSQL.

Custom-field values live in `clients.custom_fields` (JSON on SQLite, JSONB on PostgreSQL). A cast
such as `CAST(custom_fields ->> 'size' AS FLOAT)` fails on PostgreSQL for a text value, and the
planner may evaluate it on rows of other organizations before the tenant filter drops them (where
the same key may hold anything), so every cast here is guarded by the value's JSON type.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Numeric,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

TEXT_MAX = 1000


class IsoDate(TypeDecorator[date]):
    """A `YYYY-MM-DD` string in SQL, a `date` in Python: ISO dates sort as text."""

    impl = String(10)
    cache_ok = True

    def process_bind_param(self, value: date | None, dialect: Dialect) -> str | None:
        return value.isoformat() if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if not isinstance(value, str):
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None


def _path(key: str) -> str:
    # Keys are `[A-Za-z][A-Za-z0-9_]*` (checked when defined); the path is still a bound value.
    return f'$."{key}"'


def kind(column: Any, key: str, dialect: str) -> ColumnElement[str]:
    """The JSON type of column[key] (string, number, boolean, array, object, null), or NULL."""
    if dialect == "postgresql":
        return func.jsonb_typeof(cast(column[key], JSONB))
    sqlite_type = func.json_type(column, _path(key))
    return case(
        (sqlite_type.in_(("integer", "real")), "number"),
        (sqlite_type == "text", "string"),
        (sqlite_type.in_(("true", "false")), "boolean"),
        else_=sqlite_type,
    )


def present(column: Any, key: str, dialect: str) -> ColumnElement[bool]:
    """column[key] holds a value (not absent, not JSON null)."""
    found = kind(column, key, dialect)
    return and_(found.is_not(None), found != "null")


def text(column: Any, key: str) -> ColumnElement[str]:
    """column[key] as text (a JSON string unquoted)."""
    value: ColumnElement[str] = column[key].as_string()
    return value


def number(column: Any, key: str, dialect: str) -> ColumnElement[float]:
    """column[key] as a float when it is a JSON number, else NULL."""
    return case((kind(column, key, dialect) == "number", column[key].as_float()), else_=None)


def day(column: Any, key: str) -> ColumnElement[date]:
    """column[key], a `YYYY-MM-DD` string, compared and sorted as text (which is chronological)."""
    return type_coerce(column[key].as_string(), IsoDate())


def _date_shaped(value: ColumnElement[str], dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return value.op("~")(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    return value.op("GLOB")("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")


def date_shaped(column: Any, key: str, dialect: str) -> ColumnElement[bool]:
    """column[key] is a string shaped like `YYYY-MM-DD` (not checked to be a real day)."""
    return and_(kind(column, key, dialect) == "string", _date_shaped(text(column, key), dialect))


def _array_has_other(
    column: Any, key: str, options: list[str], dialect: str
) -> ColumnElement[bool]:
    """column[key], an array, has an element that is not a string among `options`."""
    if dialect == "postgresql":
        value = cast(column[key], JSONB)
        array = case((func.jsonb_typeof(value) == "array", value), else_=cast("[]", JSONB))
        items = func.jsonb_array_elements(array).table_valued("value")
        as_text = items.c.value.op("#>>")(literal_column("'{}'"))
        bad = or_(func.jsonb_typeof(items.c.value) != "string", as_text.not_in(options))
    else:
        items = func.json_each(column, _path(key)).table_valued("type", "value")
        bad = or_(items.c.type != "text", items.c.value.not_in(options))
    return exists(select(1).select_from(items).where(bad))


def invalid(
    column: Any, key: str, field_type: str, options: list[str], dialect: str
) -> ColumnElement[bool]:
    """column[key] holds a value a definition of `field_type` with `options` would refuse.

    Dates are only checked for their shape here; the caller checks the shaped ones in Python.
    """
    found = kind(column, key, dialect)
    as_text = text(column, key)
    checks: dict[str, ColumnElement[bool]] = {
        "text": or_(found != "string", func.length(as_text) > TEXT_MAX),
        "number": found != "number",
        "date": not_(date_shaped(column, key, dialect)),
        "singlechoice": or_(found != "string", as_text.not_in(options)),
        "multiplechoice": or_(found != "array", _array_has_other(column, key, options, dialect)),
    }
    return and_(present(column, key, dialect), checks[field_type])


class _ForDialect(ColumnElement[Any]):
    """An expression built for the dialect that compiles it (for specs made at import time)."""

    inherit_cache = False  # the SQL depends on the dialect, so it is not cached

    def __init__(self, build: Callable[[str], ColumnElement[Any]], type_: Any) -> None:
        self.build = build
        self.type = type_


@compiles(_ForDialect)
def _compile_for_dialect(element: _ForDialect, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.build(compiler.dialect.name), **kw))


def _digits_only(value: ColumnElement[str], dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return value.op("~", return_type=Boolean)("^[0-9]+$")
    return and_(value != "", not_(value.op("GLOB", return_type=Boolean)("*[^0-9]*")))


def loose_number(column: Any, key: str) -> ColumnElement[Decimal]:
    """column[key] as a number when it is a JSON number or a string of digits only, else NULL.

    Built when compiled, so a list spec made at import time can use it on either database.
    """

    def build(dialect: str) -> ColumnElement[Any]:
        found, as_text = kind(column, key, dialect), text(column, key)
        digits = and_(found == "string", _digits_only(as_text, dialect))
        return case(
            (found == "number", cast(as_text, Numeric(asdecimal=True))),
            (digits, cast(as_text, Numeric(asdecimal=True))),
            else_=None,
        )

    return _ForDialect(build, Numeric(asdecimal=True))
