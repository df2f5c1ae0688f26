"""Stored answers to POST requests that carried an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.db import Base, JSONType, UTCDateTime
from rolodex.core.ids import new_id


class IdempotencyKey(Base):
    """One key of one organization: the request it was first used for and, once done, its answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        Index(None, "organization_id", "key", unique=True),
        Index(None, "organization_id", "expires_at"),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2048))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12))  # in_progress | done
    # Changes with every claim, so a holder that lost its claim (taken over) cannot finish it.
    claim: Mapped[UUID] = mapped_column(Uuid, default=new_id)
    status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
