"""TimeWave <-> native: pure translations, no I/O (their tests need no database).

One table, FIELDS, gives every writable TimeWave field its native home: a native client field
or, where Rolodex has none, a `timewave.` key of the client's metadata. The document's rules
that span fields (a name is required, secondary_email when payment type is 2) are checked here
first; the native rules then apply by building the core schema, and a failure is re-raised as
`Invalid` with TimeWave's field names (errors.py renders it as Laravel's 422).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from rolodex.api.errors import validation_issues
from rolodex.core.addresses.schemas import ClientAddressIn
from rolodex.core.client_types.models import ClientType
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate, ClientFields, ClientUpdate
from rolodex.core.errors import FieldIssue, Invalid, NotFound
from rolodex.core.validation import is_digits
from rolodex.dialects.timewave.schemas import (
    TimeWaveAddressIn,
    TimeWaveClientIn,
    TimeWaveClientUpdate,
)


@dataclass(frozen=True, slots=True)
class Home:
    """Where a TimeWave field lives: a native client field (API name) or a metadata key."""

    native: str | None = None
    meta: str | None = None


FIELDS: Mapping[str, Home] = {
    "status": Home(native="status"),
    "title": Home(native="name"),
    "number": Home(meta="timewave.number"),
    "phone": Home(native="phone"),
    "mobile": Home(native="mobile"),
    "paymentterms": Home(native="paymentTerms"),
    "email": Home(native="email"),
    "employee_id": Home(meta="timewave.employee_id"),
    "payment_type": Home(native="paymentType"),
    "hourpot": Home(meta="timewave.hourpot"),
    "fax": Home(native="fax"),
    "vat": Home(native="vatNumber"),
    "workphone": Home(native="workPhone"),
    "has_hourpot": Home(meta="timewave.has_hourpot"),
    "secondary_email": Home(native="billingEmail"),
    "www": Home(native="website"),
    "invoicetemplate_id": Home(meta="timewave.invoicetemplate_id"),
    "first_name": Home(native="firstName"),
    "last_name": Home(native="lastName"),
    "company_name": Home(native="companyName"),
    "personal_number": Home(native="personalNumber"),
    "invoice_fee_id": Home(meta="timewave.invoice_fee_id"),
    "bank_id": Home(meta="timewave.bank_id"),
    "clienttype_id": Home(native="clientTypeId"),
    "full_reduction_pot": Home(meta="timewave.full_reduction_pot"),
    "taxreduction_percentage": Home(meta="timewave.taxreduction_percentage"),
    "reference_name": Home(meta="timewave.reference_name"),
    "references": Home(native="references"),
    "comment": Home(native="additionalInformation"),
}
TO_TIMEWAVE: Mapping[str, str] = {
    home.native: name for name, home in FIELDS.items() if home.native and home.native != name
}
STATUSES: Mapping[str, str] = {
    "prospect": "PROSPECT",
    "active": "ACTIVE",
    "inactive": "INACTIVE",
    "deleted": "CLOSED",
}
STATUS_NAMES: Mapping[str, str] = {native: name for name, native in STATUSES.items()}
PAYMENT_TYPES: Mapping[int, str] = {
    1: "PRINT",
    2: "EMAIL",
    3: "DIRECT_DEBIT",  # autogiro
    4: "E_PRINT",
    7: "E_INVOICE",  # e-faktura via the bank
    8: "EDI",
    9: "KIVRA",
}
PAYMENT_CODES: Mapping[str, int] = {native: code for code, native in PAYMENT_TYPES.items()}
NAME_FIELDS = ("company_name", "first_name", "last_name")
NAME_REQUIRED = (
    "The :attribute field is required when none of company name / first name / last name "
    "are present."
)

# Address body objects: which flags they set; the address remembers its kind in metadata.
ADDRESS_TYPE_KEY = "timewave.address_type"
SLOTS: Mapping[str, tuple[bool, bool]] = {  # (isDelivery, isInvoice)
    "address": (False, False),
    "delivery_address": (True, False),
    "invoice_address": (False, True),
}
ADDRESS_FIELDS: Mapping[str, str] = {
    "address": "streetAndNumber",
    "postal_code": "postalCode",
    "city": "city",
    "co_address": "coAddress",
}
ADDRESS_META = ("port_code", "alarm_code", "housing_association", "workarea_id")
# Native failures worded for TimeWave's type of the field.
NATIVE_MESSAGES: Mapping[str, str] = {
    "paymentterms": "The :attribute field must be a number of days from 0 to 3650.",
}
READ_ONLY = ("id", "clientnbr", "deleted", "clienttype", "bank", "addresses", "contacts")
METADATA_VALUE_MAX = 500  # the native metadata's limit

NativeT = TypeVar("NativeT", bound=BaseModel)
ClientT = TypeVar("ClientT", bound=ClientFields)


# ---------------------------------------------------------------- writes


def to_client_create(body: TimeWaveClientIn) -> ClientCreate:
    """A TimeWave POST body as the core's ClientCreate (client type and all, but its id)."""
    sent = _sent(body)
    _check_document(sent, None)
    values = _native_values(sent, None)
    addresses = [_address(slot, sent[slot]) for slot in SLOTS if sent.get(slot) is not None]
    if addresses:
        values["addresses"] = addresses
    return _native(ClientCreate, values)


