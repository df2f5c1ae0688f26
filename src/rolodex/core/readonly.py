"""Read-only fields in write bodies: a record fetched and sent back as is must be accepted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from pydantic.alias_generators import to_camel

from rolodex.core.clock import format_timestamp
from rolodex.core.errors import FieldIssue, Invalid


def field() -> Any:
    """A read-only field of an input schema: accepted, excluded, marked readOnly in OpenAPI."""
    return Field(default=None, exclude=True, json_schema_extra={"readOnly": True})


def stamp(value: datetime | None) -> str:
    """A timestamp as the API shows it, for comparing with what a caller sent back."""
    return format_timestamp(value) if value else "None"


def check_unchanged(data: BaseModel, current: Mapping[str, str]) -> None:
    """A 400 naming every read-only field sent with a value other than the current one."""
    issues = [
        FieldIssue(to_camel(name), "read-only field")
        for name, value in current.items()
        if name in data.model_fields_set
        and getattr(data, name) is not None
        and str(getattr(data, name)) != value
    ]
    if issues:
        raise Invalid("Read-only fields cannot be changed", details=issues)
