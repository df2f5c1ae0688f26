"""rolodex_refresh_contact_search in PL/pgSQL, so its UPDATE is planned once per connection

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:00:00.000000+00:00

Migration 0012's function was a SQL function, which PostgreSQL parses and plans on every call:
every link written (each contact person a client is created with, say) paid for planning the
UPDATE. A PL/pgSQL function keeps its statements' plans for the session. Same statement, same
result. PostgreSQL only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPDATE = r"""
    UPDATE clients AS c SET contact_search_text = s.text
    FROM (
        SELECT u.id, coalesce(string_agg(cp.search_text, E'\x01' ORDER BY cp.id), '') AS text
        FROM unnest(ids) AS u(id)
        LEFT JOIN client_contact_persons AS l ON l.client_id = u.id
        LEFT JOIN contact_persons AS cp ON cp.id = l.contact_person_id
        GROUP BY u.id
    ) AS s
    WHERE c.id = s.id AND c.contact_search_text IS DISTINCT FROM s.text
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION rolodex_refresh_contact_search(ids uuid[]) RETURNS void "
            f"LANGUAGE plpgsql AS $$ BEGIN {UPDATE}; END $$"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION rolodex_refresh_contact_search(ids uuid[]) RETURNS void "
            f"LANGUAGE sql AS $$ {UPDATE} $$"
        )
