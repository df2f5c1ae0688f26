"""TimeWave's wire format: the clients register's fields and the rules of its table (seeds/003).

Every writable field is checked by the document's own rules first (rules.py); the native rules
apply afterwards, when mapping.py builds the core schema. Field names are the document's
(snake_case, `paymenttype` in answers but `payment_type` in bodies).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from rolodex.dialects.timewave.rules import (
    Rules,
    at_least,
    boolean,
    email,
    integer,
    max_chars,
    numeric,
    one_of,
    positive,
    string,
    url,
)

STATUS_NAMES = ("prospect", "active", "inactive", "deleted")
PAYMENT_CODES = (1, 2, 3, 4, 7, 8, 9)


def _text(limit: int | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"], **extra}
    if limit is not None:
        schema["maxLength"] = limit
    return schema


_INTEGER = {"type": ["integer", "null"]}
_NUMBER = {"type": ["number", "null"], "minimum": 0}

Status = Annotated[
    Any, Rules(string, one_of(STATUS_NAMES), schema=_text(enum=[*STATUS_NAMES, None]))
]
Text32 = Annotated[Any, Rules(string, max_chars(32), schema=_text(32))]
Text45 = Annotated[Any, Rules(string, max_chars(45), schema=_text(45))]
Text64 = Annotated[Any, Rules(string, max_chars(64), schema=_text(64))]
Text128 = Annotated[Any, Rules(string, max_chars(128), schema=_text(128))]
Text255 = Annotated[Any, Rules(string, max_chars(255), schema=_text(255))]
Text = Annotated[Any, Rules(string, schema=_text())]
Terms = Annotated[Any, Rules(string, max_chars(4), schema=_text(4, pattern="^[0-9]{1,4}$"))]
EmailText = Annotated[Any, Rules(string, email, max_chars(245), schema=_text(245, format="email"))]
BillingEmail = Annotated[Any, Rules(string, max_chars(245), schema=_text(245, format="email"))]
Website = Annotated[Any, Rules(string, max_chars(255), url, schema=_text(255, format="uri"))]
Integer = Annotated[Any, Rules(integer, schema=_INTEGER)]
SomeId = Annotated[Any, Rules(integer, positive, schema=_INTEGER | {"minimum": 1})]
Count = Annotated[Any, Rules(integer, at_least(0), schema=_INTEGER | {"minimum": 0})]
Amount = Annotated[Any, Rules(numeric, at_least(0), schema=_NUMBER)]
Flag = Annotated[Any, Rules(boolean, schema={"type": ["boolean", "null"]})]
PaymentCode = Annotated[
    Any, Rules(integer, one_of(PAYMENT_CODES), schema={"enum": [*PAYMENT_CODES, None]})
]

EXAMPLE_ADDRESS: dict[str, Any] = {
    "address": "Storgatan 12",
    "postal_code": "111 22",
    "city": "Stockholm",
    "workarea_id": 2,
}
EXAMPLE_CREATE: dict[str, Any] = {
    "status": "active",
    "title": "Andersson Bygg AB",
    "number": "1001",
    "phone": "08-555 010 20",
    "mobile": "070-555 01 02",
    "paymentterms": "30",
    "email": "info@example.com",
    "employee_id": 12,
    "payment_type": 2,
    "hourpot": 40.5,
    "fax": "08-555 010 29",
    "vat": "SE556677889901",
    "workphone": "08-555 010 21",
    "has_hourpot": True,
    "secondary_email": "invoices@example.com",
    "www": "https://www.example.com",
    "invoicetemplate_id": 3,
    "first_name": "Karin",
    "last_name": "Andersson",
    "company_name": "Andersson Bygg AB",
    "personal_number": "556677-8899",
    "invoice_fee_id": 1,
    "address": EXAMPLE_ADDRESS,
    "delivery_address": {"address": "Hamngatan 4", "postal_code": "211 22", "city": "Malmö"},
    "invoice_address": {"address": "Box 123", "postal_code": "111 23", "city": "Stockholm"},
    "bank_id": 5,
    "full_reduction_pot": 0,
    "taxreduction_percentage": 30,
    "reference_name": "Karin Andersson",
    "references": [{"name": "Order", "description": "Purchase order 4711"}],
    "comment": "Key at the reception",
}
EXAMPLE_UPDATE: dict[str, Any] = {
    "status": "inactive",
    "paymentterms": "15",
    "payment_type": 1,
    "references": [{"id": 1, "name": "Order", "description": "Purchase order 4712"}],
}

_IGNORED = "read-only: accepted (so a fetched record can be sent back) and ignored"


def _read_only() -> Any:
    return Field(
        default=None, exclude=True, description=_IGNORED, json_schema_extra={"readOnly": True}
    )


class TimeWaveInput(BaseModel):
    """A TimeWave body: the document's names; an unknown field is a 422 naming it."""

    model_config = ConfigDict(extra="forbid")

    def given(self) -> dict[str, Any]:
        """The fields the caller sent (absent = unchanged), by name."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class TimeWaveAddressIn(TimeWaveInput):
    """`address`, `delivery_address` or `invoice_address`: creates (or on PUT replaces) the
    client's address of that kind."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ADDRESS]})

    address: Text = Field(default=None, description="street and number", examples=["Storgatan 12"])
    postal_code: Text = Field(default=None, examples=["111 22"])
    city: Text = Field(default=None, examples=["Stockholm"])
    workarea_id: Integer = Field(default=None, description="TimeWave's work area", examples=[2])
    co_address: Text = Field(default=None, description="care of (not in the document's list)")
    port_code: Text = Field(default=None, description="door code (not in the document's list)")
    alarm_code: Text = Field(default=None, description="(not in the document's list)")
    housing_association: Text = Field(default=None, description="(not in the document's list)")


