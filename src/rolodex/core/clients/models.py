"""The client: a company or a person an organization does business with."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.core.clock import now
from rolodex.core.db import Base, JSONType, UTCDateTime, trigram_index
from rolodex.core.ids import new_id

NOT_DELETED = text("deleted_at IS NULL")
PAGE_COLUMNS = ["status", "deleted_at", "row_version"]


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (
        Index(None, "organization_id", "number", unique=True),
        # The usual sorts' indexes carry what a page of documents needs (its rows' ids and
        # versions under the common filters): such a page is read from the index alone.
        Index(None, "organization_id", "created_at", "id", postgresql_include=PAGE_COLUMNS),
        Index(None, "organization_id", "updated_at", "id", postgresql_include=PAGE_COLUMNS),
        Index(None, "organization_id", "name", "id", postgresql_include=PAGE_COLUMNS),
        Index(None, "organization_id", "city", "id"),
        Index(None, "organization_id", "postal_code", "id"),
        Index(None, "organization_id", "credit_limit", "id"),
        Index(None, "organization_id", "status", "created_at", "id"),
        Index(None, "organization_id", "client_type_id"),
        # Sortable fields the indexes above do not cover.
        Index(None, "organization_id", "email", "id"),
        Index(None, "organization_id", "phone", "id"),
        Index(None, "organization_id", "payment_terms", "id", postgresql_include=["deleted_at"]),
        # Counts (a list's `total`) under the common equality filters, read from the index
        # alone: walking the heap for a count over most of a large organization costs tens of
        # milliseconds per hundred thousand rows.
        Index(
            None,
            "organization_id",
            "status",
            "kind",
            "archived",
            "country",
            postgresql_include=["deleted_at"],
        ),
        Index(
            "uq_clients_organization_id_email_lower",
            "organization_id",
            func.lower(text("email")),
            unique=True,
            sqlite_where=NOT_DELETED,
            postgresql_where=NOT_DELETED,
        ),
        Index(
            "uq_clients_organization_id_external_id",
            "organization_id",
            "external_id",
            unique=True,
            sqlite_where=NOT_DELETED,
            postgresql_where=NOT_DELETED,
        ),
        Index("ix_clients_tags_gin", "tags", postgresql_using="gin").ddl_if(dialect="postgresql"),
        trigram_index("ix_clients_search_text_trgm", "search_text"),
        trigram_index("ix_clients_contact_search_text_trgm", "contact_search_text"),
    )

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organization_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    long_name: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10), default="COMPANY")
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    company_name: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    custom_price_id: Mapped[str | None] = mapped_column(String(255))
    credit_limit: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    used_limit: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    payment_terms: Mapped[int | None] = mapped_column(Integer)
    payment_type: Mapped[str | None] = mapped_column(String(20))
    billing_email: Mapped[str | None] = mapped_column(String(254))
    additional_information: Mapped[str | None] = mapped_column(Text)
    frame_contract: Mapped[bool | None] = mapped_column(Boolean)
    self_insurance: Mapped[bool | None] = mapped_column(Boolean)
    pricing: Mapped[str | None] = mapped_column(String(1000))
    website: Mapped[str | None] = mapped_column(String(2048))
    fax: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(45))
    mobile: Mapped[str | None] = mapped_column(String(45))
    work_phone: Mapped[str | None] = mapped_column(String(45))
    email: Mapped[str | None] = mapped_column(String(254))
    vat_number: Mapped[str | None] = mapped_column(String(64))
    personal_number: Mapped[str | None] = mapped_column(String(64))
    point_lng: Mapped[float | None] = mapped_column(Float)
    point_lat: Mapped[float | None] = mapped_column(Float)
    street: Mapped[str | None] = mapped_column(String(255))
    street_and_number: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(255))
    province_code: Mapped[str | None] = mapped_column(String(10))
    country: Mapped[str | None] = mapped_column(String(2))
    department: Mapped[str | None] = mapped_column(String(255))
    invoice_addressing: Mapped[str | None] = mapped_column(String(1000))
    partner_type: Mapped[str | None] = mapped_column(String(20))
    creditworthiness: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="ACTIVE")
    client_type_id: Mapped[UUID | None] = mapped_column(
        Uuid, ForeignKey("client_types.id", ondelete="RESTRICT")
    )
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    external_ids: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    references: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    structure_id: Mapped[str | None] = mapped_column(String(36))
    search_text: Mapped[str] = mapped_column(Text, default="")
    # PostgreSQL: the linked contact persons' search texts, joined by U+0001, kept by triggers
    # (migration 0012) so that `q` is one indexed condition on clients. Never loaded by the ORM
    # (deferred), and with eager_defaults off no RETURNING asks for it; an INSERT leaves it to
    # the server default, except a create with new contact persons, which writes what the
    # triggers would (clients.service.create). SQLite leaves it empty and searches contacts
    # with EXISTS.
    contact_search_text: Mapped[str] = mapped_column(Text, server_default="", deferred=True)
    # PostgreSQL: the transaction that last wrote the row, as `xmin` (the column's default on
    # INSERT, a trigger on every UPDATE; migration 0016), but in the sort indexes: the key of
    # the document cache (documents.DocumentCache). Never loaded by the ORM (deferred).
    # SQLite: 0.
    row_version: Mapped[int] = mapped_column(BigInteger, server_default="0", deferred=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __mapper_args__ = {"version_id_col": version, "eager_defaults": False}
