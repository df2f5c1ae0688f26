"""foundation: organizations, keys, counters, client types, clients

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:44:19.970839+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import rolodex.core.db

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("number", name=op.f("uq_organizations_number")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_keys_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(
        op.f("ix_api_keys_organization_id_created_at"),
        "api_keys",
        ["organization_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "client_types",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_client_types_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_types")),
    )
    op.create_index(
        op.f("ix_client_types_organization_id_name"),
        "client_types",
        ["organization_id", "name"],
        unique=False,
    )
    op.create_index(
        op.f("ix_client_types_organization_id_number"),
        "client_types",
        ["organization_id", "number"],
        unique=True,
    )
    op.create_table(
        "counters",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_counters_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "kind", name=op.f("pk_counters")),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("long_name", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("company_name", sa.String(length=255), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("custom_price_id", sa.String(length=255), nullable=True),
        sa.Column("credit_limit", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("used_limit", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("payment_terms", sa.Integer(), nullable=True),
        sa.Column("payment_type", sa.String(length=20), nullable=True),
        sa.Column("billing_email", sa.String(length=254), nullable=True),
        sa.Column("additional_information", sa.Text(), nullable=True),
        sa.Column("frame_contract", sa.Boolean(), nullable=True),
        sa.Column("self_insurance", sa.Boolean(), nullable=True),
        sa.Column("pricing", sa.String(length=1000), nullable=True),
        sa.Column("website", sa.String(length=2048), nullable=True),
        sa.Column("fax", sa.String(length=128), nullable=True),
        sa.Column("phone", sa.String(length=45), nullable=True),
        sa.Column("mobile", sa.String(length=45), nullable=True),
        sa.Column("work_phone", sa.String(length=45), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("vat_number", sa.String(length=64), nullable=True),
        sa.Column("personal_number", sa.String(length=64), nullable=True),
        sa.Column("point_lng", sa.Float(), nullable=True),
        sa.Column("point_lat", sa.Float(), nullable=True),
        sa.Column("street", sa.String(length=255), nullable=True),
        sa.Column("street_and_number", sa.String(length=255), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("province_code", sa.String(length=10), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("department", sa.String(length=255), nullable=True),
        sa.Column("invoice_addressing", sa.String(length=1000), nullable=True),
        sa.Column("partner_type", sa.String(length=20), nullable=True),
        sa.Column("creditworthiness", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("client_type_id", sa.Uuid(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "external_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "references",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("archived_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("structure_id", sa.String(length=36), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_type_id"],
            ["client_types.id"],
            name=op.f("fk_clients_client_type_id_client_types"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_clients_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
    )
    op.create_index(
        op.f("ix_clients_organization_id_city_id"),
        "clients",
        ["organization_id", "city", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clients_organization_id_client_type_id"),
        "clients",
        ["organization_id", "client_type_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clients_organization_id_created_at_id"),
        "clients",
        ["organization_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clients_organization_id_credit_limit_id"),
        "clients",
        ["organization_id", "credit_limit", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clients_organization_id_name_id"),
        "clients",
        ["organization_id", "name", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clients_organization_id_number"),
        "clients",
        ["organization_id", "number"],
        unique=True,
    )
    op.create_index(
        op.f("ix_clients_organization_id_postal_code_id"),
        "clients",
        ["organization_id", "postal_code", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clients_organization_id_status_created_at_id"),
        "clients",
        ["organization_id", "status", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clients_organization_id_updated_at_id"),
        "clients",
        ["organization_id", "updated_at", "id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_clients_search_text_trgm",
            "clients",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    op.create_index(
        "uq_clients_organization_id_email_lower",
        "clients",
        ["organization_id", sa.literal_column("lower(email)")],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "uq_clients_organization_id_external_id",
        "clients",
        ["organization_id", "external_id"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_clients_organization_id_external_id",
        table_name="clients",
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index(
        "uq_clients_organization_id_email_lower",
        table_name="clients",
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_clients_search_text_trgm", table_name="clients")
    op.drop_index(op.f("ix_clients_organization_id_updated_at_id"), table_name="clients")
    op.drop_index(op.f("ix_clients_organization_id_status_created_at_id"), table_name="clients")
    op.drop_index(op.f("ix_clients_organization_id_postal_code_id"), table_name="clients")
    op.drop_index(op.f("ix_clients_organization_id_number"), table_name="clients")
    op.drop_index(op.f("ix_clients_organization_id_name_id"), table_name="clients")
    op.drop_index(op.f("ix_clients_organization_id_credit_limit_id"), table_name="clients")
    op.drop_index(op.f("ix_clients_organization_id_created_at_id"), table_name="clients")
    op.drop_index(op.f("ix_clients_organization_id_client_type_id"), table_name="clients")
    op.drop_index(op.f("ix_clients_organization_id_city_id"), table_name="clients")
    op.drop_table("clients")
    op.drop_table("counters")
    op.drop_index(op.f("ix_client_types_organization_id_number"), table_name="client_types")
    op.drop_index(op.f("ix_client_types_organization_id_name"), table_name="client_types")
    op.drop_table("client_types")
    op.drop_index(op.f("ix_api_keys_organization_id_created_at"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("organizations")
