"""Contact persons, and their links to clients (where `isMain` lives)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.clock import now
from rolodex.core.db import Base, JSONType, UTCDateTime, trigram_index
from rolodex.core.ids import new_id

HAS_EXTERNAL_ID = text("external_id IS NOT NULL")
IS_MAIN = text("is_main")


class ContactPerson(Base):
    """A person to talk to; linked to one or more clients of the same organization."""

    __tablename__ = "contact_persons"
    __table_args__ = (
        Index(None, "organization_id", "number", unique=True),
        Index(None, "organization_id", "created_at", "id"),
        Index(None, "organization_id", "updated_at", "id"),
        Index(None, "organization_id", "name", "id"),
        Index(
            "uq_contact_persons_organization_id_external_id",
            "organization_id",
            "external_id",
            unique=True,
            sqlite_where=HAS_EXTERNAL_ID,
            postgresql_where=HAS_EXTERNAL_ID,
        ),
        trigram_index("ix_contact_persons_search_text_trgm", "search_text"),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    job_title: Mapped[str | None] = mapped_column(String(255))
    department: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    email2: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(45))
    phone2: Mapped[str | None] = mapped_column(String(45))
    mobile: Mapped[str | None] = mapped_column(String(45))
    fax: Mapped[str | None] = mapped_column(String(128))
    work_phone: Mapped[str | None] = mapped_column(String(45))
    gender: Mapped[str | None] = mapped_column(String(10))
    salutation: Mapped[str | None] = mapped_column(String(255))
    street: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(2))
    personal_number: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(255))
    external_ids: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __mapper_args__ = {"version_id_col": version}


class ContactLink(Base):
    """A contact person linked to a client; at most one link per client is the main one."""

    __tablename__ = "client_contact_persons"
    __table_args__ = (
        Index(None, "organization_id", "contact_person_id"),
        Index(None, "client_id"),  # ON DELETE CASCADE from clients looks up by client_id
        # The database itself refuses a second main contact for a client.
        Index(
            "uq_client_contact_persons_organization_id_client_id_main",
            "organization_id",
            "client_id",
            unique=True,
            sqlite_where=IS_MAIN,
            postgresql_where=IS_MAIN,
        ),
    )

    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    contact_person_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("contact_persons.id", ondelete="CASCADE"), primary_key=True
    )
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
