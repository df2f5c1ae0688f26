"""The outbox: one row per change, with a per-organization sequence."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.clock import now
from rolodex.core.db import Base, JSONType, UTCDateTime
from rolodex.core.ids import new_id


class Event(Base):
    """A change to one record. `sequence` is NULL only inside the writing transaction."""

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "organization_id", "sequence", unique=True),
        Index(None, "organization_id", "subject_kind", "subject_id", "sequence"),
        Index(None, "organization_id", "occurred_at"),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # Assigned when the transaction commits (see service.assign_sequences), so that sequence
    # order is commit order.
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    actor_key_id: Mapped[UUID | None] = mapped_column(Uuid)
    subject_kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[UUID] = mapped_column(Uuid)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
