"""One list mechanism for every resource: filters, search, sort, page and keyset cursor.

A resource declares a `ListSpec` (its allowed fields and their kinds); a route passes the raw
query pairs to `parse_list_query` and its tenant-scoped select to `fetch_page`. Values from the
query string reach SQL only as bound parameters, never as text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import operator
import re
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Any, Generic, TypeAlias, TypeVar
from uuid import UUID

import orjson
from sqlalchemy import (
    Boolean,
    Numeric,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    event,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from rolodex.core import counts
from rolodex.core.db import ReadPool, custom_plans
from rolodex.core.errors import Invalid

T = TypeVar("T")

# A model attribute (`Client.name`) or any SQL expression (`Client.metadata_["erp"].as_string()`).
ColumnLike: TypeAlias = ColumnElement[Any] | QueryableAttribute[Any]

DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_OFFSET = 10_000_000
MAX_FILTERS = 30
MAX_VALUE_LENGTH = 1000
MAX_CURSOR_LENGTH = 4096  # a cursor carries a row's sort values, which may be long texts
MAX_Q_LENGTH = 200
RANGE_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "between", "in")

_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_.\-]{1,64})?")
_RANGE_PARAM = re.compile(r"(?P<name>[^\[\]]+)\[(?P<op>[A-Za-z]+)\]")
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,12})?")
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# An unencoded `+` in a query string arrives as a space: `...T10:00:00 02:00`.
_SPACED_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})")
_BOOLEANS = {"true": True, "false": False}


class FieldKind(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    ENUM = "enum"
    UUID = "uuid"
    TAGS = "tags"


@dataclass(frozen=True, slots=True)
class ListField:
    """One field a list can be filtered or sorted on, by its API name."""

    name: str
    column: ColumnLike
    kind: FieldKind
    enum_values: tuple[str, ...] = ()
    filter: bool = True
    range: bool = False
    sort: bool = False
    nullable: bool = True
    case_insensitive: bool = False
    # Builds the SQL condition itself (a subquery on another table, say) instead of `column`.
    predicate: Callable[[Filter], ColumnElement[bool]] | None = None


@dataclass(frozen=True)
class ListSpec:
    """What one resource's lists allow: its fields, default order, search and soft delete."""

    fields: Mapping[str, ListField]
    id_column: ColumnLike
    default_sort: tuple[str, ...]
    search: Callable[[str], ColumnElement[bool]] | None = None
    dynamic: Callable[[str], ListField | None] | None = None
    deleted_column: ColumnLike | None = None
    updated_column_name: str | None = "updatedAt"

    def __post_init__(self) -> None:
        # A broken spec is a programming error: fail at import, not on the first request.
        for name in self.default_sort:
            found = self.fields.get(name.removeprefix("-"))
            if found is None or not found.sort:
                raise ValueError(f"default sort {name!r} is not a sortable field")

    def resolve(self, name: str) -> ListField | None:
        """The field a parameter names: a declared one, else a dynamic one (`metadata.erp`)."""
        if not _FIELD_NAME.fullmatch(name):
            return None
        found = self.fields.get(name)
        if found is None and self.dynamic is not None and "." in name:
            found = self.dynamic(name)
        return found


@dataclass(frozen=True, slots=True)
class Filter:
    """One parsed filter: `op` is one of RANGE_OPS (an equality filter is `in`)."""

    param: str
    field: ListField
    op: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SortKey:
    field: ListField
    descending: bool


@dataclass(frozen=True)
class ListQuery:
    """A parsed, validated list request."""

    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    page: int | None = 1
    limit: int = DEFAULT_LIMIT
    after: tuple[Any, ...] | None = None  # from the cursor: the last row's sort values, id last
    q: str | None = None
    include_deleted: bool = False
    fingerprint: str = ""  # hash of filters, q and includeDeleted, carried by cursors
    offset: int | None = None  # rows to skip, in offset mode (then `page` is None)

    @property
    def signature(self) -> str:
        """The sort as text (`-createdAt,name`), carried by cursors."""
        return ",".join(("-" if key.descending else "") + key.field.name for key in self.sort)


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int | None
    page: int | None
    limit: int
    page_count: int | None
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class _Key:
    """One ORDER BY term, the id tie-breaker included."""

    expr: ColumnElement[Any]
    kind: FieldKind
    descending: bool
    nullable: bool


def _expr(column: ColumnLike) -> ColumnElement[Any]:
    return column.expression if isinstance(column, QueryableAttribute) else column


def _short(text: str) -> str:
    return text if len(text) <= 100 else text[:100] + "..."


# ---------------------------------------------------------------- parsing


