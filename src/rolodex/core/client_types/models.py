"""Organization-defined client types (TimeWave's clienttype, Recras's soort_klant)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.clock import now
from rolodex.core.db import Base, UTCDateTime
from rolodex.core.ids import new_id


class ClientType(Base):
    __tablename__ = "client_types"
    __table_args__ = (
        Index(None, "organization_id", "number", unique=True),
        Index(None, "organization_id", "name"),
        # Names are unique per organization regardless of case: Recras finds a type by name.
        Index(
            "uq_client_types_organization_id_name_lower",
            "organization_id",
            func.lower(text("name")),
            unique=True,
        ),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
