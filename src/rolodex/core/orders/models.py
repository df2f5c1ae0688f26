"""An order: what a client bought or licensed (the customers & orders document, seed 002)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.clock import now
from rolodex.core.db import Base, JSONType, UTCDateTime
from rolodex.core.ids import new_id

HAS_EXTERNAL_ID = text("external_id IS NOT NULL")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index(None, "organization_id", "number", unique=True),
        Index(None, "organization_id", "client_id", "number"),
        Index(None, "client_id"),  # ON DELETE CASCADE from clients looks orders up by client_id
        Index(None, "organization_id", "submitted_at", "id"),
        Index(None, "organization_id", "date", "id"),
        Index(None, "organization_id", "created_at", "id"),
        Index(None, "organization_id", "updated_at", "id"),
        Index(
            "uq_orders_organization_id_external_id",
            "organization_id",
            "external_id",
            unique=True,
            sqlite_where=HAS_EXTERNAL_ID,
            postgresql_where=HAS_EXTERNAL_ID,
        ),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    # Purging a client purges its orders; a soft delete leaves them alone.
    client_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="DRAFT")
    type: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    date: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __mapper_args__ = {"version_id_col": version}