def parse_list_query(
    spec: ListSpec,
    params: Sequence[tuple[str, str]],
    *,
    extra: Collection[str] = (),
    offset: bool = False,
) -> ListQuery:
    """Validate the query pairs of a list request; any problem is `Invalid` naming the parameter.

    With `offset`, an `offset` parameter (rows to skip, from 0) is accepted instead of `page`.
    """
    control, raw_filters = _split_params(spec, params, extra, offset)
    filters = [_parse_filter(spec, name, values) for name, values in raw_filters.items()]
    if "updatedSince" in control and spec.updated_column_name is not None:
        updated = spec.fields[spec.updated_column_name]
        moment = _parse_value(updated, "updatedSince", control["updatedSince"])
        filters.append(Filter("updatedSince", updated, "gte", (moment,)))
    sort = _parse_sort(spec, control.get("sort"), control.get("order"))
    q = _parse_q(control.get("q"))
    include_deleted = _parse_bool("includeDeleted", control.get("includeDeleted", "false"))
    limit = _parse_int("limit", control.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    fingerprint = _fingerprint(raw_filters, control, q, include_deleted)
    query = ListQuery(tuple(filters), sort, None, limit, None, q, include_deleted, fingerprint)
    if "offset" in control:
        if "page" in control or "cursor" in control:
            raise Invalid.field("offset", "use either offset, page or cursor")
        return replace(query, offset=_parse_offset(control["offset"]))
    if "cursor" in control:
        if "page" in control:
            raise Invalid.field("cursor", "use either page or cursor, not both")
        return replace(query, after=_decode_cursor(spec, query, control["cursor"]))
    page = _parse_int("page", control.get("page"), 1, None)
    if (page - 1) * limit > MAX_OFFSET:
        raise Invalid.field("page", f"too deep (offset above {MAX_OFFSET}); use cursor instead")
    return replace(query, page=page)


def _control_names(spec: ListSpec, offset: bool) -> set[str]:
    names = {"page", "limit", "cursor", "sort", "order"}
    if offset:
        names.add("offset")
    if spec.search is not None:
        names.add("q")
    if spec.deleted_column is not None:
        names.add("includeDeleted")
    if spec.updated_column_name is not None and spec.updated_column_name in spec.fields:
        names.add("updatedSince")
    return names


def _split_params(
    spec: ListSpec, params: Sequence[tuple[str, str]], extra: Collection[str], offset: bool
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Control parameters (each at most once) apart from filters (grouped by name)."""
    control_names = _control_names(spec, offset)
    control: dict[str, str] = {}
    filters: dict[str, list[str]] = {}
    count = 0
    for name, value in params:
        if name in extra:
            continue
        longest = MAX_CURSOR_LENGTH if name == "cursor" else MAX_VALUE_LENGTH
        if len(value) > longest:
            raise Invalid.field(_short(name), f"longer than {longest} characters")
        if name in control_names:
            if name in control:
                raise Invalid.field(name, "given more than once")
            control[name] = value
            continue
        count += 1
        if count > MAX_FILTERS:
            raise Invalid.field(_short(name), f"more than {MAX_FILTERS} filter parameters")
        filters.setdefault(name, []).append(value)
    return control, filters


def _parse_filter(spec: ListSpec, param: str, raws: list[str]) -> Filter:
    """One filter parameter: `name=a,b` (any of) or `name[op]=value`."""
    match = _RANGE_PARAM.fullmatch(param)
    field = spec.resolve(match["name"] if match else param)
    if field is None:
        raise Invalid.field(_short(param), "unknown parameter")
    if match is None:
        if not field.filter:
            raise Invalid.field(param, "this field cannot be filtered on")
        # A repeated equality filter means the same as one with comma-separated values.
        values = [value for raw in raws for value in _split_values(param, raw)]
        return Filter(param, field, "in", tuple(_parse_value(field, param, v) for v in values))
    op = match["op"]
    if not field.range or field.kind in (FieldKind.TAGS, FieldKind.BOOLEAN):
        raise Invalid.field(_short(param), "range filters are not supported on this field")
    if op not in RANGE_OPS:
        raise Invalid.field(_short(param), f"unknown operator; use one of {', '.join(RANGE_OPS)}")
    if len(raws) > 1:
        raise Invalid.field(param, "given more than once")
    values = _split_values(param, raws[0])
    _check_arity(param, op, len(values))
    parsed = tuple(_parse_value(field, param, value) for value in values)
    if op == "between":
        _check_bounds(param, field, parsed)
    return Filter(param, field, op, parsed)


def _split_values(param: str, raw: str) -> list[str]:
    values = [value.strip() for value in raw.split(",")]
    if not all(values):
        raise Invalid.field(param, "empty value")
    return values


def _check_arity(param: str, op: str, count: int) -> None:
    if op == "between" and count != 2:
        raise Invalid.field(param, "between takes two comma-separated values")
    if op not in ("between", "in") and count != 1:
        raise Invalid.field(param, f"{op} takes one value")


def _check_bounds(param: str, field: ListField, bounds: tuple[Any, ...]) -> None:
    """Reject `between` bounds given the wrong way round, where their order is Python's."""
    if field.kind not in (FieldKind.INTEGER, FieldKind.DECIMAL, FieldKind.DATE, FieldKind.DATETIME):
        return
    low, high = bounds
    if field.kind is FieldKind.DATETIME:
        low = _day_start(low) if _is_day(low) else low
        # A bare upper date covers its whole day: its last microsecond.
        high = _day_start(high) + timedelta(days=1, microseconds=-1) if _is_day(high) else high
    if low > high:
        raise Invalid.field(param, "the lower bound is after the upper bound")


def _parse_value(field: ListField, param: str, raw: str) -> Any:
    """One filter value converted to the field's Python type."""
    try:
        return _PARSERS[field.kind](field, raw)
    except (ValueError, OverflowError) as exc:
        message = str(exc) if isinstance(exc, ValueError) else "out of range"
        raise Invalid.field(param, message) from None


def _parse_string(field: ListField, raw: str) -> str:
    return raw


def _parse_enum(field: ListField, raw: str) -> str:
    if raw not in field.enum_values:
        raise ValueError(f"must be one of {', '.join(field.enum_values)}")
    return raw


def _parse_integer(field: ListField, raw: str) -> int:
    if not _INTEGER.fullmatch(raw):
        raise ValueError("not an integer")
    return int(raw)


def _parse_decimal(field: ListField, raw: str) -> Decimal | float:
    if not _DECIMAL.fullmatch(raw):
        raise ValueError("not a number")
    return _numeric_for(field.column, Decimal(raw))


def _numeric_for(column: ColumnLike, value: Decimal) -> Decimal | float:
    """Floats for float expressions (JSON paths), which SQLite cannot bind a Decimal to."""
    type_ = _expr(column).type
    return value if isinstance(type_, Numeric) and type_.asdecimal else float(value)


def _parse_boolean(field: ListField, raw: str) -> bool:
    if raw not in _BOOLEANS:
        raise ValueError("must be true or false")
    return _BOOLEANS[raw]


def _parse_uuid(field: ListField, raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise ValueError("not a UUID") from None


def _parse_date(field: ListField, raw: str) -> date:
    if not _DATE_ONLY.fullmatch(raw):
        raise ValueError("not a date (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValueError("not a date (YYYY-MM-DD)") from None
    if day.year >= 9999:  # so that the next day's start still exists
        raise ValueError("out of range")
    return day


def _parse_datetime(field: ListField, raw: str) -> datetime | date:
    """A timestamp (UTC when it has no zone), or a bare date meaning that whole day."""
    if _DATE_ONLY.fullmatch(raw):
        return _parse_date(field, raw)
    try:
        moment = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", raw))
    except ValueError:
        raise ValueError("not an ISO 8601 timestamp or date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


_PARSERS: dict[FieldKind, Callable[[ListField, str], Any]] = {
    FieldKind.STRING: _parse_string,
    FieldKind.TAGS: _parse_string,
    FieldKind.ENUM: _parse_enum,
    FieldKind.INTEGER: _parse_integer,
    FieldKind.DECIMAL: _parse_decimal,
    FieldKind.BOOLEAN: _parse_boolean,
    FieldKind.UUID: _parse_uuid,
    FieldKind.DATE: _parse_date,
    FieldKind.DATETIME: _parse_datetime,
}


def _parse_int(param: str, raw: str | None, default: int, highest: int | None) -> int:
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:
        raise Invalid.field(param, "must be a positive integer")
    if highest is not None and int(raw) > highest:
        raise Invalid.field(param, f"must be at most {highest}")
    return int(raw)


def _parse_offset(raw: str) -> int:
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        raise Invalid.field("offset", "must be a non-negative integer")
    if int(raw) > MAX_OFFSET:
        raise Invalid.field("offset", f"must be at most {MAX_OFFSET}")
    return int(raw)


def _parse_bool(param: str, raw: str) -> bool:
    if raw not in _BOOLEANS:
        raise Invalid.field(param, "must be true or false")
    return _BOOLEANS[raw]


def _parse_q(raw: str | None) -> str | None:
    q = (raw or "").strip()
    if len(q) > MAX_Q_LENGTH:
        raise Invalid.field("q", f"longer than {MAX_Q_LENGTH} characters")
    return q or None


def _parse_sort(spec: ListSpec, raw: str | None, order: str | None) -> tuple[SortKey, ...]:
    """`sort=-createdAt,name` (or the default), with Summit's `order=asc|desc`."""
    terms = [term.strip() for term in raw.split(",")] if raw is not None else spec.default_sort
    keys: list[SortKey] = []
    for term in terms:
        name = term.removeprefix("-").removeprefix("+")
        field = spec.resolve(name)
        if field is None or not field.sort:
            raise Invalid.field("sort", f"cannot sort on {_short(name)!r}")
        if any(key.field.name == field.name for key in keys):
            raise Invalid.field("sort", f"{name!r} is given twice")
        keys.append(SortKey(field, term.startswith("-")))
    if order is None:
        return tuple(keys)
    if order not in ("asc", "desc"):
        raise Invalid.field("order", "must be asc or desc")
    if len(keys) != 1:
        raise Invalid.field("order", "only with a single sort field; use '-' in sort instead")
    if raw is not None and raw.strip().startswith("-"):
        raise Invalid.field("order", "conflicts with the '-' in sort")
    return (SortKey(keys[0].field, order == "desc"),)


def _fingerprint(
    filters: Mapping[str, list[str]], control: Mapping[str, str], q: str | None, deleted: bool
) -> str:
    """A short hash of what selects the rows, so a cursor cannot be reused with other filters."""
    selection = sorted((name, value) for name, values in filters.items() for value in values)
    shape = [selection, control.get("updatedSince"), q, deleted]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- cursor


def _keys(spec: ListSpec, sort: Sequence[SortKey]) -> tuple[_Key, ...]:
    """The ORDER BY terms: the sort, then the id in the last term's direction (a total order)."""
    terms = tuple(
        (key.field.column, key.field.kind, key.descending, key.field.nullable, key.field.name)
        for key in sort
    )
    return _keys_of(spec.id_column, terms)


# A sort term as `_keys_of` takes it: what its _Key is made of, and the field's name.
_Term: TypeAlias = tuple[ColumnLike, FieldKind, bool, bool, str]


@lru_cache(maxsize=256)
def _keys_of(id_column: ColumnLike, terms: tuple[_Term, ...]) -> tuple[_Key, ...]:
    """`_keys`, made once per sort, not once per cursor page (every cursor is decoded against
    them). Keyed by the columns themselves, not the fields: comparing two fields compares their
    columns with `==`, which makes SQL expressions; a tuple compares the same object by
    identity first. A field made for one request (a custom field's) misses, and makes its own."""
    keys = [
        _Key(_expr(column), kind, descending, nullable)
        for column, kind, descending, nullable, _ in terms
    ]
    if not any(name == "id" for *_, name in terms):
        descending = bool(terms) and terms[-1][2]
        keys.append(_Key(_expr(id_column), FieldKind.UUID, descending, False))
    return tuple(keys)


def encode_cursor(query: ListQuery, values: Sequence[Any]) -> str:
    """The cursor for the row after the one whose sort values (id last) are `values`."""
    payload = {"s": query.signature, "f": query.fingerprint, "k": [_jsonable(v) for v in values]}
    encoded = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(encoded).decode().rstrip("=")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return str(value)  # Decimal, float (repr round-trips), UUID


def _decode_cursor(spec: ListSpec, query: ListQuery, raw: str) -> tuple[Any, ...]:
    """The last row's sort values from a cursor made for this very query."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        signature, fingerprint, values = payload["s"], payload["f"], payload["k"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise Invalid.field("cursor", "malformed cursor") from None
    if signature != query.signature or fingerprint != query.fingerprint:
        raise Invalid.field("cursor", "cursor does not match the query (filters, q or sort)")
    keys = _keys(spec, query.sort)
    if not isinstance(values, list) or len(values) != len(keys):
        raise Invalid.field("cursor", "malformed cursor")
    try:
        return tuple(_from_json(key, value) for key, value in zip(keys, values, strict=True))
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        raise Invalid.field("cursor", "malformed cursor") from None


def _from_json(key: _Key, value: Any) -> Any:
    if value is None:
        if not key.nullable:
            raise ValueError("null for a non-nullable key")
        return None
    if key.kind is FieldKind.BOOLEAN or key.kind is FieldKind.INTEGER:
        wanted: type = bool if key.kind is FieldKind.BOOLEAN else int
        if type(value) is not wanted:
            raise TypeError("wrong type")
        return value
    if not isinstance(value, str):
        raise TypeError("wrong type")
    decode = _CURSOR_DECODERS.get(key.kind)
    return value if decode is None else decode(key, value)


def _decimal_from_json(key: _Key, value: str) -> Decimal | float:
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError("not finite")
    return _numeric_for(key.expr, number)


def _datetime_from_json(key: _Key, value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_CURSOR_DECODERS: dict[FieldKind, Callable[[_Key, str], Any]] = {
    FieldKind.DECIMAL: _decimal_from_json,
    FieldKind.DATETIME: _datetime_from_json,
    FieldKind.DATE: lambda _key, value: date.fromisoformat(value),
    FieldKind.UUID: lambda _key, value: UUID(value),
}


# ---------------------------------------------------------------- SQL


def filter_statement(
    stmt: Select[Any], spec: ListSpec, query: ListQuery, dialect: Dialect
) -> Select[Any]:
    """`stmt` narrowed by the query's filters, search and soft-delete hiding (no order, no page)."""
    conditions = [_condition(flt, dialect) for flt in query.filters]
    if query.q is not None and spec.search is not None:
        conditions.append(spec.search(query.q))
    if spec.deleted_column is not None and not query.include_deleted:
        conditions.append(_expr(spec.deleted_column).is_(None))
    return stmt.where(*conditions)


def ilike_any(columns: Iterable[ColumnLike], q: str) -> ColumnElement[bool]:
    """`q` as a case-insensitive substring of any of the columns; `%` and `_` in it are literal."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(_expr(column).ilike(f"%{escaped}%", escape="\\") for column in columns))


def _condition(flt: Filter, dialect: Dialect) -> ColumnElement[bool]:
    field, values = flt.field, flt.values
    if field.predicate is not None:
        return field.predicate(flt)
    if field.kind is FieldKind.TAGS:
        return _tags_any(_expr(field.column), values, dialect)
    if flt.op == "between":
        return and_(_compare(field, "gte", values[0]), _compare(field, "lte", values[1]))
    if flt.op == "in":
        return _any_of(field, values)
    if flt.op == "ne":
        # A row without a value is not equal to the value either.
        different = not_(_compare(field, "eq", values[0]))
        return or_(different, _expr(field.column).is_(None)) if field.nullable else different
    return _compare(field, flt.op, values[0])


def _any_of(field: ListField, values: tuple[Any, ...]) -> ColumnElement[bool]:
    column = _expr(field.column)
    if any(_is_day(value) for value in values) and field.kind is FieldKind.DATETIME:
        return or_(*(_compare(field, "eq", value) for value in values))
    if field.case_insensitive:
        return func.lower(column).in_([func.lower(bindparam(None, v)) for v in values])
    return column.in_(values)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _compare(field: ListField, op: str, value: Any) -> ColumnElement[bool]:
    """`column op value`; a bare date on a timestamp field stands for the whole day."""
    column = _expr(field.column)
    if field.kind is FieldKind.DATETIME and _is_day(value):
        start = _day_start(value)
        end = start + timedelta(days=1)
        days: dict[str, ColumnElement[bool]] = {
            "eq": and_(column >= start, column < end),
            "gt": column >= end,
            "gte": column >= start,
            "lt": column < start,
            "lte": column < end,
        }
        return days[op]
    if field.case_insensitive and op == "eq":
        return func.lower(column) == func.lower(bindparam(None, value))
    result: ColumnElement[bool] = _OPERATORS[op](column, value)
    return result


def _is_day(value: Any) -> bool:
    return type(value) is date


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _tags_any(
    column: ColumnElement[Any], tags: tuple[Any, ...], dialect: Dialect
) -> ColumnElement[bool]:
    """The JSON array in `column` holds at least one of `tags`."""
    if dialect.name == "postgresql":
        # `?|` is the operator a GIN index on the jsonb column serves.
        jsonb = (
            column if isinstance(column.type.dialect_impl(dialect), JSONB) else cast(column, JSONB)
        )
        wanted = bindparam(None, list(tags), type_=ARRAY(Text))
        return jsonb.op("?|", return_type=Boolean)(wanted)
    items = func.json_each(column).table_valued("value")
    return exists(select(1).select_from(items).where(items.c.value.in_(tags)))


def _order_by(keys: Sequence[_Key], *, indexed: bool = True) -> list[ColumnElement[Any]]:
    """ORDER BY terms. NULLs sort as the largest value, PostgreSQL's default, said out loud so
    SQLite agrees. `indexed=False` sorts by `coalesce(x, x)`, the same order, which no index
    provides: the planner then finds the rows by the filters' indexes and sorts them."""
    terms: list[ColumnElement[Any]] = []
    for key in keys:
        expr = key.expr if indexed else func.coalesce(key.expr, key.expr)
        terms.append(expr.desc().nulls_first() if key.descending else expr.asc().nulls_last())
    return terms


def _after(keys: Sequence[_Key], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after the row whose sort values are `values`, in the keys' order."""
    bound = [
        bindparam(None, value, type_=key.expr.type) for key, value in zip(keys, values, strict=True)
    ]
    if not any(key.nullable for key in keys) and len({key.descending for key in keys}) == 1:
        # A row-value comparison lets PostgreSQL walk a (col, id) index straight to the spot.
        left, right = tuple_(*(key.expr for key in keys)), tuple_(*bound)
        return left < right if keys[0].descending else left > right
    branches: list[ColumnElement[bool]] = []
    for index, (key, value) in enumerate(zip(keys, values, strict=True)):
        beyond = _beyond(key, value, bound[index])
        if beyond is not None:
            same = [_same(k, v, b) for k, v, b in zip(keys[:index], values, bound, strict=False)]
            branches.append(and_(*same, beyond))
    return or_(*branches) if branches else false()


def _beyond(key: _Key, value: Any, bound: ColumnElement[Any]) -> ColumnElement[bool] | None:
    """Values after `value` in this key's order (NULL is the largest); None if there are none."""
    if key.descending:
        if value is None:
            return key.expr.is_not(None)
        return key.expr < bound
    if value is None:
        return None
    return or_(key.expr > bound, key.expr.is_(None)) if key.nullable else key.expr > bound


def _same(key: _Key, value: Any, bound: ColumnElement[Any]) -> ColumnElement[bool]:
    return key.expr.is_(None) if value is None else key.expr == bound


@dataclass(slots=True)
class _Plan:
    """The statements of a list request that is not a search: its page and its count; and
    once the page has run, its SQL and parameters as SQLAlchemy handed them to the driver."""

    page: Select[Any]
    counted: Select[Any]
    count_key: Hashable | None
    sent: tuple[str, tuple[Any, ...]] | None = None


# Plans of recent requests, by the key their caller gives (see `fetch_page`'s `reuse`).
_PLANS: OrderedDict[Hashable, _Plan] = OrderedDict()
_PLANS_KEPT = 256


def _page_statement(
    filtered: Select[Any],
    keys: Sequence[_Key],
    labels: Sequence[Any],
    query: ListQuery,
    *,
    indexed: bool = True,
) -> Select[Any]:
    """`filtered`'s page: sorted, after the cursor or the offset, one row more than the limit
    (which tells whether there is a next page)."""
    ordered = filtered.order_by(None).order_by(*_order_by(keys, indexed=indexed))
    ordered = ordered.add_columns(*labels)
    if query.after is not None:
        ordered = ordered.where(_after(keys, query.after))
    else:
        ordered = ordered.offset(_offset(query))
    return ordered.limit(query.limit + 1)


def _plan(
    filtered: Select[Any],
    keys: Sequence[_Key],
    labels: list[Any],
    query: ListQuery,
    dialect: Dialect,
) -> _Plan:
    counted = _counted(filtered, dialect)
    return _Plan(_page_statement(filtered, keys, labels, query), counted, _count_key(counted))


def _reused_plan(
    reuse: Hashable, stmt: Select[Any], spec: ListSpec, query: ListQuery, dialect: Dialect
) -> _Plan:
    plan = _PLANS.get(reuse)
    if plan is None:
        keys = _keys(spec, query.sort)
        labels = [key.expr.label(f"_sort_{index}") for index, key in enumerate(keys)]
        plan = _plan(filter_statement(stmt, spec, query, dialect), keys, labels, query, dialect)
        _PLANS[reuse] = plan
        if len(_PLANS) > _PLANS_KEPT:
            _PLANS.popitem(last=False)
    else:
        _PLANS.move_to_end(reuse)
    return plan


async def _run_kept(session: AsyncSession, plan: _Plan, *, keep_sent: bool) -> list[Any]:
    """Run a kept plan's page through SQLAlchemy; with `keep_sent`, keep what it sent."""
    conn = await session.connection()
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    if keep_sent:
        event.listen(conn.sync_connection, "before_cursor_execute", record)
    try:
        rows = list((await conn.execute(plan.page)).all())
    finally:
        if keep_sent:
            event.remove(conn.sync_connection, "before_cursor_execute", record)
    if len(sent) == 1 and _plain_parameters(sent[0][1]):
        plan.sent = (sent[0][0], tuple(sent[0][1]))
    return rows


# What the read pool's plain connections take as they are (SQLAlchemy's own connections also
# know its JSON codecs): a page sent with anything else keeps running through SQLAlchemy.
_PLAIN_VALUES = (str, int, float, Decimal, datetime, date, UUID, type(None))


def _plain_parameters(parameters: Any) -> bool:
    if not isinstance(parameters, tuple | list):
        return False
    return all(
        isinstance(value, _PLAIN_VALUES)
        or (isinstance(value, list) and all(isinstance(item, str) for item in value))
        for value in parameters
    )


async def fetch_page(
    session: AsyncSession,
    stmt: Select[Any],
    spec: ListSpec,
    query: ListQuery,
    *,
    plain: bool = False,
    reuse: Hashable | None = None,
    pool: ReadPool | None = None,
) -> Page[Any]:
    """One page of `stmt`'s entities, filtered, searched, sorted and paged as `query` says.
    `plain`: `stmt` selects columns, and the items are its rows (cheaper than ORM instances).

    `reuse`: a key that stands for `stmt`, `spec` and `query` together (the same key, the same
    three), for plain lists that are not searches: their statements are then built once and
    kept (the last few hundred), and SQLAlchemy keys a kept statement without walking it again.
    With `pool` (PostgreSQL) a kept page runs once through SQLAlchemy, which shows what it sends
    the driver, and from then on as that SQL and those parameters on the read pool: the same
    statement, without the execution machinery around it (its rows read by index and by
    attribute, as SQLAlchemy's). A first page asked again and again costs a third of the
    Python so."""
    dialect = session.get_bind().dialect
    searching = query.q is not None and spec.search is not None and dialect.name == "postgresql"
    if reuse is not None and plain and not searching:
        plan = _reused_plan(reuse, stmt, spec, query, dialect)
        if pool is not None and plan.sent is not None:
            rows: list[Any] = await pool.fetch(plan.sent[0], *plan.sent[1])
        else:
            rows = await _run_kept(session, plan, keep_sent=pool is not None)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        total = None
        if query.after is None:
            total = await _total(session, plan.counted, plan.count_key, query, len(rows), more)
        return _finish(query, rows, total, more, plain)
    filtered = filter_statement(stmt, spec, query, dialect)
    keys = _keys(spec, query.sort)
    labels = [key.expr.label(f"_sort_{index}") for index, key in enumerate(keys)]
    # A search's page: the planner's estimate first. Unless it is far past the bound (a common
    # fragment), the matches are counted (at most SEARCH_EXACT_UP_TO + 1); a few are read from
    # the trigram indexes and sorted, many are found by walking the sort's index.
    few = None
    found = None
    expected = None
    offset = _offset(query)
    async with custom_plans(session) if searching else nullcontext():
        if searching and query.after is None:
            expected = await counts.estimated_rows(session, _matching(filtered))
        if expected is not None and expected <= counts.SEARCH_SURELY_MORE:
            if plain:
                found = await _few_in_one(session, filtered, keys, labels, offset, query.limit)
                few = None if found is None else found[1]
            else:
                few = await _few_matches(session, filtered)
        if found is not None:
            rows = found[0]
        else:
            page = _page_statement(filtered, keys, labels, query, indexed=few is None)
            # Plain rows skip the ORM's result handling: the Core connection runs it.
            run = (await session.connection()).execute if plain else session.execute
            rows = list((await run(page)).all())
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        if query.after is not None:
            total = None
        elif not more and (rows or offset == 0):  # the last page: the total is known
            total = offset + len(rows)
        elif few is not None:
            total = max(few, _seen(offset, len(rows), more))
        elif searching:  # more than the bound, or expected far past it: the estimate
            seen = _seen(offset, len(rows), more)
            total = max(counts.SEARCH_EXACT_UP_TO + 1, seen, expected or 0)
        else:
            counted = _counted(filtered, dialect)
            total = await _total(session, counted, _count_key(counted), query, len(rows), more)
    return _finish(query, rows, total, more, plain)


def _finish(
    query: ListQuery, rows: list[Any], total: int | None, more: bool, plain: bool
) -> Page[Any]:
    """The page of `rows` (sort values last), cut to the limit already."""
    keys = len(query.sort) + (0 if any(k.field.name == "id" for k in query.sort) else 1)
    next_cursor = encode_cursor(query, tuple(rows[-1])[-keys:]) if more else None
    items: list[Any] = list(rows) if plain else [row[0] for row in rows]
    if total is None:
        return Page(items, None, None, query.limit, None, next_cursor)
    page_count = math.ceil(total / query.limit)
    return Page(items, total, query.page, query.limit, page_count, next_cursor)


def _offset(query: ListQuery) -> int:
    if query.offset is not None:
        return query.offset
    return ((query.page or 1) - 1) * query.limit


def _seen(offset: int, fetched: int, more: bool) -> int:
    """How many rows a page proves exist (a page past the end proves nothing)."""
    return offset + fetched + (1 if more else 0) if fetched else 0


def _counted(filtered: Select[Any], dialect: Dialect) -> Select[Any]:
    """The statement that counts `filtered`'s rows; on PostgreSQL it also answers the snapshot it
    counted under (the statement's own: see core/counts.py)."""
    if getattr(filtered, "_distinct", False) or getattr(filtered, "_group_by_clauses", ()):
        counted = select(func.count()).select_from(filtered.order_by(None).subquery())
    else:
        # The same rows, without wrapping the entity's columns in a subquery (whose building
        # cost more than the rest of a page).
        counted = filtered.with_only_columns(func.count(), maintain_column_froms=True)
    if dialect.name == "postgresql":
        counted = counted.add_columns(func.pg_current_snapshot().cast(Text))
    return counted.order_by(None)


async def _total(
    session: AsyncSession,
    counted: Select[Any],
    key: Hashable | None,
    query: ListQuery,
    fetched: int,
    more: bool,
) -> int:
    """The number of matching rows (`counted` counts them): known from the page when it is the
    last one; else counted, a large total remembered briefly (core/counts.py)."""
    offset = _offset(query)
    if not more and (fetched or offset == 0):  # the last page: the total is known
        return offset + fetched

    engine = session.bind

    def read(row: Sequence[Any]) -> counts.Counted:
        return counts.Counted(int(row[0]), str(row[1]) if len(row) > 1 else None)

    async def count() -> counts.Counted:
        return read((await session.execute(counted)).one())

    recount = None
    if isinstance(engine, AsyncEngine):

        async def recount(since: str | None) -> counts.Counted | None:
            # After the request, on a connection of its own.
            async with engine.connect() as conn:
                if since is not None:  # PostgreSQL
                    now = str((await conn.execute(text(counts.SNAPSHOT))).scalar_one())
                    if now == since:
                        return None
                return read((await conn.execute(counted)).one())

    total = await counts.COUNTS.total(key, count, recount=recount)
    # A remembered total may predate rows this page shows: it never says fewer than are seen.
    return max(total, _seen(offset, fetched, more))


def _matching(filtered: Select[Any]) -> Select[Any]:
    return filtered.with_only_columns(literal_column("1"), maintain_column_froms=True).order_by(
        None
    )


async def _few_matches(session: AsyncSession, filtered: Select[Any]) -> int | None:
    """A search's number of matches when it is at most SEARCH_EXACT_UP_TO, else None."""
    cap = counts.SEARCH_EXACT_UP_TO
    capped = select(func.count()).select_from(_matching(filtered).limit(cap + 1).subquery())
    counted = int((await session.execute(capped)).scalar_one())
    return counted if counted <= cap else None


async def _few_in_one(
    session: AsyncSession,
    filtered: Select[Any],
    keys: Sequence[_Key],
    labels: Sequence[ColumnElement[Any]],
    offset: int,
    limit: int,
) -> tuple[list[Any], int] | None:
    """A plain search's page and its number of matches in one statement, when there are at
    most SEARCH_EXACT_UP_TO: the matches are read once (trigram indexes, then the heap) into a
    materialized CTE, counted and sorted there. None when there are more."""
    cap = counts.SEARCH_EXACT_UP_TO
    found = filtered.order_by(None).add_columns(*labels).limit(cap + 1)
    matches = found.cte("matches").prefix_with("MATERIALIZED")
    counted = select(func.count()).select_from(matches).scalar_subquery().label("_matches")
    order = []
    for index, key in enumerate(keys):
        column = matches.c[f"_sort_{index}"]
        order.append(column.desc().nulls_first() if key.descending else column.asc().nulls_last())
    # The count comes first: a page's cursor is made of its last columns.
    stmt = select(counted, *matches.c).order_by(*order).offset(offset).limit(limit + 1)
    rows = list((await (await session.connection()).execute(stmt)).all())
    if not rows:
        total = 0 if offset == 0 else await _few_matches(session, filtered)
        return None if total is None else ([], total)
    total = int(rows[0][0])
    return None if total > cap else (rows, total)


def _count_key(counted: Select[Any]) -> Hashable | None:
    """What identifies a count: the statement's structure and its bound values (the tenant's
    id among them); None when SQLAlchemy cannot key it."""
    cache_key = counted._generate_cache_key()
    if cache_key is None:
        return None
    return (cache_key.key, repr([bind.effective_value for bind in cache_key.bindparams]))
