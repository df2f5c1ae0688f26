"""Shared schema bases: camelCase JSON, unknown fields rejected, examples in OpenAPI."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from rolodex.core.clock import format_timestamp


def json_value(value: Any) -> Any:
    """orjson's `default` for what the read models hold and orjson does not write as they do:
    what the answers and events built with orjson rather than pydantic write (api/http.py's
    `json_response`, events.service.snapshot_json), with `OPT_PASSTHROUGH_DATETIME`."""
    if isinstance(value, UUID):  # asyncpg's own UUID class, which orjson does not know
        return str(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, Decimal):
        return float(value)  # the read models declare money as float
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not JSON: {type(value).__name__}")


class InputModel(BaseModel):
    """A write body: camelCase keys, unknown keys are a 400."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", str_strip_whitespace=True
    )

    def given(self) -> dict[str, Any]:
        """The fields the caller actually sent (absent = unchanged), by attribute name."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class OutputModel(BaseModel):
    """A response body: camelCase keys."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class ExternalIdRef(InputModel):
    """One id of the record in another system."""

    system: str = Field(
        min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$", examples=["sap"]
    )
    id: str = Field(min_length=1, max_length=255, examples=["4711"])


class PointRead(OutputModel):
    """A geographic position in degrees (WGS 84)."""

    lng: float = Field(examples=[4.8952])
    lat: float = Field(examples=[52.3702])


class ListMeta(OutputModel):
    """Paging facts of a list answer."""

    total: int | None = Field(description="null in cursor mode", examples=[134])
    page: int | None = Field(description="null in cursor mode", examples=[1])
    limit: int = Field(examples=[20])
    page_count: int | None = Field(description="null in cursor mode", examples=[7])
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last"
    )

    @classmethod
    def of(cls, page: Any) -> ListMeta:
        """From a listing.Page."""
        return cls(
            total=page.total,
            page=page.page,
            limit=page.limit,
            page_count=page.page_count,
            next_cursor=page.next_cursor,
        )
