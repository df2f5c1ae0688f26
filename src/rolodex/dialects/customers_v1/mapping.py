"""Customers & orders v1.0 <-> native: pure translations, no I/O (their tests need no database).

One table, FIELDS, drives the customer fields both ways: each document field, its input name
and the native field behind it. The native `name` is derived (company name, else first and last
name) and so is `kind` (COMPANY with a company name, else PERSON). `refid` and the orders'
licensing fields have no native twin and live in metadata. The native rules apply by building
the core schema; a failure is re-raised as `Invalid` with the document's field names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic.alias_generators import to_camel, to_snake

from rolodex.api.errors import summarize, validation_issues
from rolodex.core import listing
from rolodex.core.clients import repository as clients_repository
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate, ClientFields, ClientUpdate
from rolodex.core.clock import unix_seconds
from rolodex.core.enums import ClientKind, ClientStatus, OrderStatus
from rolodex.core.errors import FieldIssue, Invalid
from rolodex.core.orders import repository as orders_repository
from rolodex.core.orders.models import Order
from rolodex.core.validation import is_digits
from rolodex.dialects.customers_v1.schemas import (
    CustomersV1ListParams,
    CustomerV1In,
    CustomerV1OrdersParams,
)


@dataclass(frozen=True, slots=True)
class CustomerField:
    """One field of the document: its input name (None: read-only) and its native field."""

    input: str | None
    native: str


# The document's customer field -> its input name and the native field (API names).
# `metadata.refid` is the key `refid` of the native metadata.
FIELDS: Mapping[str, CustomerField] = {
    "_id": CustomerField(None, "number"),
    "description": CustomerField("customerDescription", "additionalInformation"),
    "email": CustomerField("customerEmail", "email"),
    "name": CustomerField("customerName", "firstName"),
    "lastname": CustomerField("customerLastName", "lastName"),
    "companyname": CustomerField("customerCompanyName", "companyName"),
    "phone": CustomerField("customerPhone", "phone"),
    "status": CustomerField("customerStatus", "status"),
    "archived": CustomerField("archived", "archived"),
    "archivationdate": CustomerField(None, "archivedAt"),
    "crmid": CustomerField("crmId", "externalId"),
    "refid": CustomerField("refId", "metadata.refid"),
}
REFID = "refid"
# Native field -> input name, for naming native validation failures in the document's terms.
TO_INPUT: Mapping[str, str] = {
    **{f.native: f.input for f in FIELDS.values() if f.input},
    "name": "customerName",
    "metadata": "refId",
}
STATUS_SHOWN = {ClientStatus.ACTIVE.value: 1}  # every other native status shows as 0
NAME_PARTS = ("first_name", "last_name", "company_name")
NAME_NEEDED = "a customer needs a name, a last name or a company name"

# Customer sorts -> native sort fields (NAME_PARTS_SPEC: a missing part sorts as "").
SORTS: Mapping[str, tuple[str, ...]] = {
    "default": ("companyNameAsShown", "lastNameAsShown", "firstNameAsShown"),
    "name": ("lastNameAsShown", "firstNameAsShown"),
    "company": ("companyNameAsShown",),
}
LIST_SPEC = clients_repository.NAME_PARTS_SPEC
TYPES = {"company": "true", "person": "false"}  # -> hasCompanyName
DEFAULT_LIMIT = 100

# Order sorts -> native sort fields (a never-submitted order sorts as submitdate 0).
ORDER_SORTS: Mapping[str, str] = {"number": "number", "submitdate": "submittedAtOrEpoch"}
ORDERS_SPEC = orders_repository.EPOCH_FOR_NULL_SPEC
ORDER_STATUSES: Mapping[str, int] = {
    OrderStatus.DRAFT.value: 0,
    OrderStatus.SUBMITTED.value: 1,
    OrderStatus.REVOKED.value: 2,
}
# The licensing fields an order keeps in its metadata, with what they show when not set.
# Every Rolodex order belongs to a customer, so `customerrequired` shows true by default.
LICENSING: Mapping[str, int | bool] = {
    "activationbirthdate": 0,
    "activationdeathdate": 0,
    "activationlimit": 0,
    "canoverwritecontainer": False,
    "customerrequired": True,
    "isdemo": False,
}
_TIMES = ("activationbirthdate", "activationdeathdate")

NativeT = TypeVar("NativeT", bound=ClientFields)


# ---------------------------------------------------------------- customers in


def to_client_create(body: CustomerV1In) -> ClientCreate:
    """A create body as the core's ClientCreate (name and kind derived from the name parts)."""
    values = _sent(body, current=None)
    name = native_name(*(values.get(part) for part in NAME_PARTS))
    if name is None:
        raise Invalid.field("customerName", NAME_NEEDED)
    values |= {"name": name, "kind": _kind(values.get("company_name"))}
    if REFID in values:
        ref = values.pop(REFID)
        if ref is not None:
            values["metadata"] = {REFID: ref}
    return _native(ClientCreate, values)