def to_client_update(body: TimeWaveClientUpdate, current: Client) -> ClientUpdate:
    """A TimeWave PUT body as a partial core update of `current`: only the fields sent."""
    sent = _sent(body)
    _check_document(sent, current)
    return _native(ClientUpdate, _native_values(sent, current))


def to_address_slots(body: TimeWaveClientUpdate) -> dict[str, ClientAddressIn | None]:
    """The address objects of a PUT body by kind (None: remove that address)."""
    sent = body.given()
    return {
        slot: None if sent[slot] is None else _address(slot, sent[slot])
        for slot in SLOTS
        if slot in sent
    }


def with_client_type(data: ClientT, client_type_id: UUID | None) -> ClientT:
    """`data` with the client type resolved from TimeWave's clienttype_id."""
    updated = data.model_copy(update={"client_type_id": client_type_id})
    updated.model_fields_set.add("client_type_id")
    return updated


def client_number(raw: str) -> int:
    """The `{id}` of a path; anything but digits names no client (404)."""
    if not is_digits(raw) or len(raw) > 12:
        raise NotFound(f"Client {raw[:50]} not found")
    return int(raw)


def _sent(body: TimeWaveClientUpdate) -> dict[str, Any]:
    """The writable fields sent; `paymenttype` (the answers' name) stands in for payment_type."""
    sent = {k: v for k, v in body.given().items() if k not in READ_ONLY}
    if "paymenttype" in sent:
        sent.setdefault("payment_type", sent.pop("paymenttype"))
    return sent


def _check_document(sent: Mapping[str, Any], current: Client | None) -> None:
    """The document's rules that span fields: a name, the billing email, reference ids."""
    issues: list[FieldIssue] = []
    if "name" not in _name_and_kind(sent, current) and _needs_name(sent, current):
        issues.append(FieldIssue("title", NAME_REQUIRED))
    payment = sent["payment_type"] if "payment_type" in sent else _payment_code(current)
    billing = sent["secondary_email"] if "secondary_email" in sent else _billing(current)
    if payment == 2 and not billing:
        issues.append(
            FieldIssue(
                "secondary_email", "The :attribute field is required when payment type is 2."
            )
        )
    seen: set[int] = set()
    for index, ref in enumerate(sent.get("references") or ()):
        if ref.id is not None and ref.id in seen:
            issues.append(
                FieldIssue(f"references.{index}.id", "The :attribute field has a duplicate value.")
            )
        seen.add(ref.id)
    if issues:
        raise Invalid(summary(issues), details=issues)


def _payment_code(current: Client | None) -> int | None:
    return PAYMENT_CODES.get(current.payment_type or "") if current is not None else None


def _billing(current: Client | None) -> str | None:
    return current.billing_email if current is not None else None


def _derived_name(
    company_name: str | None, first_name: str | None, last_name: str | None
) -> str | None:
    """The native name when no title is given: the company name, else first and last name."""
    if company_name:
        return company_name
    return " ".join(part for part in (first_name, last_name) if part) or None


def _names_before(current: Client | None) -> dict[str, str | None]:
    if current is None:
        return dict.fromkeys(NAME_FIELDS)
    return {
        "company_name": current.company_name,
        "first_name": current.first_name,
        "last_name": current.last_name,
    }


def _needs_name(sent: Mapping[str, Any], current: Client | None) -> bool:
    """Whether this body (re)computes the native name: on create, a cleared title, or a
    changed company/person name of a client whose name was derived from them."""
    if current is None or ("title" in sent and sent["title"] is None):
        return True
    if not any(key in sent for key in NAME_FIELDS):
        return False
    return current.name == _derived_name(**_names_before(current))


