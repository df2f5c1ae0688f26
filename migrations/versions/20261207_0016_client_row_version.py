"""clients.row_version: the row's version as an indexed column; list pages from the index alone

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 07:10:00.000000+00:00

A page of a list is found as its clients' ids and row versions, the key of each process's
document cache (core/clients/documents.py). The version was `xmin`, which only the table holds,
so every row of a page was read from the table: 51 table pages for a page of 50, scattered over
the table when the page is deep in a cursor walk. `row_version` is the same value kept as a
column: the writing transaction's id, given by the column's default on INSERT and by a BEFORE
UPDATE trigger on every UPDATE, whatever makes it (the ORM, a trigger, plain SQL), as PostgreSQL
gives `xmin`. Rows already there keep 0 until they change; a new id is new, so a key never comes
back. The indexes of the usual sorts (name, createdAt, updatedAt) carry it with `status` and
`deleted_at`, so a page of those lists, filtered by status or not, is an index-only scan (where
the visibility map vouches for the table's pages, as VACUUM keeps it). PostgreSQL only: SQLite
gets the column with 0 and no trigger (its lists do not use the document cache).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, its sort column): rebuilt with the columns a page of documents needs.
SORT_INDEXES = (
    ("ix_clients_organization_id_name_id", "name"),
    ("ix_clients_organization_id_created_at_id", "created_at"),
    ("ix_clients_organization_id_updated_at_id", "updated_at"),
)
INCLUDE = ["status", "deleted_at", "row_version"]

FUNCTION = """
CREATE FUNCTION rolodex_client_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.row_version := txid_current();
    RETURN NEW;
END
$$
"""
TRIGGER = (
    "CREATE TRIGGER tr_clients_row_version BEFORE UPDATE ON clients "
    "FOR EACH ROW EXECUTE FUNCTION rolodex_client_row_version()"
)


def upgrade() -> None:
    # A constant default adds the column without rewriting the table; new rows then take the
    # writing transaction's id.
    op.add_column(
        "clients", sa.Column("row_version", sa.BigInteger(), server_default="0", nullable=False)
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("clients", "row_version", server_default=sa.text("txid_current()"))
    op.execute(FUNCTION)
    op.execute(TRIGGER)
    for name, column in SORT_INDEXES:
        op.drop_index(name, table_name="clients")
        op.create_index(
            name, "clients", ["organization_id", column, "id"], postgresql_include=INCLUDE
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, column in SORT_INDEXES:
            op.drop_index(name, table_name="clients")
            op.create_index(name, "clients", ["organization_id", column, "id"])
        op.execute("DROP TRIGGER tr_clients_row_version ON clients")
        op.execute("DROP FUNCTION rolodex_client_row_version()")
    op.drop_column("clients", "row_version")