def to_client_update(body: CustomerV1In, current: Client) -> ClientUpdate:
    """A change body as a partial core update of `current`: only the fields sent; name and kind
    follow when a name part is sent; other metadata and a non-active status are kept."""
    values = _sent(body, current=current)
    if any(part in values for part in NAME_PARTS):
        parts = {part: values.get(part, getattr(current, part)) for part in NAME_PARTS}
        name = native_name(*parts.values())
        if name is None:
            raise Invalid.field("customerName", NAME_NEEDED)
        values |= {"name": name, "kind": _kind(parts["company_name"])}
    if REFID in values:
        ref = values.pop(REFID)
        metadata = {key: value for key, value in (current.meta or {}).items() if key != REFID}
        if ref is not None:
            metadata[REFID] = ref
        if metadata != (current.meta or {}):
            values["metadata"] = metadata
    return _native(ClientUpdate, values)


def native_name(first: str | None, last: str | None, company: str | None) -> str | None:
    """The native `name`: the company name, else first and last name (at most 255 characters)."""
    if company:
        return company[:255]
    full = " ".join(part for part in (first, last) if part)
    return full[:255].strip() or None


def _kind(company: str | None) -> str:
    return ClientKind.COMPANY.value if company else ClientKind.PERSON.value


def _sent(body: CustomerV1In, *, current: Client | None) -> dict[str, Any]:
    """The fields sent, by native attribute (`refid` apart); "" and null mean none."""
    aliases = {name: info.alias or name for name, info in type(body).model_fields.items()}
    sent = {aliases[name]: value for name, value in body.given().items()}
    values: dict[str, Any] = {}
    for field in FIELDS.values():
        if field.input is None or field.input not in sent:
            continue
        value = sent[field.input]
        if field.native == "status":
            status = _status_in(value, current)
            if status is not None:
                values["status"] = status
        elif field.native == "archived":
            if value is None:
                raise Invalid.field("archived", "must be true or false, not null")
            values["archived"] = value
        elif field.native == "metadata.refid":
            values[REFID] = value or None
        else:
            values[to_snake(field.native)] = value or None
    return values


def _status_in(value: int | None, current: Client | None) -> str | None:
    """1 -> ACTIVE, 0 -> INACTIVE; None when it changes nothing (a 0 for a client already not
    active, e.g. a prospect, keeps its native status)."""
    if value not in (0, 1):
        raise Invalid.field("customerStatus", "must be 0 (inactive) or 1 (active)")
    if current is not None and STATUS_SHOWN.get(current.status, 0) == value:
        return None
    return ClientStatus.ACTIVE.value if value == 1 else ClientStatus.INACTIVE.value


def _native(schema: type[NativeT], values: dict[str, Any]) -> NativeT:
    """The values validated by the native schema; failures named by the document's fields."""
    try:
        return schema.model_validate({to_camel(key): value for key, value in values.items()})
    except ValidationError as exc:
        issues = [
            FieldIssue(TO_INPUT.get(issue.field.split(".")[0], issue.field), issue.message)
            for issue in validation_issues([dict(error) for error in exc.errors()])
        ]
        raise Invalid(summarize(issues), details=issues) from None


# ---------------------------------------------------------------- customers out


def to_customer(client: Client) -> dict[str, Any]:
    """A client as the document's customer object."""
    return {name: _shown(client, field.native) for name, field in FIELDS.items()}


def _shown(client: Client, native: str) -> Any:
    if native == "number":
        return client.number
    if native == "status":
        return STATUS_SHOWN.get(client.status, 0)
    if native == "archived":
        return client.archived
    if native == "archivedAt":
        return unix_seconds(client.archived_at) if client.archived else 0
    if native == "metadata.refid":
        return _text((client.meta or {}).get(REFID))
    return _text(getattr(client, to_snake(native)))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def to_customer_list(page: listing.Page[Client]) -> dict[str, Any]:
    """A page of clients as `{"customers": [...]}`."""
    return {"customers": [to_customer(client) for client in page.items]}


# ---------------------------------------------------------------- list parameters


