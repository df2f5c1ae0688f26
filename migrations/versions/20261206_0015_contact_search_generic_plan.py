"""rolodex_refresh_contact_search plans its UPDATE once per connection (a generic plan)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 23:20:00.000000+00:00

Migration 0013 made the function PL/pgSQL so that its UPDATE would keep its plan, but PostgreSQL
kept planning it on every call: the planner knows the length of the `ids` array it is given,
so a custom plan for one or two clients always looked cheaper than the generic plan's guess of
10, and the plan cache never switched. A POST with two contact persons spent about a fifth of
its PostgreSQL CPU time planning that UPDATE in the links' trigger (perf). The generic plan is
the custom plans' own shape (nested loops over the links' `client_id` index and two primary
keys), linear in the number of ids, so the function now always uses it. PostgreSQL replans it
when ANALYZE changes a table's statistics, as it does every cached plan. PostgreSQL only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "rolodex_refresh_contact_search(uuid[])"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER FUNCTION {FUNCTION} SET plan_cache_mode = force_generic_plan")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER FUNCTION {FUNCTION} RESET plan_cache_mode")
