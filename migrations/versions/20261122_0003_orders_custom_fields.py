"""orders, custom-field definitions, client type names unique regardless of case

Revision ID: 0003
Revises: 0005
Create Date: 2026-11-22 01:11:09.079747+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import rolodex.core.db

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_custom_fields_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
    )
    op.create_index(
        op.f("ix_custom_fields_organization_id_key"),
        "custom_fields",
        ["organization_id", "key"],
        unique=True,
    )
    op.create_index(
        "uq_custom_fields_organization_id_key_lower",
        "custom_fields",
        ["organization_id", sa.literal_column("lower(key)")],
        unique=True,
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("date", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("archived_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
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
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_orders_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_orders_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index(
        op.f("ix_orders_organization_id_client_id_number"),
        "orders",
        ["organization_id", "client_id", "number"],
        unique=False,
    )
    op.create_index(
        op.f("ix_orders_organization_id_created_at_id"),
        "orders",
        ["organization_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_orders_organization_id_date_id"),
        "orders",
        ["organization_id", "date", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_orders_organization_id_number"),
        "orders",
        ["organization_id", "number"],
        unique=True,
    )
    op.create_index(
        op.f("ix_orders_organization_id_submitted_at_id"),
        "orders",
        ["organization_id", "submitted_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_orders_organization_id_updated_at_id"),
        "orders",
        ["organization_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_orders_organization_id_external_id",
        "orders",
        ["organization_id", "external_id"],
        unique=True,
        sqlite_where=sa.text("external_id IS NOT NULL"),
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index(
        "uq_client_types_organization_id_name_lower",
        "client_types",
        ["organization_id", sa.literal_column("lower(name)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_client_types_organization_id_name_lower", table_name="client_types")
    op.drop_index(
        "uq_orders_organization_id_external_id",
        table_name="orders",
        sqlite_where=sa.text("external_id IS NOT NULL"),
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index(op.f("ix_orders_organization_id_updated_at_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_organization_id_submitted_at_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_organization_id_number"), table_name="orders")
    op.drop_index(op.f("ix_orders_organization_id_date_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_organization_id_created_at_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_organization_id_client_id_number"), table_name="orders")
    op.drop_table("orders")
    op.drop_index("uq_custom_fields_organization_id_key_lower", table_name="custom_fields")
    op.drop_index(op.f("ix_custom_fields_organization_id_key"), table_name="custom_fields")
    op.drop_table("custom_fields")