def to_list_params(params: CustomersV1ListParams) -> list[tuple[str, str]]:
    """The customer list parameters as native query pairs (blank ones count as absent)."""
    pairs = _paging(params.offset, params.limit)
    names = SORTS[_choice("sortby", params.sortby, SORTS, "default")]
    pairs.append(("sort", _sorted(names, _descending(params.direction))))
    kind = (params.type or "").strip().lower()
    if kind in TYPES:
        pairs.append(("hasCompanyName", TYPES[kind]))
    archived = (params.archived or "").strip().lower()
    if archived:
        if archived not in ("true", "false"):
            raise Invalid.field("archived", "must be true or false")
        pairs.append(("archived", archived))
    return pairs


def to_list_query(params: CustomersV1ListParams) -> listing.ListQuery:
    """The customer list parameters parsed by the shared list mechanism (offset mode)."""
    return listing.parse_list_query(LIST_SPEC, to_list_params(params), offset=True)


def to_order_list_params(params: CustomerV1OrdersParams) -> list[tuple[str, str]]:
    """The order list parameters as native query pairs (blank ones count as absent)."""
    pairs = _paging(params.offset, params.limit)
    name = ORDER_SORTS[_choice("sortby", params.sortby, ORDER_SORTS, "number")]
    pairs.append(("sort", _sorted((name,), _descending(params.direction))))
    statuses = _order_statuses(params.status or "")
    if statuses:
        pairs.append(("status", statuses))
    return pairs


def to_order_list_query(params: CustomerV1OrdersParams) -> listing.ListQuery:
    """The order list parameters parsed by the shared list mechanism (offset mode)."""
    return listing.parse_list_query(ORDERS_SPEC, to_order_list_params(params), offset=True)


def _paging(offset: int | None, limit: int | None) -> list[tuple[str, str]]:
    return [
        ("offset", str(0 if offset is None else offset)),
        ("limit", str(DEFAULT_LIMIT if limit is None else limit)),
    ]


def _choice(param: str, raw: str | None, allowed: Mapping[str, Any], default: str) -> str:
    value = (raw or "").strip().lower() or default
    if value not in allowed:
        raise Invalid.field(param, f"must be one of {', '.join(allowed)}")
    return value


def _descending(direction: str | None) -> bool:
    return _choice("direction", direction, {"asc": 0, "desc": 1}, "asc") == "desc"


def _sorted(names: tuple[str, ...], descending: bool) -> str:
    return ",".join(("-" if descending else "") + name for name in names)


def _order_statuses(raw: str) -> str:
    """`0,1` -> `DRAFT,SUBMITTED` (empty items are skipped; none at all: "")."""
    by_number = {str(number): status for status, number in ORDER_STATUSES.items()}
    statuses = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if part not in by_number:
            raise Invalid.field("status", "each must be 0 (Draft), 1 (Submit) or 2 (Revoked)")
        statuses.append(by_number[part])
    return ",".join(dict.fromkeys(statuses))


# ---------------------------------------------------------------- orders out


def to_order(order: Order) -> dict[str, Any]:
    """An order as the document shows it: `_id` and `number` both the native number."""
    meta = order.meta or {}
    licensing = {name: _licensing(name, meta.get(name), dflt) for name, dflt in LICENSING.items()}
    return {
        "_id": order.number,
        **licensing,
        "archivationdate": unix_seconds(order.archived_at) if order.archived else 0,
        "archived": order.archived,
        "date": unix_seconds(order.date),
        "description": _text(order.description),
        "number": order.number,
        "quantity": order.quantity,
        "status": ORDER_STATUSES[order.status],
        "submitdate": unix_seconds(order.submitted_at),
        "type": order.type,
        "crmid": _text(order.external_id),
        "refid": _text(meta.get(REFID)),
    }


def to_order_list(page: listing.Page[Order]) -> dict[str, Any]:
    """A page of orders as `{"orders": [...]}`."""
    return {"orders": [to_order(order) for order in page.items]}


def _licensing(name: str, value: Any, default: int | bool) -> int | bool:
    """A metadata value as the field's type; one that does not read as such shows the default."""
    if isinstance(default, bool):
        return _as_bool(value, default)
    if name in _TIMES and isinstance(value, str) and not is_digits(value.strip().lstrip("-")):
        return _as_time(value, int(default))
    return _as_int(value, int(default))


def _as_bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return default


def _as_int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and is_digits(value.strip().lstrip("-")):
        return int(value.strip())
    return default


def _as_time(value: str, default: int) -> int:
    """An ISO 8601 timestamp (UTC when it has no zone) as Unix seconds."""
    try:
        return unix_seconds(datetime.fromisoformat(value.strip()))
    except ValueError:
        return default