class TimeWaveReferenceNew(TimeWaveInput):
    """A reference on POST: `name` required, no `id` (one is assigned)."""

    id: Annotated[Any, Rules(prohibited=True, schema={"not": {}})] = Field(
        default=None, description="must not be given on POST"
    )
    name: Annotated[Any, Rules(string, max_chars(64), required=True, schema=_text(64))] = Field(
        description="required, at most 64 characters", examples=["Order"]
    )
    description: Text255 = Field(default=None, examples=["Purchase order 4711"])


class TimeWaveReference(TimeWaveInput):
    """A reference on PUT: `id` and `name` required; the list replaces the client's."""

    id: Annotated[Any, Rules(integer, required=True, schema={"type": "integer"})] = Field(
        description="required on PUT", examples=[1]
    )
    name: Annotated[Any, Rules(string, max_chars(64), required=True, schema=_text(64))] = Field(
        description="required, at most 64 characters", examples=["Order"]
    )
    description: Text255 = Field(default=None, examples=["Purchase order 4711"])


class TimeWaveClientUpdate(TimeWaveInput):
    """A PUT body: any subset of the fields; absent ones stay as they are, null clears one."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_UPDATE]})

    status: Status = Field(default=None, description="prospect, active, inactive or deleted")
    title: Text255 = Field(
        default=None,
        description="the client's name; when absent, company_name, else first and last name",
    )
    number: Text32 = Field(default=None, description="TimeWave's own client number (text)")
    phone: Text45 = None
    mobile: Text45 = None
    paymentterms: Terms = Field(default=None, description="days, as text: 0 to 3650")
    email: EmailText = None
    employee_id: SomeId = None
    payment_type: PaymentCode = Field(
        default=None,
        description="1 print, 2 email, 3 autogiro, 4 e-print, 7 e-invoice, 8 EDI, 9 Kivra",
    )
    paymenttype: PaymentCode = Field(
        default=None, description="the answers' name of payment_type, accepted as well"
    )
    hourpot: Amount = None
    fax: Text128 = None
    vat: Text45 = None
    workphone: Text45 = None
    has_hourpot: Flag = None
    secondary_email: BillingEmail = Field(
        default=None, description="billing email address; required when payment_type is 2"
    )
    www: Website = None
    invoicetemplate_id: SomeId = None
    first_name: Text64 = None
    last_name: Text64 = None
    company_name: Text128 = None
    personal_number: Text45 = None
    invoice_fee_id: Integer = None
    address: TimeWaveAddressIn | None = None
    delivery_address: TimeWaveAddressIn | None = None
    invoice_address: TimeWaveAddressIn | None = None
    bank_id: SomeId = None
    clienttype_id: Integer = Field(
        default=None, description="the number of one of the organization's client types"
    )
    full_reduction_pot: Count = Field(
        default=None, description="0 yes, 1 no (used up this year), 2 no (never)"
    )
    taxreduction_percentage: Amount = None
    reference_name: Text = None
    references: list[TimeWaveReference] | None = Field(
        default=None, description="replaces the client's references", max_length=200
    )
    comment: Text255 = None

    id: Any = _read_only()
    clientnbr: Any = _read_only()
    deleted: Any = _read_only()
    clienttype: Any = _read_only()
    bank: Any = _read_only()
    addresses: Any = _read_only()
    contacts: Any = _read_only()


class TimeWaveClientIn(TimeWaveClientUpdate):
    """A POST body: title, company_name, first_name or last_name is required."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CREATE]})

    references: list[TimeWaveReferenceNew] | None = Field(  # type: ignore[assignment]
        default=None, description="new references: name required, no id", max_length=200
    )


