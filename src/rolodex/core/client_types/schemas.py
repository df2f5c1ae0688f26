"""Client type bodies: create, update (PATCH) and read."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field

from rolodex.core import readonly
from rolodex.core.schemas import InputModel, ListMeta, OutputModel
from rolodex.core.validation import Name, TextRule, Timestamp

Description = Annotated[str, TextRule(10_000)]
READ_ONLY = ("id", "number", "created_at", "updated_at")
EXAMPLE: dict[str, Any] = {"name": "Family", "description": "Private households"}


class ClientTypeFields(InputModel):
    """Every writable field; each optional here (absent = unchanged on PATCH)."""

    name: Name | None = Field(
        default=None,
        description="1..255 characters, unique in the organization regardless of case",
        examples=["Family"],
    )
    description: Description | None = Field(default=None, examples=["Private households"])

    # Read-only, ignored when unchanged.
    id: Any = readonly.field()
    number: Any = readonly.field()
    created_at: Any = readonly.field()
    updated_at: Any = readonly.field()


class ClientTypeCreate(ClientTypeFields):
    """A new client type. `name` is required."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    name: Name = Field(
        description="1..255 characters, unique in the organization regardless of case",
        examples=["Family"],
    )


class ClientTypeUpdate(ClientTypeFields):
    """A partial update: absent fields stay as they are, `null` clears the description."""

    model_config = {"json_schema_extra": {"examples": [{"description": "Households"}]}}


class ClientTypeRead(OutputModel):
    """A client type as the API shows it."""

    id: UUID
    number: int = Field(description="per-organization sequence")
    name: str
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp


class ClientTypeList(OutputModel):
    data: list[ClientTypeRead]
    meta: ListMeta
