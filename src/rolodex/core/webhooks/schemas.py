"""Webhook bodies: register, change, read; deliveries with every attempt."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from rolodex.core.schemas import InputModel, ListMeta, OutputModel
from rolodex.core.validation import Timestamp

EVENTS_DESCRIPTION = (
    'event types to receive: ["*"] (all, the default), exact types such as "client.created", '
    'or "<kind>.*" such as "client.*"'
)
EXAMPLE: dict[str, Any] = {
    "url": "https://erp.example.com/hooks/rolodex",
    "events": ["client.created", "client.updated"],
    "description": "ERP sync",
}


class WebhookCreate(InputModel):
    """A new endpoint. The answer holds its signing secret, the only time it is shown."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    url: str = Field(max_length=2048, description="http or https", examples=[EXAMPLE["url"]])
    events: list[str] = Field(
        default_factory=lambda: ["*"], min_length=1, max_length=100, description=EVENTS_DESCRIPTION
    )
    description: str | None = Field(default=None, max_length=1000, examples=["ERP sync"])


class WebhookUpdate(InputModel):
    """Change an endpoint; `enabled: true` turns a disabled one back on."""

    url: str | None = Field(default=None, max_length=2048)
    events: list[str] | None = Field(
        default=None, min_length=1, max_length=100, description=EVENTS_DESCRIPTION
    )
    description: str | None = Field(default=None, max_length=1000)
    enabled: bool | None = None


class WebhookRead(OutputModel):
    """An endpoint (its secret is never shown again)."""

    id: UUID
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(
        description="why the endpoint was turned off (deliveries failing for 3 days)"
    )
    disabled_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class WebhookCreated(WebhookRead):
    secret: str = Field(description="signs every delivery; shown only in this answer")


class WebhookList(OutputModel):
    data: list[WebhookRead]
    meta: ListMeta


class AttemptRead(OutputModel):
    """One try: sending (in flight), succeeded, failed, or abandoned (its worker died)."""

    attempt: int = Field(description="1 for the first try", examples=[1])
    status: str = Field(examples=["failed"])
    started_at: Timestamp
    duration_ms: int | None = Field(examples=[84])
    response_code: int | None = Field(examples=[503])
    error: str | None = Field(examples=["HTTP 503"])
    next_retry_at: Timestamp | None = Field(description="when the next try is due, after a failure")


class DeliveryRead(OutputModel):
    """One event for one endpoint, with every attempt so far."""

    id: UUID
    webhook_id: UUID
    event_id: UUID
    event_type: str
    sequence: int
    status: str = Field(description="pending, succeeded or failed (given up)", examples=["pending"])
    attempt_count: int
    next_attempt_at: Timestamp | None = Field(description="when pending: the next try")
    last_attempt_at: Timestamp | None
    last_response_code: int | None
    last_error: str | None
    created_at: Timestamp
    attempts: list[AttemptRead]


class DeliveryList(OutputModel):
    data: list[DeliveryRead]
    meta: ListMeta
