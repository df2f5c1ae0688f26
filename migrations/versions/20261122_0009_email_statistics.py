"""email statistics: planner statistics on lower(clients.email)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 04:40:00.000000+00:00

Emails are looked up as `lower(email)` through the partial unique index on (organization_id,
lower(email)) WHERE deleted_at IS NULL. PostgreSQL ignores the statistics of a partial index's
expressions, so it guessed that each email matches 0.5% of the clients: a single lookup still
used the index, but an import's check of 1000 new emails per chunk (`lower(email) IN (...)`)
was planned as a sequential scan of the whole table, 60 ms per chunk at 100,000 clients and
growing with the table. Extended statistics on the expression give it the real picture (each
email matches at most one client), and the check probes the index (5 ms).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS clients_lower_email ON (lower(email)) FROM clients")
        op.execute("ANALYZE clients")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS clients_lower_email")
