"""Summit <-> native: pure translations, no I/O (their tests need no database).

One table, FIELDS, drives both directions. Every Summit field has a native twin, so nothing
goes to metadata. The native rules apply by building the core schema; a failure is re-raised
as `Invalid` with Summit's field names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from rolodex.api.errors import summarize, validation_issues
from rolodex.core import listing
from rolodex.core.clients import repository as clients_repository
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate, ClientFields, ClientUpdate
from rolodex.core.clock import format_timestamp
from rolodex.core.errors import FieldIssue, Invalid
from rolodex.dialects.summit.schemas import SummitClientIn, SummitClientUpdate, SummitListParams

# Summit field -> native field (API names). `address` is one line, kept in streetAndNumber.
FIELDS: Mapping[str, str] = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "address": "streetAndNumber",
    "paymentTerms": "paymentTerms",
}
TO_SUMMIT: Mapping[str, str] = {native: summit for summit, native in FIELDS.items()}
# Summit sort field -> native sort field.
SORTS: Mapping[str, str] = {
    "id": "number",
    "name": "name",
    "email": "email",
    "phone": "phone",
    "paymentTerms": "paymentTerms",
    "createdAt": "createdAt",
    "updatedAt": "updatedAt",
}
# Summit's `q` searches name or email only.
LIST_SPEC = clients_repository.NAME_OR_EMAIL_SPEC

NativeT = TypeVar("NativeT", bound=ClientFields)
# What the saved Summit document shows instead of every email address.
EMAIL_PLACEHOLDERS = frozenset({"[email protected]", "[email\u00a0protected]"})


def to_client_create(body: SummitClientIn) -> ClientCreate:
    """A Summit create body as the core's ClientCreate."""
    return _native(ClientCreate, body)


def to_client_update(body: SummitClientUpdate) -> ClientUpdate:
    """A Summit PUT body as a partial core update: only the fields sent."""
    return _native(ClientUpdate, body)


def _native(schema: type[NativeT], body: SummitClientUpdate) -> NativeT:
    """The sent fields renamed to native names and validated by the native schema."""
    aliases = {name: info.alias or name for name, info in type(body).model_fields.items()}
    sent = {aliases[name]: value for name, value in body.given().items()}
    values = {FIELDS[key]: value for key, value in sent.items() if key in FIELDS}
    placeholder = values.get("email") if values.get("email") in EMAIL_PLACEHOLDERS else None
    if placeholder:
        del values["email"]
    try:
        native = schema.model_validate(values)
    except ValidationError as exc:
        issues = [
            FieldIssue(TO_SUMMIT.get(issue.field, issue.field), issue.message)
            for issue in validation_issues([dict(error) for error in exc.errors()])
        ]
        raise Invalid(summarize(issues), details=issues) from None
    if placeholder:
        # The document's own examples carry the email-protection placeholder of the page they
        # were saved from; a replay of them must still work (see docs/dialects/summit.md).
        native = native.model_copy(update={"email": placeholder})
        native.model_fields_set.add("email")
    return native


def to_summit_client(client: Client, organization_number: int) -> dict[str, Any]:
    """A client as Summit's JSON (timestamps already formatted)."""
    native = clients_service.to_read(client)
    return {
        "id": client.number,
        "companyId": organization_number,
        **{summit: native[field] for summit, field in FIELDS.items()},
        "createdAt": format_timestamp(client.created_at),
        "updatedAt": format_timestamp(client.updated_at),
        "softDelete": client.deleted_at is not None,
    }


def to_summit_list(page: listing.Page[Client], organization_number: int) -> dict[str, Any]:
    """A page of clients as Summit's `{data, meta}`."""
    return {
        "data": [to_summit_client(client, organization_number) for client in page.items],
        "meta": {
            "total": page.total,
            "page": page.page,
            "limit": page.limit,
            "pageCount": page.page_count,
        },
    }


def to_list_params(params: SummitListParams) -> list[tuple[str, str]]:
    """Summit's list parameters as the native query pairs (blank ones count as absent)."""
    pairs: list[tuple[str, str]] = []
    for name in ("page", "limit"):
        value = getattr(params, name)
        if value is not None:
            pairs.append((name, str(value)))
    if params.sort and params.sort.strip():
        pairs.append(("sort", to_native_sort(params.sort)))
    if params.order and params.order.strip():
        pairs.append(("order", params.order.strip().lower()))
    if params.q and params.q.strip():
        pairs.append(("q", params.q))
    return pairs


def to_native_sort(sort: str) -> str:
    """`name` -> `name`, `id` -> `number`; a leading `-` is kept."""
    terms = []
    for term in sort.split(","):
        term = term.strip()
        sign, name = ("-", term[1:]) if term.startswith("-") else ("", term)
        if name not in SORTS:
            allowed = ", ".join(SORTS)
            raise Invalid.field("sort", f"cannot sort on {name[:100]!r}; use one of {allowed}")
        terms.append(sign + SORTS[name])
    return ",".join(terms)


def to_list_query(params: SummitListParams) -> listing.ListQuery:
    """Summit's list parameters parsed by the shared list mechanism."""
    return listing.parse_list_query(LIST_SPEC, to_list_params(params))
