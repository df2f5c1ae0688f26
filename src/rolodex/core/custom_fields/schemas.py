"""Custom-field definition bodies: create, update (PATCH) and read."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StrictBool, StringConstraints, field_validator

from rolodex.core import readonly
from rolodex.core.schemas import InputModel, ListMeta, OutputModel
from rolodex.core.validation import Name, TextRule, Timestamp


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    SINGLECHOICE = "singlechoice"
    MULTIPLECHOICE = "multiplechoice"


CHOICE_TYPES = (FieldType.SINGLECHOICE, FieldType.MULTIPLECHOICE)
KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,39}$"
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Option = Annotated[str, TextRule(255, min_length=1)]
MAX_OPTIONS = 500
READ_ONLY = ("key", "created_at", "updated_at")

EXAMPLE: dict[str, Any] = {
    "key": "segment",
    "label": "Segment",
    "type": "singlechoice",
    "options": ["retail", "wholesale"],
    "required": False,
}


class CustomFieldFields(InputModel):
    """Every writable field; each optional here (absent = unchanged on PATCH)."""

    label: Name | None = Field(
        default=None, description="1..255 characters; default: the key", examples=["Segment"]
    )
    type: FieldType | None = Field(
        default=None,
        description="text (a string of at most 1000 characters), number (a JSON number), "
        "date (YYYY-MM-DD), singlechoice (one of the options), multiplechoice (a list of them)",
    )
    options: list[Option] | None = Field(
        default=None,
        max_length=MAX_OPTIONS,
        description="required (non-empty) for singlechoice and multiplechoice, absent otherwise",
        examples=[["retail", "wholesale"]],
    )
    required: StrictBool | None = Field(
        default=None, description="a client must have a value (checked on create and replace)"
    )

    # Read-only, ignored when unchanged.
    created_at: Any = readonly.field()
    updated_at: Any = readonly.field()

    @field_validator("options", mode="after")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("options must be distinct")
        return value


class CustomFieldCreate(CustomFieldFields):
    """A new definition. `key` and `type` are required."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    key: Key = Field(
        description="stable identifier, unique in the organization regardless of case: "
        "a letter, then up to 39 letters, digits or _",
        examples=["segment"],
    )
    type: FieldType = Field(description="text, number, date, singlechoice or multiplechoice")


class CustomFieldUpdate(CustomFieldFields):
    """A partial update. The key cannot change; a type or options change that would make stored
    values invalid is refused (409)."""

    model_config = {
        "json_schema_extra": {"examples": [{"options": ["retail", "wholesale", "b2b"]}]}
    }

    key: Any = readonly.field()


class CustomFieldRead(OutputModel):
    """A custom-field definition as the API shows it."""

    key: str
    label: str
    type: FieldType
    options: list[str]
    required: bool
    created_at: Timestamp
    updated_at: Timestamp


class CustomFieldList(OutputModel):
    data: list[CustomFieldRead]
    meta: ListMeta
