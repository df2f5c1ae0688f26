"""clients.contact_search_text: the linked contact persons' search texts, kept by triggers

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 07:20:00.000000+00:00

`q` on clients also matches the client's contact persons. On PostgreSQL that was the contacts'
trigram index, then their links, then the clients' primary key for every linked client: a
fragment common among contact names (`sson`, `berg`) reached tens of thousands of clients that
way, seconds per search at a million clients. Now each client carries its contact persons'
search texts (joined by U+0001, which no search can contain) in a column with its own trigram
index, and `q` is `search_text LIKE ... OR contact_search_text LIKE ...` on clients alone.

Statement-level triggers keep the column in step, whatever writes: links inserted, deleted or
moved (also by cascades), and contact persons whose search text changes. SQLite gets the column
only (empty, unused).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFRESH = r"""
CREATE FUNCTION rolodex_refresh_contact_search(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE clients AS c SET contact_search_text = s.text
    FROM (
        SELECT u.id, coalesce(string_agg(cp.search_text, E'\x01' ORDER BY cp.id), '') AS text
        FROM unnest(ids) AS u(id)
        LEFT JOIN client_contact_persons AS l ON l.client_id = u.id
        LEFT JOIN contact_persons AS cp ON cp.id = l.contact_person_id
        GROUP BY u.id
    ) AS s
    WHERE c.id = s.id AND c.contact_search_text IS DISTINCT FROM s.text
$$
"""

# (function, trigger, event, transition tables, the affected client ids)
TRIGGERS = (
    (
        "rolodex_links_inserted",
        "tr_client_contact_persons_inserted",
        "INSERT ON client_contact_persons",
        "NEW TABLE AS new_rows",
        "SELECT DISTINCT client_id FROM new_rows",
    ),
    (
        "rolodex_links_deleted",
        "tr_client_contact_persons_deleted",
        "DELETE ON client_contact_persons",
        "OLD TABLE AS old_rows",
        "SELECT DISTINCT client_id FROM old_rows",
    ),
    (
        "rolodex_links_updated",
        "tr_client_contact_persons_updated",
        "UPDATE ON client_contact_persons",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT client_id FROM old_rows UNION SELECT client_id FROM new_rows",
    ),
    (
        "rolodex_contacts_updated",
        "tr_contact_persons_search_updated",
        "UPDATE ON contact_persons",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT DISTINCT l.client_id FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id "
        "JOIN client_contact_persons AS l ON l.contact_person_id = n.id "
        "WHERE n.search_text IS DISTINCT FROM o.search_text",
    ),
)

BACKFILL = r"""
UPDATE clients AS c SET contact_search_text = s.text
FROM (
    SELECT l.client_id, string_agg(cp.search_text, E'\x01' ORDER BY cp.id) AS text
    FROM client_contact_persons AS l JOIN contact_persons AS cp ON cp.id = l.contact_person_id
    GROUP BY l.client_id
) AS s
WHERE c.id = s.client_id
"""


def upgrade() -> None:
    op.add_column(
        "clients", sa.Column("contact_search_text", sa.Text(), nullable=False, server_default="")
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(BACKFILL)
    op.create_index(
        "ix_clients_contact_search_text_trgm",
        "clients",
        ["contact_search_text"],
        postgresql_using="gin",
        postgresql_ops={"contact_search_text": "gin_trgm_ops"},
    )
    op.execute(REFRESH)
    for function, trigger, event, tables, ids in TRIGGERS:
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"PERFORM rolodex_refresh_contact_search(ARRAY({ids})); RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {trigger} AFTER {event} REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function, trigger, event, _tables, _ids in TRIGGERS:
            table = event.split(" ON ")[1]
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
            op.execute(f"DROP FUNCTION {function}()")
        op.execute("DROP FUNCTION rolodex_refresh_contact_search(uuid[])")
        op.drop_index("ix_clients_contact_search_text_trgm", table_name="clients")
    op.drop_column("clients", "contact_search_text")
