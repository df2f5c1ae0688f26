"""How events, the feed and a record's history look over HTTP."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from rolodex.core.schemas import ListMeta, OutputModel
from rolodex.core.validation import Timestamp


class EventActor(OutputModel):
    key_id: UUID | None = Field(description="the API key that made the change (null: the CLI)")


class EventData(OutputModel):
    object: dict[str, Any] = Field(description="the record after the change, as the API shows it")
    previous_attributes: dict[str, Any] | None = Field(
        description="for updates: only the fields that changed, with their old values"
    )


class EventRead(OutputModel):
    """One change, as the feed and webhooks carry it."""

    id: UUID
    sequence: int = Field(description="per organization, strictly increasing", examples=[42])
    type: str = Field(examples=["client.updated"])
    occurred_at: Timestamp
    actor: EventActor
    data: EventData


class EventListMeta(OutputModel):
    limit: int = Field(examples=[100])
    next_after: int = Field(description="pass as `after` for the next page", examples=[42])


class EventList(OutputModel):
    data: list[EventRead]
    meta: EventListMeta


class FieldChange(OutputModel):
    field: str = Field(examples=["city"])
    before: Any = Field(examples=["Oslo"])
    after: Any = Field(examples=["Bergen"])


class HistoryEntry(OutputModel):
    """One change of one record: who, when, what."""

    id: UUID = Field(description="the event's id")
    sequence: int
    type: str = Field(examples=["client.updated"])
    occurred_at: Timestamp
    actor: EventActor
    changes: list[FieldChange]


class HistoryList(OutputModel):
    data: list[HistoryEntry]
    meta: ListMeta
