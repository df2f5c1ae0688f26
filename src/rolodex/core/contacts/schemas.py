"""Contact person bodies: create, update, link, the items of a client body, and read."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, field_validator

from rolodex.core.enums import Gender
from rolodex.core.schemas import ExternalIdRef, InputModel, ListMeta, OutputModel
from rolodex.core.validation import (
    CountryCode,
    Email,
    Fax,
    Metadata,
    Name,
    Phone,
    Tags,
    TextRule,
    Timestamp,
)

Short = Annotated[str, TextRule(255)]
Code = Annotated[str, TextRule(32)]
Text64 = Annotated[str, TextRule(64)]

# Fields the server owns: accepted in a write body (so a GET result can be sent back) and
# ignored on create; on PATCH a changed value is a 400.
READ_ONLY = ("id", "number", "client_id", "client_ids", "version", "created_at", "updated_at")

EXAMPLE: dict[str, Any] = {
    "firstName": "Anna",
    "lastName": "Lindqvist",
    "jobTitle": "Site manager",
    "department": "Operations",
    "email": "anna.lindqvist@acme.example",
    "phone": "+46 8 555 010 21",
    "mobile": "+46 70 555 01 02",
    "gender": "FEMALE",
    "isMain": True,
    "externalId": "ERP-CP-77",
    "tags": ["site"],
}


def _read_only() -> Any:
    return Field(default=None, exclude=True, json_schema_extra={"readOnly": True})


class ContactPersonFields(InputModel):
    """Every writable contact person field; each optional (absent = unchanged on PATCH)."""

    name: Name | None = Field(
        default=None,
        description="1..255 characters; derived from firstName + lastName when not given",
        examples=["Anna Lindqvist"],
    )
    first_name: Short | None = Field(default=None, examples=["Anna"])
    last_name: Short | None = Field(default=None, examples=["Lindqvist"])
    job_title: Short | None = Field(default=None, examples=["Site manager"])
    department: Short | None = None
    email: Email | None = Field(default=None, examples=["anna@acme.example"])
    email2: Email | None = None
    phone: Phone | None = Field(default=None, examples=["+46 8 555 010 21"])
    phone2: Phone | None = None
    mobile: Phone | None = None
    fax: Fax | None = None
    work_phone: Phone | None = None
    gender: Gender | None = Field(default=None, description="MALE, FEMALE or UNKNOWN")
    salutation: Short | None = None
    street: Short | None = None
    postal_code: Code | None = None
    city: Short | None = None
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2 or alpha-3")
    personal_number: Text64 | None = None
    is_main: bool | None = Field(
        default=None,
        description="main contact of the client in the URL (at most one per client)",
    )
    external_id: Short | None = Field(
        default=None, description='unique per organization; "" = none'
    )
    external_ids: list[ExternalIdRef] | None = Field(default=None, max_length=50)
    tags: Tags | None = None
    metadata: Metadata | None = None

    # Read-only, see READ_ONLY.
    number: Any = _read_only()
    client_id: Any = _read_only()
    client_ids: Any = _read_only()
    version: Any = _read_only()
    created_at: Any = _read_only()
    updated_at: Any = _read_only()

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


class ContactPersonCreate(ContactPersonFields):
    """A new contact person for the client in the URL; `name` or a first/last name is needed."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}


class ContactPersonUpdate(ContactPersonFields):
    """A partial update: absent fields stay as they are, `null` clears a field."""

    model_config = {"json_schema_extra": {"examples": [{"jobTitle": "CFO", "isMain": True}]}}

    id: Any = _read_only()


UPSERT_EXAMPLE: dict[str, Any] = {
    "clientId": "0192f0c4-0000-7000-8000-000000000000",
    "firstName": "Anna",
    "lastName": "Lindqvist",
    "jobTitle": "Site manager",
    "email": "anna.lindqvist@acme.example",
    "phone": "+46 8 555 010 21",
    "isMain": True,
    "externalIds": [{"system": "crm", "id": "C-881"}],
}


class ContactPersonUpsert(ContactPersonCreate):
    """A whole contact person for PUT by external id: fields left out are cleared on a replace.

    `clientId` names the live client a new contact is created for (required then); on a replace
    it is optional, links the contact to that client too when it is not yet, and is the client
    the answer (and `isMain`) is about.
    """

    model_config = {"json_schema_extra": {"examples": [UPSERT_EXAMPLE]}}

    client_id: UUID | None = Field(
        default=None,
        description="the client to create the contact for (required when it is new); "
        "on a replace, a client to link it to as well",
        examples=["0192f0c4-0000-7000-8000-000000000000"],
    )


class ClientContactPersonIn(ContactPersonFields):
    """An item of a client body's `contactPersons`: a new contact, or `{"id", "isMain"}`."""

    model_config = {
        "json_schema_extra": {
            "examples": [EXAMPLE, {"id": "0192f0c4-0000-7000-8000-000000000001", "isMain": False}]
        }
    }

    id: UUID | None = Field(
        default=None,
        description="links an existing contact person; other fields given with it update it",
    )


class ContactLinkBody(InputModel):
    """Link an existing contact person of the organization to the client in the URL."""

    model_config = {"json_schema_extra": {"examples": [{"isMain": True}]}}

    is_main: bool | None = Field(
        default=None,
        description="make it the client's main contact (the first contact of a client always is)",
    )


class ContactPersonRead(OutputModel):
    """A contact person as the API shows it."""

    id: UUID
    number: int
    name: str
    first_name: str | None
    last_name: str | None
    job_title: str | None
    department: str | None
    email: str | None
    email2: str | None
    phone: str | None
    phone2: str | None
    mobile: str | None
    fax: str | None
    work_phone: str | None
    gender: Gender | None
    salutation: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    personal_number: str | None
    is_main: bool | None = Field(description="whether it is the main contact of `clientId`")
    external_id: str | None
    external_ids: list[dict[str, str]]
    client_id: UUID | None = Field(
        description="the client in the URL; at the top level the client it was first linked to"
    )
    client_ids: list[UUID] = Field(description="every (not deleted) client it is linked to")
    tags: list[str]
    metadata: dict[str, Any]
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class ContactPersonList(OutputModel):
    data: list[ContactPersonRead]
    meta: ListMeta
