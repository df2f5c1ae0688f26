"""Shared schema bases: camelCase JSON, unknown fields rejected, examples in OpenAPI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


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
