"""Order bodies: create, update (PATCH) and read."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from annotated_types import Ge, Le
from pydantic import Field, Strict, StrictBool, field_validator

from rolodex.core import readonly
from rolodex.core.enums import OrderStatus
from rolodex.core.schemas import InputModel, ListMeta, OutputModel
from rolodex.core.validation import Metadata, Tags, TextRule, Timestamp

INT_MAX = 2_147_483_647  # the column is a 32-bit integer
OrderType = Annotated[int, Strict(), Ge(0), Le(INT_MAX)]
Quantity = Annotated[int, Strict(), Ge(1), Le(INT_MAX)]
Description = Annotated[str, TextRule(10_000)]
ExternalId = Annotated[str, TextRule(255)]

# Fields the server owns: accepted in a write body only when unchanged.
READ_ONLY = (
    "id",
    "number",
    "submitted_at",
    "archived_at",
    "version",
    "created_at",
    "updated_at",
)

EXAMPLE: dict[str, Any] = {
    "clientId": "0192f0c4-5b7e-7c3a-9d0e-2f6a1b3c4d5e",
    "status": "DRAFT",
    "type": 0,
    "description": "Annual license, 2 seats",
    "quantity": 2,
    "date": "2024-05-28T10:32:28.000Z",
    "externalId": "SO-10016",
    "tags": ["license"],
    "metadata": {"activationlimit": 7, "isdemo": False},
}


class OrderFields(InputModel):
    """Every writable order field; each optional here (absent = unchanged on PATCH)."""

    client_id: UUID | None = Field(
        default=None,
        description="a live client of the organization",
        examples=[EXAMPLE["clientId"]],
    )
    status: OrderStatus | None = Field(
        default=None,
        description="DRAFT (default), SUBMITTED or REVOKED; DRAFT -> SUBMITTED -> REVOKED, "
        "or DRAFT -> REVOKED",
    )
    type: OrderType | None = Field(default=None, description="an integer, default 0")
    description: Description | None = None
    quantity: Quantity | None = Field(default=None, description="a positive integer, default 1")
    date: Timestamp | None = Field(
        default=None, description="the order's date and time; default: when it is created"
    )
    archived: StrictBool | None = Field(default=None, description="archivedAt is set with it")
    external_id: ExternalId | None = Field(
        default=None, description='unique per organization; "" = none', examples=["SO-10016"]
    )
    tags: Tags | None = None
    metadata: Metadata | None = None

    # Read-only, ignored when unchanged.
    id: Any = readonly.field()
    number: Any = readonly.field()
    submitted_at: Any = readonly.field()
    archived_at: Any = readonly.field()
    version: Any = readonly.field()
    created_at: Any = readonly.field()
    updated_at: Any = readonly.field()

    @field_validator("external_id", mode="after")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class OrderCreate(OrderFields):
    """A new order. `clientId` is required."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    client_id: UUID = Field(
        description="a live client of the organization", examples=[EXAMPLE["clientId"]]
    )


class OrderUpdate(OrderFields):
    """A partial update: absent fields stay as they are."""

    model_config = {"json_schema_extra": {"examples": [{"status": "SUBMITTED"}]}}


class OrderRead(OutputModel):
    """An order as the API shows it."""

    id: UUID
    number: int = Field(description="per-organization sequence")
    client_id: UUID
    status: OrderStatus
    type: int
    description: str | None
    quantity: int
    date: Timestamp
    submitted_at: Timestamp | None = Field(description="when it became SUBMITTED")
    archived: bool
    archived_at: Timestamp | None
    external_id: str | None
    tags: list[str]
    metadata: dict[str, Any]
    version: int = Field(description="also the ETag; send it back in If-Match")
    created_at: Timestamp
    updated_at: Timestamp


class OrderList(OutputModel):
    data: list[OrderRead]
    meta: ListMeta
