"""Client bodies: create, update (PATCH), replace (PUT by external id) and read."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, field_validator

from rolodex.core.addresses.schemas import AddressRead, ClientAddressIn
from rolodex.core.contacts.schemas import ClientContactPersonIn, ContactPersonRead
from rolodex.core.enums import ClientKind, ClientStatus, Creditworthiness, PartnerType, PaymentType
from rolodex.core.schemas import ExternalIdRef, InputModel, ListMeta, OutputModel, PointRead
from rolodex.core.validation import (
    CountryCode,
    Email,
    Fax,
    Metadata,
    Money,
    Name,
    PaymentTermsDays,
    Phone,
    Point,
    ProvinceCode,
    Tags,
    TextRule,
    Timestamp,
    WebsiteUrl,
)

Short = Annotated[str, TextRule(255)]
Long = Annotated[str, TextRule(10_000)]
Code = Annotated[str, TextRule(32)]
Text64 = Annotated[str, TextRule(64)]
Text1000 = Annotated[str, TextRule(1000)]

# Fields the server owns: accepted in a write body (so a GET result can be sent back) but only
# when unchanged; see service.check_read_only.
READ_ONLY = (
    "id",
    "number",
    "display_name",
    "organization",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
    "archived_at",
)

EXAMPLE: dict[str, Any] = {
    "name": "Acme Construction Ltd",
    "kind": "COMPANY",
    "email": "office@acme.example",
    "phone": "+46 8 555 010 20",
    "street": "Storgatan",
    "streetAndNumber": "Storgatan 12",
    "postalCode": "111 22",
    "city": "Stockholm",
    "country": "SE",
    "paymentTerms": 30,
    "paymentType": "EMAIL",
    "billingEmail": "invoices@acme.example",
    "creditLimit": 50000,
    "partnerType": "CONSTRUCTION",
    "status": "ACTIVE",
    "externalId": "ERP-10042",
    "tags": ["vip"],
    "metadata": {"erpSystem": "sap"},
}


class Reference(InputModel):
    id: int | str | None = Field(default=None, description="assigned when absent")
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)


class ClientFields(InputModel):
    """Every writable client field; each optional here (absent = unchanged on PATCH)."""

    name: Name | None = Field(default=None, description="1..255 characters", examples=["Acme"])
    long_name: Short | None = None
    kind: ClientKind | None = Field(default=None, description="COMPANY (default) or PERSON")
    first_name: Short | None = None
    last_name: Short | None = None
    company_name: Short | None = None
    external_id: Short | None = Field(
        default=None, description='unique per organization; "" = none'
    )
    custom_price_id: Short | None = None
    credit_limit: Money | None = None
    used_limit: Money | None = None
    payment_terms: PaymentTermsDays | None = Field(default=None, description="days, 0..3650")
    payment_type: PaymentType | None = None
    billing_email: Email | None = Field(
        default=None, description="required when paymentType is EMAIL"
    )
    additional_information: Long | None = None
    frame_contract: bool | None = None
    self_insurance: bool | None = None
    pricing: Text1000 | None = None
    website: WebsiteUrl | None = None
    fax: Fax | None = None
    phone: Phone | None = None
    mobile: Phone | None = None
    work_phone: Phone | None = None
    email: Email | None = Field(
        default=None, description="unique per organization (case-insensitive)"
    )
    vat_number: Text64 | None = None
    personal_number: Text64 | None = None
    point: Point | None = None
    street: Short | None = None
    street_and_number: Short | None = None
    postal_code: Code | None = None
    city: Short | None = None
    province_code: ProvinceCode | None = Field(default=None, description="ISO 3166-2")
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2 or alpha-3")
    department: Short | None = None
    invoice_addressing: Text1000 | None = None
    partner_type: PartnerType | None = None
    creditworthiness: Creditworthiness | None = None
    status: ClientStatus | None = Field(default=None, description="default ACTIVE")
    client_type_id: UUID | None = None
    tags: Tags | None = None
    metadata: Metadata | None = None
    external_ids: list[ExternalIdRef] | None = Field(default=None, max_length=50)
    custom_fields: dict[str, Any] | None = Field(default=None, max_length=200)
    references: list[Reference] | None = Field(default=None, max_length=200)
    archived: bool | None = None
    structure_id: UUID | None = Field(default=None, description="business unit (UUID)")

    # Read-only, ignored when unchanged.
    id: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})
    number: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})
    display_name: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})
    organization: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})
    version: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})
    created_at: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})
    updated_at: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})
    deleted_at: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})
    archived_at: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})

    @field_validator("external_id", mode="after")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("external_ids", mode="after")
    @classmethod
    def _one_id_per_system(cls, value: list[ExternalIdRef] | None) -> list[ExternalIdRef] | None:
        if value is not None:
            systems = [ref.system for ref in value]
            if len(set(systems)) != len(systems):
                raise ValueError("one id per system")
        return value


class ClientCreate(ClientFields):
    """A new client. `name` is required."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    name: Name = Field(description="1..255 characters", examples=["Acme Construction Ltd"])
    contact_persons: list[ClientContactPersonIn] | None = Field(
        default=None,
        max_length=100,
        description='new contact persons, or {"id", "isMain"} links to existing ones; at most '
        "one main (the first one is main when none is marked); all created with the client or "
        "nothing is; on PUT .../external-id/... the list replaces the client's contacts",
    )
    addresses: list[ClientAddressIn] | None = Field(
        default=None,
        max_length=100,
        description="more addresses besides the client's own (primary) address fields; on PUT "
        ".../external-id/... the list replaces them (items with an `id` are kept)",
    )


