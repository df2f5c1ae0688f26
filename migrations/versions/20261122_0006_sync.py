"""sync: external ids (several per record, unique per system) and idempotency keys

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-22 01:02:35.237941+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import rolodex.core.db
from rolodex.core.clock import now
from rolodex.core.db import JSONType
from rolodex.core.ids import new_id

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_ids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("subject_kind", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_external_ids_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_ids")),
    )
    op.create_index(
        op.f("ix_external_ids_organization_id_subject_kind_subject_id"),
        "external_ids",
        ["organization_id", "subject_kind", "subject_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_external_ids_organization_id_subject_kind_system_external_id"),
        "external_ids",
        ["organization_id", "subject_kind", "system", "external_id"],
        unique=True,
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=2048), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("claim", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column(
            "response_headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", rolodex.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_idempotency_keys_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_organization_id_expires_at"),
        "idempotency_keys",
        ["organization_id", "expires_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_idempotency_keys_organization_id_key"),
        "idempotency_keys",
        ["organization_id", "key"],
        unique=True,
    )
    _backfill_external_ids()


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_organization_id_key"), table_name="idempotency_keys")
    op.drop_index(
        op.f("ix_idempotency_keys_organization_id_expires_at"), table_name="idempotency_keys"
    )
    op.drop_table("idempotency_keys")
    op.drop_index(
        op.f("ix_external_ids_organization_id_subject_kind_system_external_id"),
        table_name="external_ids",
    )
    op.drop_index(
        op.f("ix_external_ids_organization_id_subject_kind_subject_id"), table_name="external_ids"
    )
    op.drop_table("external_ids")


def _backfill_external_ids() -> None:
    """Live clients' externalIds (JSON) into the new table; the first holder keeps a duplicate."""
    clients = sa.table(
        "clients",
        sa.column("id", sa.Uuid()),
        sa.column("organization_id", sa.Uuid()),
        sa.column("external_ids", JSONType),
        sa.column("deleted_at", rolodex.core.db.UTCDateTime()),
    )
    external_ids = sa.table(
        "external_ids",
        sa.column("id", sa.Uuid()),
        sa.column("organization_id", sa.Uuid()),
        sa.column("subject_kind", sa.String()),
        sa.column("subject_id", sa.Uuid()),
        sa.column("system", sa.String()),
        sa.column("external_id", sa.String()),
        sa.column("created_at", rolodex.core.db.UTCDateTime()),
    )
    bind = op.get_bind()
    stmt = (
        sa.select(clients.c.id, clients.c.organization_id, clients.c.external_ids)
        .where(clients.c.deleted_at.is_(None))
        .where(sa.cast(clients.c.external_ids, sa.Text) != "[]")
        .order_by(clients.c.id)
    )
    seen: set[tuple[object, str, str]] = set()
    rows = []
    moment = now()
    for client_id, org_id, refs in bind.execute(stmt):
        for ref in refs or []:
            pair = (org_id, str(ref["system"]), str(ref["id"]))
            if pair in seen:
                continue
            seen.add(pair)
            rows.append(
                {
                    "id": new_id(),
                    "organization_id": org_id,
                    "subject_kind": "client",
                    "subject_id": client_id,
                    "system": pair[1],
                    "external_id": pair[2],
                    "created_at": moment,
                }
            )
    if rows:
        op.bulk_insert(external_ids, rows)
