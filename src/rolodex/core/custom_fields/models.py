"""Custom-field definitions: the typed extra fields an organization adds to its clients."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, ForeignKey, Index, String, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.clock import now
from rolodex.core.db import Base, JSONType, UTCDateTime
from rolodex.core.ids import new_id


class CustomField(Base):
    __tablename__ = "custom_fields"
    __table_args__ = (
        Index(None, "organization_id", "key", unique=True),
        # `shoeSize` and `ShoeSize` side by side would only confuse (CSV columns, dialects).
        Index(
            "uq_custom_fields_organization_id_key_lower",
            "organization_id",
            func.lower(text("key")),
            unique=True,
        ),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[str]] = mapped_column(JSONType, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
