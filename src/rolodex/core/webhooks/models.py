"""Webhook endpoints, one delivery per (endpoint, event), and a log of every attempt."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.clock import now
from rolodex.core.db import Base, JSONType, UTCDateTime
from rolodex.core.ids import new_id

PENDING_ONLY = text("status = 'pending'")


class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (Index(None, "organization_id", "created_at", "id"),)

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSONType)
    description: Mapped[str | None] = mapped_column(String(1000))
    # Needed in clear to sign each delivery; shown to the caller only when created.
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(1000))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last event sequence turned into deliveries for this endpoint (the fan-out cursor).
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Delivery(Base):
    """One event for one endpoint: pending until it succeeds or is given up (failed)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(None, "organization_id", "webhook_id", "event_id", unique=True),
        Index(None, "organization_id", "webhook_id", "sequence"),
        # The worker's scans touch pending rows only: small partial indexes.
        Index(
            "ix_webhook_deliveries_pending_due",
            "organization_id",
            "next_attempt_at",
            sqlite_where=PENDING_ONLY,
            postgresql_where=PENDING_ONLY,
        ),
        Index(
            "ix_webhook_deliveries_pending_head",
            "organization_id",
            "webhook_id",
            "sequence",
            sqlite_where=PENDING_ONLY,
            postgresql_where=PENDING_ONLY,
        ),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    webhook_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # A claim: the worker holding it, until when; re-claimable once the lease has run out.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[UUID | None] = mapped_column(Uuid)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Attempt(Base):
    """One try at one delivery, written when claimed and completed with its outcome."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "organization_id", "delivery_id", "attempt"),)

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    delivery_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer)
    # sending (claimed) -> succeeded | failed; abandoned when its worker never reported back.
    status: Mapped[str] = mapped_column(String(10), default="sending")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    response_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
