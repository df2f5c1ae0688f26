"""search statistics: a finer sample of clients.search_text for the planner

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 02:05:00.000000+00:00

With the default statistics target PostgreSQL guesses that `search_text LIKE '%fragment%'`
matches about a hundred rows, whatever the fragment. For a common one (thousands of matches)
it then fetches every match through the trigram index and sorts them, where walking the
(organization_id, created_at, id) index until the page is full is 30 times faster. A 1000-entry
histogram lets it tell common fragments from rare ones (rare ones keep the trigram index).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE clients ALTER COLUMN search_text SET STATISTICS 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE clients ALTER COLUMN search_text SET STATISTICS -1")