# ---------------------------------------------------------------- answers


class TimeWaveClientType(BaseModel):
    id: int = Field(description="the client type's number", examples=[1])
    name: str = Field(examples=["Company"])


class TimeWaveBank(BaseModel):
    id: int = Field(examples=[5])
    bid: str | int | None = None
    enar: str | int | None = None
    name: str | None = None


class TimeWaveWorkarea(BaseModel):
    id: int = Field(examples=[2])
    name: str | None = None


class TimeWaveAddress(BaseModel):
    id: int = Field(description="the address's number", examples=[1])
    client_id: int = Field(description="the client's id", examples=[1])
    address: str | None
    co_address: str | None
    city: str | None
    deleted: bool = Field(description="always false: a removed address is gone")
    is_delivery: bool
    is_invoice: bool
    postal_code: str | None
    port_code: str | None
    alarm_code: str | None
    housing_association: str | None
    workarea: TimeWaveWorkarea | None
    address_type: str | None = Field(
        description="address, delivery_address or invoice_address: the body field that made it"
    )


class TimeWaveContact(BaseModel):
    id: int = Field(description="the contact person's number", examples=[1])
    firstname: str | None
    lastname: str | None
    title: str | None = Field(description="job title")
    phone: str | None
    mobile: str | None
    email: str | None
    fax: str | None
    workphone: str | None
    taxreduction_percentage: int | float | None
    full_reduction_pot: int | None
    personal_number: str | None
    clienttype: TimeWaveClientType | None = Field(description="the client's type")


class TimeWaveReferenceRead(BaseModel):
    id: int | str
    name: str
    description: str | None = None


class TimeWaveClient(BaseModel):
    """A client as TimeWave shows it."""

    id: int = Field(description="the client's number in the organization", examples=[1])
    clienttype: TimeWaveClientType | None
    clienttype_id: int | None
    status: str = Field(examples=["active"])
    title: str
    number: str | None
    deleted: bool = Field(description="whether the client was deleted (not the status)")
    phone: str | None
    mobile: str | None
    paymentterms: str | None
    email: str | None
    clientnbr: int = Field(description="the same as id")
    employee_id: int | None
    paymenttype: int | None
    hourpot: int | float | None
    fax: str | None
    vat: str | None
    workphone: str | None
    has_hourpot: bool | None
    secondary_email: str | None
    www: str | None
    invoicetemplate_id: int | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    personal_number: str | None
    invoice_fee_id: int | None
    bank: TimeWaveBank | None
    bank_id: int | None
    addresses: list[TimeWaveAddress]
    contacts: list[TimeWaveContact]
    full_reduction_pot: int | None
    taxreduction_percentage: int | float | None
    reference_name: str | None
    references: list[TimeWaveReferenceRead]
    comment: str | None


class TimeWaveClientOne(BaseModel):
    """One client."""

    data: TimeWaveClient


class TimeWaveListMeta(BaseModel):
    current_page: int = Field(examples=[1])
    per_page: int = Field(examples=[15])
    total: int = Field(examples=[1])
    last_page: int = Field(examples=[1])


class TimeWaveClientList(BaseModel):
    """One page of clients."""

    data: list[TimeWaveClient]
    meta: TimeWaveListMeta


class TimeWaveValidationError(BaseModel):
    """A validation failure: the error DTO plus Laravel's `errors`."""

    status: int = Field(examples=[422])
    success: bool = Field(examples=[False])
    message: str = Field(examples=["The title field must not be greater than 255 characters."])
    error: str = Field(examples=["VALIDATION_ERROR"])
    details: list[dict[str, str]]
    requestId: str  # noqa: N815 (the DTO's name)
    errors: dict[str, list[str]] = Field(
        examples=[{"title": ["The title field must not be greater than 255 characters."]}]
    )
