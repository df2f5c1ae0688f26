"""client_id indexes: the cascades from clients find their rows by index

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 06:05:00.000000+00:00

orders, addresses and client_contact_persons reference clients ON DELETE CASCADE, but their
indexes all start with organization_id, so the cascade of a purge (`DELETE FROM clients ...`)
looked their rows up with a scan of the whole table: seconds per client at a few million orders
(seen when the benchmark removed the clients it had created). A plain index on client_id each
lets the cascade probe.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("orders", "addresses", "client_contact_persons")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_client_id", table, ["client_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_client_id", table_name=table)
