"""Other systems' ids for a record: one row per (organization, kind, system, id)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.clock import now
from rolodex.core.db import Base, UTCDateTime
from rolodex.core.ids import new_id


class ExternalId(Base):
    """An id another system (`sap`, `shop`) gives a live record; unique per kind and system.

    Generic over the record kind (`client`, `contact_person`): `subject_id` names the record
    and has no foreign key. The record's own JSON keeps the list for reading; this table is the
    uniqueness guarantee and the lookup index. Rows exist only while the record is live (a soft
    delete removes them, a restore puts them back).
    """

    __tablename__ = "external_ids"
    __table_args__ = (
        Index(None, "organization_id", "subject_kind", "system", "external_id", unique=True),
        Index(None, "organization_id", "subject_kind", "subject_id"),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    subject_kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[UUID] = mapped_column(Uuid)
    system: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
