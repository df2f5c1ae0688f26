"""Addresses of a client besides its own (primary) flat address fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.clock import now
from rolodex.core.db import Base, JSONType, UTCDateTime
from rolodex.core.ids import new_id


class Address(Base):
    """One address of one client: delivery, invoice and/or visiting."""

    __tablename__ = "addresses"
    __table_args__ = (
        Index(None, "organization_id", "number", unique=True),
        Index(None, "organization_id", "client_id", "number"),
        Index(None, "client_id"),  # ON DELETE CASCADE from clients looks up by client_id
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    client_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("clients.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(255))
    street: Mapped[str | None] = mapped_column(String(255))
    street_and_number: Mapped[str | None] = mapped_column(String(255))
    co_address: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(255))
    province_code: Mapped[str | None] = mapped_column(String(10))
    country: Mapped[str | None] = mapped_column(String(2))
    point_lng: Mapped[float | None] = mapped_column(Float)
    point_lat: Mapped[float | None] = mapped_column(Float)
    is_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    is_invoice: Mapped[bool] = mapped_column(Boolean, default=False)
    is_visiting: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    # Lower-cased in Python: SQLite's LIKE and lower() only fold ASCII.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
