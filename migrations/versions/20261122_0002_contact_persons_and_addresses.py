"""contact persons (linked to clients, one main per client) and addresses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:07:07.830634+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import rolodex.core.db

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_persons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("job_title", sa.String(length=255), nullable=True),
        sa.Column("department", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email2", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=45), nullable=True),
        sa.Column("phone2", sa.String(length=45), nullable=True),
        sa.Column("mobile", sa.String(length=45), nullable=True),
        sa.Column("fax", sa.String(length=128), nullable=True),
        sa.Column("work_phone", sa.String(length=45), nullable=True),
        sa.Column("gender", sa.String(length=10), nullable=True),
        sa.Column("salutation", sa.String(length=255), nullable=True),
        sa.Column("street", sa.String(length=255), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("personal_number", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column(
            "external_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
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
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_contact_persons_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_persons")),
    )
    op.create_index(
        op.f("ix_contact_persons_organization_id_created_at_id"),
        "contact_persons",
        ["organization_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contact_persons_organization_id_name_id"),
        "contact_persons",
        ["organization_id", "name", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contact_persons_organization_id_number"),
        "contact_persons",
        ["organization_id", "number"],
        unique=True,
    )
    op.create_index(
        op.f("ix_contact_persons_organization_id_updated_at_id"),
        "contact_persons",
        ["organization_id", "updated_at", "id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_contact_persons_search_text_trgm",
            "contact_persons",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    op.create_index(
        "uq_contact_persons_organization_id_external_id",
        "contact_persons",
        ["organization_id", "external_id"],
        unique=True,
        sqlite_where=sa.text("external_id IS NOT NULL"),
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_table(
        "addresses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("street", sa.String(length=255), nullable=True),
        sa.Column("street_and_number", sa.String(length=255), nullable=True),
        sa.Column("co_address", sa.String(length=255), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("province_code", sa.String(length=10), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("point_lng", sa.Float(), nullable=True),
        sa.Column("point_lat", sa.Float(), nullable=True),
        sa.Column("is_delivery", sa.Boolean(), nullable=False),
        sa.Column("is_invoice", sa.Boolean(), nullable=False),
        sa.Column("is_visiting", sa.Boolean(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_addresses_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_addresses_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_index(
        op.f("ix_addresses_organization_id_client_id_number"),
        "addresses",
        ["organization_id", "client_id", "number"],
        unique=False,
    )
    op.create_index(
        op.f("ix_addresses_organization_id_number"),
        "addresses",
        ["organization_id", "number"],
        unique=True,
    )
    op.create_table(
        "client_contact_persons",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("contact_person_id", sa.Uuid(), nullable=False),
        sa.Column("is_main", sa.Boolean(), nullable=False),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_contact_persons_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_person_id"],
            ["contact_persons.id"],
            name=op.f("fk_client_contact_persons_contact_person_id_contact_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_client_contact_persons_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id",
            "client_id",
            "contact_person_id",
            name=op.f("pk_client_contact_persons"),
        ),
    )
    op.create_index(
        op.f("ix_client_contact_persons_organization_id_contact_person_id"),
        "client_contact_persons",
        ["organization_id", "contact_person_id"],
        unique=False,
    )
    # At most one main contact per client, enforced by the database itself.
    op.create_index(
        "uq_client_contact_persons_organization_id_client_id_main",
        "client_contact_persons",
        ["organization_id", "client_id"],
        unique=True,
        sqlite_where=sa.text("is_main"),
        postgresql_where=sa.text("is_main"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_client_contact_persons_organization_id_client_id_main",
        table_name="client_contact_persons",
        sqlite_where=sa.text("is_main"),
        postgresql_where=sa.text("is_main"),
    )
    op.drop_index(
        op.f("ix_client_contact_persons_organization_id_contact_person_id"),
        table_name="client_contact_persons",
    )
    op.drop_table("client_contact_persons")
    op.drop_index(op.f("ix_addresses_organization_id_number"), table_name="addresses")
    op.drop_index(op.f("ix_addresses_organization_id_client_id_number"), table_name="addresses")
    op.drop_table("addresses")
    op.drop_index(
        "uq_contact_persons_organization_id_external_id",
        table_name="contact_persons",
        sqlite_where=sa.text("external_id IS NOT NULL"),
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_contact_persons_search_text_trgm", table_name="contact_persons")
    op.drop_index(
        op.f("ix_contact_persons_organization_id_updated_at_id"), table_name="contact_persons"
    )
    op.drop_index(op.f("ix_contact_persons_organization_id_number"), table_name="contact_persons")
    op.drop_index(op.f("ix_contact_persons_organization_id_name_id"), table_name="contact_persons")
    op.drop_index(
        op.f("ix_contact_persons_organization_id_created_at_id"), table_name="contact_persons"
    )
    op.drop_table("contact_persons")
