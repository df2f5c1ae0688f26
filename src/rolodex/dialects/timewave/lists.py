"""TimeWave's list query <-> the native list mechanism: pure translations, no I/O.

`page`, `per_page`, `sort=field|-field` and the filters of the fields the document marks Filter
(`[gt]`, `[lt]`, `[between]` on those marked Numeric) become native query pairs, parsed by
core/listing.py against the clients' wide spec; a failure names the parameter as it was sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from rolodex.core import listing
from rolodex.core.clients import repository as clients_repository
from rolodex.core.clients.models import Client
from rolodex.core.errors import FieldIssue, Invalid
from rolodex.core.validation import is_digits
from rolodex.dialects.timewave import mapping

LIST_SPEC = clients_repository.WIDE_SPEC
DEFAULT_PER_PAGE = 15  # Laravel's paginate() default
NUMBER_KEY = "timewave.number"
# TimeWave field -> native sort field (the fields the document marks Sort, and id).
SORTS: Mapping[str, str] = {
    "id": "number",
    "status": "status",
    "title": "name",
    "deleted": "deleted",
    "phone": "phone",
    "mobile": "mobile",
    "paymentterms": "paymentTerms",
    "email": "email",
    "clientnbr": "number",
    "employee_id": "metadataNumber.timewave.employee_id",
    "paymenttype": "paymentTypeOrder",
    "hourpot": "metadataNumber.timewave.hourpot",
    "fax": "fax",
    "workphone": "workPhone",
    "has_hourpot": "metadata.timewave.has_hourpot",
    "secondary_email": "billingEmail",
    "www": "website",
    "invoicetemplate_id": "metadataNumber.timewave.invoicetemplate_id",
    "first_name": "firstName",
    "last_name": "lastName",
    "company_name": "companyName",
    "personal_number": "personalNumber",
    "invoice_fee_id": "metadataNumber.timewave.invoice_fee_id",
}
# TimeWave filter -> native filter (the fields the document marks Filter).
FILTERS: Mapping[str, str] = {
    "id": "number",
    "status": "status",
    "number": f"metadataNumber.{NUMBER_KEY}",
    "deleted": "deleted",
    "email": "email",
    "personal_number": "personalNumber",
}
NUMERIC = ("id", "number")  # marked Numeric: also [gt], [lt] and [between]
OPERATORS = ("gt", "lt", "between")
_BRACKETED = re.compile(r"(?P<name>[a-z_]+)\[(?P<op>[^\[\]]*)\]")
_DELETED = {"1": "true", "true": "true", "0": "false", "false": "false"}


def to_list_params(
    pairs: Sequence[tuple[str, str]],
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """TimeWave's query as native query pairs, and native parameter -> TimeWave parameter.

    Parameters the document does not name are ignored, as are blank values.
    """
    native: list[tuple[str, str]] = []
    names: dict[str, str] = {"limit": "per_page"}
    given = {name: value for name, value in pairs if name in ("page", "per_page", "sort")}
    if given.get("page", "").strip():
        native.append(("page", given["page"].strip()))
    native.append(("limit", given.get("per_page", "").strip() or str(DEFAULT_PER_PAGE)))
    native.append(("sort", to_native_sort(given.get("sort", "").strip() or "id")))
    for name, value in pairs:
        value = value.strip()
        if value:
            native.extend(_filter(name, value, names))
    return native, names


def _filter(param: str, value: str, names: dict[str, str]) -> list[tuple[str, str]]:
    """One TimeWave filter parameter as native pairs (none when it is not a filter)."""
    bracketed = _BRACKETED.fullmatch(param)
    name = bracketed["name"] if bracketed else param
    if name not in FILTERS:
        return []
    if bracketed is not None:
        op = bracketed["op"]
        if name not in NUMERIC:
            raise Invalid.field(param, "The :attribute filter only takes plain values.")
        if op not in OPERATORS:
            raise Invalid.field(param, "The :attribute filter's operator is not gt, lt or between.")
        names[f"{FILTERS[name]}[{op}]"] = param
        return [(f"{FILTERS[name]}[{op}]", value)]
    if name == "status":
        statuses = [part.strip() for part in value.split(",")]
        if not all(part in mapping.STATUSES for part in statuses):
            raise Invalid.field(param, "The selected :attribute is invalid.")
        return [("status", ",".join(mapping.STATUSES[part] for part in statuses))]
    if name == "deleted":
        flags = [part.strip().lower() for part in value.split(",")]
        if not all(flag in _DELETED for flag in flags):
            raise Invalid.field(param, "The :attribute field must be true or false.")
        return [("deleted", ",".join(_DELETED[flag] for flag in flags)), ("includeDeleted", "true")]
    target = FILTERS[name]
    if name == "number" and not all(is_digits(part.strip()) for part in value.split(",")):
        target = f"metadata.{NUMBER_KEY}"  # not digits: compared as text
    names[target] = param
    return [(target, value)]


def to_native_sort(sort: str) -> str:
    """`-title,id` -> `-name,number`."""
    terms = []
    for term in sort.split(","):
        term = term.strip()
        sign, name = ("-", term[1:]) if term.startswith("-") else ("", term.removeprefix("+"))
        if name not in SORTS:
            raise Invalid.field(
                "sort", f"The selected :attribute is invalid: cannot sort on {name[:50]!r}."
            )
        terms.append(sign + SORTS[name])
    return ",".join(terms)


def to_list_query(pairs: Sequence[tuple[str, str]]) -> listing.ListQuery:
    """TimeWave's list parameters parsed by the shared list mechanism."""
    native, names = to_list_params(pairs)
    try:
        return listing.parse_list_query(LIST_SPEC, native)
    except Invalid as exc:
        issues = [FieldIssue(names.get(d.field, d.field), d.message) for d in exc.details]
        raise Invalid(mapping.summary(issues), details=issues) from None


def to_timewave_list(page: listing.Page[Client], items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A page of clients (already translated) as TimeWave's `{data, meta}`."""
    return {
        "data": list(items),
        "meta": {
            "current_page": page.page or 1,
            "per_page": page.limit,
            "total": page.total or 0,
            "last_page": max(page.page_count or 0, 1),
        },
    }