def _name_and_kind(sent: Mapping[str, Any], current: Client | None) -> dict[str, Any]:
    """The native name and kind this body implies (only what changes)."""
    after = _names_before(current) | {key: sent[key] for key in NAME_FIELDS if key in sent}
    out: dict[str, Any] = {}
    if sent.get("title") is not None:
        out["name"] = sent["title"]
    elif _needs_name(sent, current) and (derived := _derived_name(**after)) is not None:
        out["name"] = derived
    if current is None or any(key in sent for key in NAME_FIELDS):
        person = not after["company_name"] and (after["first_name"] or after["last_name"])
        out["kind"] = "PERSON" if person else "COMPANY"
    return out


def _native_values(sent: Mapping[str, Any], current: Client | None) -> dict[str, Any]:
    """The native client fields (API names) for the TimeWave fields sent."""
    values: dict[str, Any] = _name_and_kind(sent, current)
    changes: dict[str, Any] = {}
    for name, value in sent.items():
        home = FIELDS.get(name)
        if home is None or name in ("title", "clienttype_id"):
            continue  # the name is derived above, the type resolved by the route
        if home.meta is not None:
            changes[home.meta] = value
        elif home.native is not None:
            values[home.native] = _to_native(name, value)
    if changes:
        metadata = dict(current.meta or {}) if current is not None else {}
        metadata.update(changes)
        values["metadata"] = {k: v for k, v in metadata.items() if v is not None}
    return values


