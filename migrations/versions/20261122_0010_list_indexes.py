"""list indexes: the sortable fields without one, counts from the index alone, tags

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 05:00:00.000000+00:00

`sort=email`, `sort=phone` and `sort=paymentTerms` had no index, so a page sorted by them read
and sorted the whole organization. A list's `total` under the common equality filters (status,
kind, archived, country) now comes from one narrow index (deleted_at included, so soft-deleted
rows are told apart without the table), and `tags=` counts use a GIN index on PostgreSQL
(`?|`, the operator the tags filter uses). contact_persons.search_text gets the finer statistics
clients.search_text got in 0007: `q` now looks contacts up by their trigram index first, and
the planner must tell a rare fragment from a common one there too. tests/perf/test_explain.py
checks the plans.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clients_organization_id_email_id", ["organization_id", "email", "id"]
        )
        batch_op.create_index(
            "ix_clients_organization_id_phone_id", ["organization_id", "phone", "id"]
        )
        batch_op.create_index(
            "ix_clients_organization_id_payment_terms_id",
            ["organization_id", "payment_terms", "id"],
            postgresql_include=["deleted_at"],
        )
        batch_op.create_index(
            "ix_clients_organization_id_status_kind_archived_country",
            ["organization_id", "status", "kind", "archived", "country"],
            postgresql_include=["deleted_at"],
        )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_clients_tags_gin", "clients", ["tags"], postgresql_using="gin")
        op.execute("ALTER TABLE contact_persons ALTER COLUMN search_text SET STATISTICS 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE contact_persons ALTER COLUMN search_text SET STATISTICS -1")
        op.drop_index("ix_clients_tags_gin", table_name="clients")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index("ix_clients_organization_id_status_kind_archived_country")
        batch_op.drop_index("ix_clients_organization_id_payment_terms_id")
        batch_op.drop_index("ix_clients_organization_id_phone_id")
        batch_op.drop_index("ix_clients_organization_id_email_id")
