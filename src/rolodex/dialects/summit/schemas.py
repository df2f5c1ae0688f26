"""Summit's wire format: the clients document's field names and types, nothing more.

Types are the document's own (string, integer); the native rules (email syntax, lengths,
0..3650 days) apply when mapping.py builds the core schema from these.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rolodex.core.schemas import InputModel, OutputModel
from rolodex.core.validation import Timestamp

# The document's examples. Its emails were scrambled to "[email protected]" by the page it was
# saved from; real addresses stand in for them (see docs/dialects/summit.md).
EXAMPLE_CREATE: dict[str, Any] = {
    "name": "New Client Beta",
    "email": "beta@example.com",
    "phone": "555-0102",
    "address": "456 Beta Rd, Betatown",
    "paymentTerms": 15,
}
EXAMPLE_UPDATE: dict[str, Any] = {"name": "Updated Client Beta", "paymentTerms": 45}
EXAMPLE_CLIENT: dict[str, Any] = {
    "id": 2,
    "companyId": 1,
    **EXAMPLE_CREATE,
    "createdAt": "2023-10-27T10:00:00.000Z",
    "updatedAt": "2023-10-27T10:00:00.000Z",
    "softDelete": False,
}

_READ_ONLY: dict[str, Any] = {"readOnly": True}
_IGNORED = "read-only: accepted (so a fetched record can be sent back) and ignored"


class SummitClientUpdate(InputModel):
    """A Summit update body (`PUT`): any subset of the fields; absent ones stay as they are."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_UPDATE]})

    name: str | None = Field(
        default=None, description="Name of the client (1..255 characters)", examples=["Acme"]
    )
    email: str | None = Field(
        default=None,
        description="Email address; unique within the company (409 otherwise)",
        examples=["beta@example.com"],
    )
    phone: str | None = Field(
        default=None, description="Phone number, kept as given", examples=["555-0102"]
    )
    address: str | None = Field(
        default=None,
        description="The address as one line, answered exactly as given (at most 255 characters)",
        examples=["456 Beta Rd, Betatown"],
    )
    payment_terms: int | None = Field(
        default=None, strict=True, description="Payment terms in days (0..3650)", examples=[30]
    )

    id: Any = Field(default=None, exclude=True, description=_IGNORED, json_schema_extra=_READ_ONLY)
    company_id: Any = Field(
        default=None, exclude=True, description=_IGNORED, json_schema_extra=_READ_ONLY
    )
    created_at: Any = Field(
        default=None, exclude=True, description=_IGNORED, json_schema_extra=_READ_ONLY
    )
    updated_at: Any = Field(
        default=None, exclude=True, description=_IGNORED, json_schema_extra=_READ_ONLY
    )
    soft_delete: Any = Field(
        default=None, exclude=True, description=_IGNORED, json_schema_extra=_READ_ONLY
    )


class SummitClientIn(SummitClientUpdate):
    """A new Summit client: `name` is required, every other field optional."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CREATE]})

    name: str = Field(description="Name of the client (1..255 characters)", examples=["Acme"])


class SummitClient(OutputModel):
    """A client as Summit shows it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CLIENT]})

    id: int = Field(description="The client's number within the company", examples=[2])
    company_id: int = Field(description="The company's (organization's) number", examples=[1])
    name: str
    email: str | None
    phone: str | None
    address: str | None = Field(description="One line, as it was given")
    payment_terms: int | None = Field(description="days")
    created_at: Timestamp
    updated_at: Timestamp
    soft_delete: bool = Field(description="true only in the answer to DELETE")


class SummitListMeta(OutputModel):
    total: int = Field(examples=[1])
    page: int = Field(examples=[1])
    limit: int = Field(examples=[5])
    page_count: int = Field(examples=[1])


class SummitClientList(OutputModel):
    """One page of clients."""

    data: list[SummitClient]
    meta: SummitListMeta


class SummitListParams(BaseModel):
    """The list parameters the document names; any other query parameter is ignored."""

    model_config = ConfigDict(extra="ignore")

    page: int | None = Field(default=None, description="Page number, from 1", examples=[1])
    limit: int | None = Field(
        default=None, description="Clients per page (1..200, default 20)", examples=[5]
    )
    sort: str | None = Field(
        default=None,
        description="Field to sort by: id, name, email, phone, paymentTerms, createdAt or "
        "updatedAt (default: newest first)",
        examples=["name"],
    )
    order: str | None = Field(default=None, description="asc or desc", examples=["desc"])
    q: str | None = Field(
        default=None, description="Search term matched against name or email", examples=["alpha"]
    )