def _to_native(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "status":
        return STATUSES[value]
    if name == "payment_type":
        return PAYMENT_TYPES[value]
    if name == "paymentterms":
        # Any 4 characters by the document; a number of days natively ("abcd" fails there).
        return int(value) if is_digits(value) else value
    if name == "references":
        return [ref.model_dump(exclude_none=True) for ref in value]
    return value


def _address(slot: str, given: TimeWaveAddressIn) -> ClientAddressIn:
    """One address object as a native address with the kind's flags (and the kind remembered)."""
    sent = given.model_dump()
    delivery, invoice = SLOTS[slot]
    metadata = {ADDRESS_TYPE_KEY: slot}
    metadata |= {f"timewave.{key}": sent[key] for key in ADDRESS_META if sent[key] is not None}
    values = {native: sent[name] for name, native in ADDRESS_FIELDS.items()}
    values |= {"isDelivery": delivery, "isInvoice": invoice, "metadata": metadata}
    renames = {native: f"{slot}.{name}" for name, native in ADDRESS_FIELDS.items()}
    _check_metadata_lengths(metadata, lambda key: f"{slot}.{key.removeprefix('timewave.')}")
    return _native(ClientAddressIn, values, renames)


def _check_metadata_lengths(metadata: Mapping[str, Any], name_of: Any) -> None:
    issues = [
        FieldIssue(
            name_of(key),
            f"The :attribute field must not be greater than {METADATA_VALUE_MAX} characters.",
        )
        for key, value in metadata.items()
        if isinstance(value, str) and len(value) > METADATA_VALUE_MAX
    ]
    if issues:
        raise Invalid(summary(issues), details=issues)


_META_NAMES = {home.meta: name for name, home in FIELDS.items() if home.meta}


def _native(
    schema: type[NativeT], values: dict[str, Any], renames: Mapping[str, str] | None = None
) -> NativeT:
    """The values validated by the native schema; failures named in TimeWave's terms."""
    if isinstance(values.get("metadata"), dict):
        _check_metadata_lengths(values["metadata"], lambda key: _META_NAMES.get(key, key))
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        issues = []
        for issue in validation_issues([dict(error) for error in exc.errors()]):
            name = timewave_field(issue.field, renames)
            issues.append(FieldIssue(name, NATIVE_MESSAGES.get(name, issue.message)))
        raise Invalid(summary(issues), details=issues) from None


_PATH_HEAD = re.compile(r"^([A-Za-z0-9_]+)(.*)$")


def timewave_field(path: str, renames: Mapping[str, str] | None = None) -> str:
    """A native field path in TimeWave's terms: `billingEmail` -> `secondary_email`,
    `references[0].name` -> `references.0.name`."""
    match = _PATH_HEAD.match(path)
    if match is None:
        return path
    head, rest = match.groups()
    head = (renames or {}).get(head) or TO_TIMEWAVE.get(head, head)
    return head + re.sub(r"\[(\d+)\]", r".\1", rest)


def summary(issues: Sequence[FieldIssue]) -> str:
    return "; ".join(f"{issue.field}: {issue.message}" for issue in issues)


# ---------------------------------------------------------------- answers


def to_timewave_client(
    client: Client,
    client_type: ClientType | None,
    *,
    addresses: Sequence[Mapping[str, Any]] = (),
    contacts: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A client as TimeWave's JSON, in the document's field order."""
    meta = client.meta or {}
    kind = {"id": client_type.number, "name": client_type.name} if client_type else None
    bank_id = _as_int(meta.get("timewave.bank_id"))
    bank = None
    if bank_id is not None:
        bank = {"id": bank_id} | {
            key: _as_text(meta.get(f"timewave.bank.{key}")) for key in ("bid", "enar", "name")
        }
    return {
        "id": client.number,
        "clienttype": kind,
        "clienttype_id": kind["id"] if kind else None,
        "status": STATUS_NAMES.get(client.status, client.status.lower()),
        "title": client.name,
        "number": _as_text(meta.get("timewave.number")),
        "deleted": client.deleted_at is not None,
        "phone": client.phone,
        "mobile": client.mobile,
        "paymentterms": None if client.payment_terms is None else str(client.payment_terms),
        "email": client.email,
        "clientnbr": client.number,
        "employee_id": _as_int(meta.get("timewave.employee_id")),
        "paymenttype": PAYMENT_CODES.get(client.payment_type or ""),
        "hourpot": _as_number(meta.get("timewave.hourpot")),
        "fax": client.fax,
        "vat": client.vat_number,
        "workphone": client.work_phone,
        "has_hourpot": _as_bool(meta.get("timewave.has_hourpot")),
        "secondary_email": client.billing_email,
        "www": client.website,
        "invoicetemplate_id": _as_int(meta.get("timewave.invoicetemplate_id")),
        "first_name": client.first_name,
        "last_name": client.last_name,
        "company_name": client.company_name,
        "personal_number": client.personal_number,
        "invoice_fee_id": _as_int(meta.get("timewave.invoice_fee_id")),
        "bank": bank,
        "bank_id": bank_id,
        "addresses": [to_timewave_address(address, client.number) for address in addresses],
        "contacts": [to_timewave_contact(contact, kind) for contact in contacts],
        "full_reduction_pot": _as_int(meta.get("timewave.full_reduction_pot")),
        "taxreduction_percentage": _as_number(meta.get("timewave.taxreduction_percentage")),
        "reference_name": _as_text(meta.get("timewave.reference_name")),
        "references": [_reference(ref) for ref in client.references or ()],
        "comment": client.additional_information,
    }


def to_timewave_address(address: Mapping[str, Any], client_number: int) -> dict[str, Any]:
    """A native address (as the native API shows it) as an item of TimeWave's `addresses`."""
    meta = address.get("metadata") or {}
    workarea_id = _as_int(meta.get("timewave.workarea_id"))
    workarea = None
    if workarea_id is not None:
        workarea = {"id": workarea_id, "name": _as_text(meta.get("timewave.workarea.name"))}
    return {
        "id": address["number"],
        "client_id": client_number,
        "address": address.get("streetAndNumber") or address.get("street"),
        "co_address": address.get("coAddress"),
        "city": address.get("city"),
        "deleted": False,
        "is_delivery": bool(address.get("isDelivery")),
        "is_invoice": bool(address.get("isInvoice")),
        "postal_code": address.get("postalCode"),
        "port_code": _as_text(meta.get("timewave.port_code")),
        "alarm_code": _as_text(meta.get("timewave.alarm_code")),
        "housing_association": _as_text(meta.get("timewave.housing_association")),
        "workarea": workarea,
        "address_type": _as_text(meta.get(ADDRESS_TYPE_KEY)),
    }


def to_timewave_contact(
    contact: Mapping[str, Any], client_type: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A native contact person (as the native API shows it) as an item of TimeWave's
    `contacts`; its tax-reduction fields come from its metadata."""
    meta = contact.get("metadata") or {}
    return {
        "id": contact["number"],
        "firstname": contact.get("firstName"),
        "lastname": contact.get("lastName"),
        "title": contact.get("jobTitle"),
        "phone": contact.get("phone"),
        "mobile": contact.get("mobile"),
        "email": contact.get("email"),
        "fax": contact.get("fax"),
        "workphone": contact.get("workPhone"),
        "taxreduction_percentage": _as_number(meta.get("timewave.taxreduction_percentage")),
        "full_reduction_pot": _as_int(meta.get("timewave.full_reduction_pot")),
        "personal_number": contact.get("personalNumber"),
        "clienttype": client_type,
    }


def _reference(ref: Mapping[str, Any]) -> dict[str, Any]:
    ref_id = ref.get("id")
    if isinstance(ref_id, str) and is_digits(ref_id):
        ref_id = int(ref_id)
    return {"id": ref_id, "name": ref.get("name"), "description": ref.get("description")}


# Metadata can be written natively with any scalar; a value TimeWave cannot show is null.


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value):
        return int(value)
    return None


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}(\.[0-9]{1,12})?", value):
        return float(value) if "." in value else int(value)
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    return str(value) if isinstance(value, str | int | float) else None