class ClientUpdate(ClientFields):
    """A partial update: absent fields stay as they are, `null` clears a field."""

    model_config = {"json_schema_extra": {"examples": [{"creditLimit": 75000, "status": "ACTIVE"}]}}

    contact_persons: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})
    addresses: Any = Field(default=None, exclude=True, json_schema_extra={"readOnly": True})


class ClientRead(OutputModel):
    """A client as the API shows it."""

    id: UUID
    number: int
    name: str
    long_name: str | None
    display_name: str
    kind: ClientKind
    first_name: str | None
    last_name: str | None
    company_name: str | None
    external_id: str | None
    custom_price_id: str | None
    credit_limit: float | None
    used_limit: float | None
    payment_terms: int | None
    payment_type: PaymentType | None
    billing_email: str | None
    additional_information: str | None
    frame_contract: bool | None
    self_insurance: bool | None
    pricing: str | None
    website: str | None
    fax: str | None
    phone: str | None
    mobile: str | None
    work_phone: str | None
    email: str | None
    vat_number: str | None
    personal_number: str | None
    point: PointRead | None
    street: str | None
    street_and_number: str | None
    postal_code: str | None
    city: str | None
    province_code: str | None
    country: str | None
    department: str | None
    invoice_addressing: str | None
    partner_type: PartnerType | None
    creditworthiness: Creditworthiness | None
    status: ClientStatus
    client_type_id: UUID | None
    tags: list[str]
    metadata: dict[str, Any]
    external_ids: list[dict[str, str]]
    custom_fields: dict[str, Any]
    references: list[dict[str, Any]]
    archived: bool
    archived_at: Timestamp | None
    deleted_at: Timestamp | None
    organization: UUID
    structure_id: str | None
    version: int
    created_at: Timestamp
    updated_at: Timestamp
    contact_persons: list[ContactPersonRead] | None = Field(
        default=None,
        description="embedded on a single GET (main first), and in lists with include=",
    )
    addresses: list[AddressRead] | None = Field(
        default=None, description="embedded on a single GET, and in lists with include="
    )


class ClientList(OutputModel):
    data: list[ClientRead]
    meta: ListMeta


IncludeOption = Literal["contactPersons", "addresses"]
