"""Clients as CSV rows and back: native field names, dotted columns for nested values.

A header row of native (camelCase) field names; `point.lat` and `point.lng`; one column per key
for `metadata.<key>`, `customFields.<key>` and `externalIds.<system>`; `tags` joined with `;`;
`references` as JSON. Values of metadata and custom fields are written as JSON when they are not
plain text (`42`, `true`, `["a","b"]`), and a text that would read as JSON is quoted (`"42"`), so
an export reads back to the same values. An empty cell is no value. Columns whose name starts
with `_` (the `_row` and `_error` of a failed-rows file) are ignored on import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rolodex.core.clients.models import Client
from rolodex.core.clients.service import to_read
from rolodex.core.clock import format_timestamp
from rolodex.core.errors import FieldIssue, Invalid

# The order of an export's columns; `id` and `number` are read-only and ignored on import.
FIELDS = (
    "id",
    "number",
    "name",
    "longName",
    "kind",
    "firstName",
    "lastName",
    "companyName",
    "externalId",
    "customPriceId",
    "creditLimit",
    "usedLimit",
    "paymentTerms",
    "paymentType",
    "billingEmail",
    "additionalInformation",
    "frameContract",
    "selfInsurance",
    "pricing",
    "website",
    "fax",
    "phone",
    "mobile",
    "workPhone",
    "email",
    "vatNumber",
    "personalNumber",
    "point.lat",
    "point.lng",
    "street",
    "streetAndNumber",
    "postalCode",
    "city",
    "provinceCode",
    "country",
    "department",
    "invoiceAddressing",
    "partnerType",
    "creditworthiness",
    "status",
    "clientTypeId",
    "structureId",
    "tags",
    "references",
    "archived",
)
READ_ONLY = frozenset(
    {
        "id",
        "number",
        "displayName",
        "organization",
        "version",
        "createdAt",
        "updatedAt",
        "deletedAt",
        "archivedAt",
    }
)
NESTED = ("metadata", "customFields", "externalIds")
EMPTY: Any = type("Empty", (), {"__repr__": lambda self: "EMPTY"})()  # an empty nested cell
_MONEY = {"creditLimit", "usedLimit"}
_INTEGER = {"paymentTerms"}
_FLOAT = {"point.lat", "point.lng"}
_BOOLEAN = {"frameContract", "selfInsurance", "archived"}
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


def check_header(columns: Sequence[str]) -> list[str]:
    """The columns an import reads (read-only and `_` columns left out); Invalid on unknown."""
    seen: set[str] = set()
    unknown, repeated, used = [], [], []
    for column in columns:
        if column in seen:
            repeated.append(column)
        seen.add(column)
        if column.startswith("_") or column in READ_ONLY:
            continue
        prefix, dot, key = column.partition(".")
        if column in FIELDS or (dot and prefix in NESTED and key):
            used.append(column)
        else:
            unknown.append(column)
    issues = [FieldIssue(c, "unknown column") for c in unknown]
    issues += [FieldIssue(c, "column given twice") for c in repeated]
    if issues:
        raise Invalid("; ".join(f"{i.field}: {i.message}" for i in issues), details=issues)
    if "name" not in used:
        raise Invalid.field("name", "the file needs a name column")
    return used


# ---------------------------------------------------------------- reading


def row_fields(row: Mapping[str, str | None], columns: Iterable[str]) -> dict[str, Any]:
    """One row's cells as native fields: a present column with an empty cell is None."""
    fields: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {name: {} for name in NESTED}
    point: dict[str, Any] = {}
    for column in columns:
        cell = (row.get(column) or "").strip()
        prefix, _, key = column.partition(".")
        if prefix == "externalIds":
            nested[prefix][key] = cell or EMPTY
        elif prefix in NESTED:
            nested[prefix][key] = decode_value(cell) if cell else EMPTY
        elif prefix == "point":
            point[key] = _number(cell, float) if cell else None
        else:
            fields[column] = _cell(column, cell)
    if point:
        fields["point"] = None if all(v is None for v in point.values()) else point
    for name, values in nested.items():
        if values:
            fields[name] = values  # {key: value or EMPTY}: EMPTY removes the key
    return fields


def _cell(column: str, cell: str) -> Any:
    if not cell:
        return None
    if column in _MONEY:
        return _number(cell, Decimal)
    if column in _INTEGER:
        return _number(cell, int)
    if column in _BOOLEAN:
        lowered = cell.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else cell
    if column == "tags":
        return [tag.strip() for tag in cell.split(";") if tag.strip()]
    if column == "references":
        return decode_value(cell)
    return cell


def _number(cell: str, kind: type) -> Any:
    """The cell as a number, or the text itself (so validation names the field)."""
    try:
        return kind(cell)
    except (ValueError, InvalidOperation):
        return cell


def decode_value(cell: str) -> Any:
    """A metadata or custom-field cell: JSON when it reads as JSON, else the text."""
    if not cell or cell[0] not in _JSON_STARTS:
        return cell  # cannot be JSON (most text): no parse attempt
    try:
        return _DECODER.decode(cell)
    except ValueError:
        return cell


def _not_json(_value: str) -> Any:
    raise ValueError("NaN and Infinity are text here")


# What a JSON text can start with (cells are trimmed); one decoder for every cell.
_JSON_STARTS = frozenset('{["-0123456789tfn')
_DECODER = json.JSONDecoder(parse_constant=_not_json)


# ---------------------------------------------------------------- writing


def header(
    metadata_keys: Iterable[str], custom_keys: Iterable[str], systems: Iterable[str]
) -> list[str]:
    """An export's columns for these metadata keys, custom-field keys and id systems."""
    return [
        *FIELDS,
        *(f"metadata.{key}" for key in sorted(metadata_keys)),
        *(f"customFields.{key}" for key in sorted(custom_keys)),
        *(f"externalIds.{system}" for system in sorted(systems)),
        "createdAt",
        "updatedAt",
    ]


def client_row(client: Client, columns: Sequence[str]) -> list[str]:
    """The client's cells for an export with these columns."""
    shown = to_read(client)
    refs = {ref["system"]: ref["id"] for ref in client.external_ids or []}
    cells = []
    for column in columns:
        prefix, _, key = column.partition(".")
        if prefix == "metadata":
            cells.append(encode_value(client.meta, key))
        elif prefix == "customFields":
            cells.append(encode_value(client.custom_fields, key))
        elif prefix == "externalIds":
            cells.append(refs.get(key, ""))
        elif prefix == "point":
            point = shown["point"]
            cells.append(repr(point[key]) if point else "")
        else:
            cells.append(_text(column, shown[column]))
    return cells


def _text(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, datetime):
        return format_timestamp(value)
    if column == "tags":
        return ";".join(value)
    if column == "references":
        return json.dumps(value, ensure_ascii=False) if value else ""
    return str(value)


def encode_value(values: Mapping[str, Any] | None, key: str) -> str:
    """A metadata or custom-field value as a cell (see the module docstring)."""
    if not values or key not in values:
        return ""
    value = values[key]
    if isinstance(value, str) and not _reads_as_json(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _reads_as_json(text: str) -> bool:
    if not text.strip() or text != text.strip():
        return True  # blanks around it would be trimmed, and "" read back as no value
    try:
        _DECODER.decode(text)
    except ValueError:
        return False
    return True
