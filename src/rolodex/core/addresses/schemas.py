"""Address bodies: create, update, the items of a client body, and read."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field

from rolodex.core.schemas import InputModel, ListMeta, OutputModel, PointRead
from rolodex.core.validation import CountryCode, Metadata, Point, ProvinceCode, TextRule, Timestamp

Short = Annotated[str, TextRule(255)]
Code = Annotated[str, TextRule(32)]

READ_ONLY = ("id", "number", "client_id", "created_at", "updated_at")
FLAGS = ("is_delivery", "is_invoice", "is_visiting")

EXAMPLE: dict[str, Any] = {
    "label": "Warehouse",
    "streetAndNumber": "Hamngatan 4",
    "postalCode": "211 22",
    "city": "Malmö",
    "country": "SE",
    "point": {"lng": 13.0038, "lat": 55.6050},
    "isDelivery": True,
    "isInvoice": False,
    "isVisiting": False,
}


def _read_only() -> Any:
    return Field(default=None, exclude=True, json_schema_extra={"readOnly": True})


class AddressFields(InputModel):
    """Every writable address field; each optional (absent = unchanged on PATCH)."""

    label: Short | None = Field(default=None, examples=["Warehouse"])
    street: Short | None = None
    street_and_number: Short | None = Field(default=None, examples=["Hamngatan 4"])
    co_address: Short | None = Field(default=None, description="care of")
    postal_code: Code | None = None
    city: Short | None = None
    province_code: ProvinceCode | None = Field(
        default=None, description="ISO 3166-2; must lie in `country` when both are given"
    )
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2 or alpha-3")
    point: Point | None = None
    is_delivery: bool | None = Field(default=None, description="default false")
    is_invoice: bool | None = Field(default=None, description="default false")
    is_visiting: bool | None = Field(default=None, description="default false")
    metadata: Metadata | None = None

    number: Any = _read_only()
    client_id: Any = _read_only()
    created_at: Any = _read_only()
    updated_at: Any = _read_only()


class AddressCreate(AddressFields):
    """A new address of the client in the URL."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}


class AddressUpdate(AddressFields):
    """A partial update: absent fields stay as they are, `null` clears a field."""

    model_config = {"json_schema_extra": {"examples": [{"isInvoice": True}]}}

    id: Any = _read_only()


class ClientAddressIn(AddressFields):
    """An item of a client body's `addresses`."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    id: UUID | None = Field(
        default=None,
        description="on PUT .../external-id/..., an address of that client to keep (replaced)",
    )


class AddressRead(OutputModel):
    """An address as the API shows it."""

    id: UUID
    number: int
    client_id: UUID
    label: str | None
    street: str | None
    street_and_number: str | None
    co_address: str | None
    postal_code: str | None
    city: str | None
    province_code: str | None
    country: str | None
    point: PointRead | None
    is_delivery: bool
    is_invoice: bool
    is_visiting: bool
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp


class AddressList(OutputModel):
    data: list[AddressRead]
    meta: ListMeta
